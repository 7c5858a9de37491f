/**
 * The Markdown report for people: what ran against what, a summary table, then one table per
 * case group (id, title, section, status, message). Failures and deviations are bold so they
 * stand out in a rendered page.
 *
 * @example
 * ```ts
 * import { renderMarkdownReport } from "./report_markdown.ts";
 * const md = renderMarkdownReport({
 *   target: "reference", driver: "linux", spec: "NVMe Base 2.1",
 *   cases: [{ id: "registers.cap.mqes", title: "MQES ≥ 1", section: "Base 2.1 §3.1.4.1",
 *     status: "pass", message: "", durationMs: 0.4 }],
 *   summary: { passed: 1, failed: 0, skipped: 0, deviations: 0 },
 * });
 * if (!md.includes("| `registers.cap.mqes` | MQES ≥ 1 | Base 2.1 §3.1.4.1 | pass |  |")) {
 *   throw new Error(md);
 * }
 * ```
 *
 * @module
 */

import type { CaseResult, CaseStatus } from "./run_case.ts";
import { groupResults, type RunReport, summarize } from "./runner.ts";

/** Escapes text for one Markdown table cell: pipes, backslashes, and line breaks (as `<br>`),
 * plus HTML-significant `<` `>` `&` so a message cannot open a tag. */
export function markdownCell(text: string): string {
  return text
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/\\/g, "\\\\")
    .replace(/\|/g, "\\|")
    .replace(/\r?\n/g, "<br>");
}

const STATUS_CELL: Readonly<Record<CaseStatus, string>> = {
  pass: "pass",
  fail: "**fail**",
  skip: "skip",
  deviation: "**deviation**",
};

function row(cells: readonly string[]): string {
  return `| ${cells.join(" | ")} |`;
}

function caseRow(r: CaseResult): string {
  return row([
    `\`${r.id}\``,
    markdownCell(r.title),
    markdownCell(r.section),
    STATUS_CELL[r.status],
    markdownCell(r.message),
  ]);
}

/** A finished run as Markdown (trailing newline). */
export function renderMarkdownReport(report: RunReport): string {
  const lines = [
    `# NVMe conformance: ${markdownCell(report.target)}`,
    "",
    `Target **${markdownCell(report.target)}**, driver **${markdownCell(report.driver)}**, ` +
    `checked against ${markdownCell(report.spec)}.`,
    "",
    "## Summary",
    "",
    row(["group", "cases", "passed", "failed", "skipped", "deviations"]),
    row(["---", "---:", "---:", "---:", "---:", "---:"]),
  ];
  const groups = groupResults(report.cases);
  for (const [name, results] of groups) {
    const s = summarize(results);
    lines.push(row([
      `\`${name}\``,
      String(results.length),
      String(s.passed),
      String(s.failed),
      String(s.skipped),
      String(s.deviations),
    ]));
  }
  const t = report.summary;
  lines.push(row([
    "**total**",
    `**${report.cases.length}**`,
    `**${t.passed}**`,
    `**${t.failed}**`,
    `**${t.skipped}**`,
    `**${t.deviations}**`,
  ]));
  for (const [name, results] of groups) {
    lines.push(
      "",
      `## \`${name}\``,
      "",
      row(["id", "title", "section", "status", "message"]),
      row(["---", "---", "---", "---", "---"]),
      ...results.map(caseRow),
    );
  }
  return lines.join("\n") + "\n";
}
