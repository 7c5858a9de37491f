/**
 * The sweep's Markdown report: what ran, the cost model (value, default, meaning, source), the
 * rows table, the QEMU anchor comparison with its notes, and the QEMU cross-check when it was
 * asked for — ready to paste into a README.
 *
 * @module
 */

import type { SweepResult } from "./sweep.ts";
import {
  CROSSCHECK_HEADERS,
  CROSSCHECK_NUMERIC,
  crossCheckCells,
  crossCheckFailures,
  crossCheckSummary,
  skippedNote,
} from "./report_crosscheck.ts";
import {
  ANCHOR_HEADERS,
  anchorCells,
  anchorLines,
  type Column,
  costLines,
  ROW_COLUMNS,
} from "./report_table.ts";

/** Escapes the characters that would break a table cell. */
export function mdCell(text: string): string {
  return text.replaceAll("\\", "\\\\").replaceAll("|", "\\|").replaceAll("\n", " ");
}

/** A Markdown table. */
export function mdTable(
  headers: readonly string[],
  rows: readonly (readonly string[])[],
  numeric: readonly boolean[],
): string[] {
  const line = (cells: readonly string[]) => `| ${cells.map(mdCell).join(" | ")} |`;
  return [
    line(headers),
    `|${numeric.map((n) => (n ? "---:" : "---")).join("|")}|`,
    ...rows.map(line),
  ];
}

function columnsTable<T>(columns: readonly Column<T>[], rows: readonly T[]): string[] {
  return mdTable(
    columns.map((c) => c.header),
    rows.map((r) => columns.map((c) => c.cell(r))),
    columns.map((c) => c.numeric),
  );
}

/** The cost model as a Markdown table. */
export function costTable(result: SweepResult): string[] {
  return mdTable(
    ["constant", "value (ns)", "default", "meaning", "source"],
    costLines(result.cost).map((c) => [
      `\`${c.name}\``,
      String(c.value),
      c.value === c.defaultNs ? "yes" : `no (${c.defaultNs})`,
      c.meaning,
      c.source,
    ]),
    [false, true, false, false, false],
  );
}

/** The anchor comparison as Markdown (empty when it was not run). */
export function anchorSection(result: SweepResult): string[] {
  const a = result.anchor;
  if (!a) return [];
  const overrides = Object.entries(a.overrides).map(([k, v]) => `\`${k}=${v}\``).join(", ");
  const d = a.deviceBound;
  const bound = [...Object.entries(d.overrides), ...Object.entries(d.controller)]
    .map(([k, v]) => `\`${k}=${v}\``).join(", ");
  const table = (points: typeof a.points) =>
    mdTable(
      ANCHOR_HEADERS,
      anchorLines({ points }).map(anchorCells),
      ANCHOR_HEADERS.map((_, i) => i === 0),
    );
  return [
    "## QEMU anchor: MMIO writes per I/O",
    "",
    "Published: QEMU shadow doorbell series (KVM guest, fio 4 KiB random reads, `perf kvm`). " +
    "Ours: Linux-like driver, interrupt completion, one queue, 4 KiB random reads, anchor " +
    `profile (${overrides} on top of the cost model above).`,
    "",
    ...table(a.points),
    "",
    "### Device-bound profile",
    "",
    `The same rows with one serial command worker, like QEMU's main loop (${bound} on top of ` +
    "the cost model above), so the device saturates at about the published ~25k IOPS.",
    "",
    ...table(d.points),
    "",
    "Why the numbers differ:",
    "",
    ...a.notes.map((n) => `- ${n}`),
  ];
}

/** The QEMU cross-check as Markdown (empty when it was not asked for). */
export function crossCheckSection(result: SweepResult): string[] {
  const c = result.crossCheck;
  if (!c) return [];
  const title = "## QEMU cross-check: MMIO doorbell writes per I/O";
  if (c.skipped !== null) return [title, "", `_${skippedNote(c.skipped)}_`];
  const failed = crossCheckFailures(c);
  return [
    title,
    "",
    crossCheckSummary(c),
    "",
    ...mdTable(CROSSCHECK_HEADERS, c.rows.map(crossCheckCells), CROSSCHECK_NUMERIC),
    "",
    ...(failed.length > 0 ? [...failed.map((f) => `- **failed** ${f}`), ""] : []),
    "Why:",
    "",
    ...c.notes.map((n) => `- ${n}`),
  ];
}

/** The whole Markdown report. */
export function renderMarkdownReport(result: SweepResult): string {
  const v = result.versions;
  const out = [
    "# nvme-harness sweep",
    "",
    `${result.matrix} matrix: ${result.rows.length} rows, ${result.iosPerRow} measured 4 KiB ` +
    `I/Os per row, seed ${result.seed}. nvme-harness ${v.harness}, Deno ${v.deno}, reference ` +
    `controller VS ${v.controllerVersion}.`,
    "",
    "## Cost model",
    "",
    ...costTable(result),
    "",
  ];
  if (result.skipped.length > 0) {
    out.push(...result.skipped.map((s) => `- skipped driver \`${s.driver}\`: ${s.reason}`), "");
  }
  out.push("## Rows", "", ...columnsTable(ROW_COLUMNS, result.rows), "");
  const failed = result.rows.filter((r) => r.error !== null);
  if (failed.length > 0) {
    out.push(...failed.map((r) => `- **failed** ${r.series} QD${r.qd}: ${r.error}`), "");
  }
  const anchor = anchorSection(result);
  if (anchor.length > 0) out.push(...anchor, "");
  const crossCheck = crossCheckSection(result);
  if (crossCheck.length > 0) out.push(...crossCheck, "");
  return out.join("\n");
}
