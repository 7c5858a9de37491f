/**
 * The text report: one line per case (`PASS registers.cap.mqes  Base 2.1 §3.1.4.1  (0.4 ms)`),
 * the reason on the next line, indented, when there is one, and the closing summary line. The
 * command line prints the lines while the run goes; {@linkcode renderTextReport} renders a finished
 * run the same way for `--out`.
 *
 * @example
 * ```ts
 * import { formatCaseResult } from "./report_text.ts";
 * const text = formatCaseResult({
 *   id: "registers.cap.mqes", title: "MQES ≥ 1", section: "Base 2.1 §3.1.4.1",
 *   status: "fail", message: "MQES is 0", durationMs: 0.42,
 * });
 * if (text !== "FAIL registers.cap.mqes  Base 2.1 §3.1.4.1  (0.4 ms)\n     MQES is 0") {
 *   throw new Error(text);
 * }
 * ```
 *
 * @module
 */

import type { CaseResult, CaseStatus } from "./run_case.ts";
import { type RunReport, summaryLine } from "./runner.ts";

/** The word each status is printed as. */
export const STATUS_TAG: Readonly<Record<CaseStatus, string>> = {
  pass: "PASS",
  fail: "FAIL",
  skip: "SKIP",
  deviation: "DEVIATION",
};

/** Indent of a result's message under its line (the width of `PASS `). */
const MESSAGE_INDENT = " ".repeat(5);

/** Formats a duration for people: `0.4 ms`, `12.3 ms`, `1.5 s`. */
export function formatDuration(ms: number): string {
  return ms < 1000 ? `${ms.toFixed(1)} ms` : `${(ms / 1000).toFixed(1)} s`;
}

/** One case as text: its line, then its message (each message line indented) when it has one.
 * No trailing newline. */
export function formatCaseResult(r: CaseResult): string {
  const line = `${STATUS_TAG[r.status]} ${r.id}  ${r.section}  (${formatDuration(r.durationMs)})`;
  if (r.message === "") return line;
  const message = r.message.split("\n").map((l) => MESSAGE_INDENT + l).join("\n");
  return `${line}\n${message}`;
}

/** The first line of a text report: what ran against what. */
export function textHeader(target: string, driver: string, spec: string): string {
  return `nvme-harness conformance — target ${target}, driver ${driver} — ${spec}`;
}

/** A finished run as text: header, every case, summary line; ends with a newline. */
export function renderTextReport(report: RunReport): string {
  return [
    textHeader(report.target, report.driver, report.spec),
    ...report.cases.map(formatCaseResult),
    summaryLine(report.summary),
  ].join("\n") + "\n";
}
