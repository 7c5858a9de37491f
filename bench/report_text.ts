/**
 * The sweep's text report (the default on a terminal): a header with the matrix, versions and
 * every cost constant used (overrides marked), one fixed-width table of rows, the QEMU anchor
 * comparison with its notes, the QEMU cross-check when it was asked for (or the one line saying
 * why it was skipped), and any skipped driver or failed row.
 *
 * @module
 */

import { describeCostModel } from "./cost_model.ts";
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
  optionsText,
  ROW_COLUMNS,
} from "./report_table.ts";

/** Lays out `cells` under `headers` with two spaces between columns. */
export function fixedWidthTable(
  headers: readonly string[],
  rows: readonly (readonly string[])[],
  numeric: readonly boolean[],
): string[] {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: readonly string[]) =>
    cells.map((c, i) => numeric[i] ? c.padStart(widths[i]) : c.padEnd(widths[i])).join("  ")
      .trimEnd();
  return [line(headers), widths.map((w) => "-".repeat(w)).join("  "), ...rows.map(line)];
}

function table<T>(columns: readonly Column<T>[], rows: readonly T[]): string[] {
  return fixedWidthTable(
    columns.map((c) => c.header),
    rows.map((r) => columns.map((c) => c.cell(r))),
    columns.map((c) => c.numeric),
  );
}

/** The header lines: what ran, versions, and the cost model. */
export function textHeader(result: SweepResult): string[] {
  const v = result.versions;
  return [
    `nvme-harness sweep: ${result.matrix} matrix, ${result.rows.length} rows x ` +
    `${result.iosPerRow} measured 4 KiB I/Os, seed ${result.seed}`,
    `versions: nvme-harness ${v.harness}, Deno ${v.deno} (V8 ${v.v8}, TypeScript ` +
    `${v.typescript}), reference controller VS ${v.controllerVersion}; ${v.spec}`,
    `cost model (ns; override with --cost name=value):`,
    ...describeCostModel(result.cost).map((l) => `  ${l}`),
  ];
}

/** The whole text report. */
export function renderTextReport(result: SweepResult): string {
  const out = textHeader(result);
  for (const s of result.skipped) out.push(`skipped driver ${s.driver}: ${s.reason}`);
  out.push("", ...table(ROW_COLUMNS, result.rows));
  const failed = result.rows.filter((r) => r.error !== null);
  for (const r of failed) out.push(`FAILED ${r.series} QD${r.qd}: ${r.error}`);
  const a = result.anchor;
  if (a) {
    const overrides = optionsText(a.overrides);
    const d = a.deviceBound;
    const table = (points: typeof a.points) =>
      fixedWidthTable(
        ANCHOR_HEADERS,
        anchorLines({ points }).map(anchorCells),
        ANCHOR_HEADERS.map((_, i) => i === 0),
      );
    out.push(
      "",
      `QEMU anchor (shadow doorbell series, KVM + fio randread 4 KiB, MMIO writes per I/O); ` +
        `ours: linux, interrupt, 1 queue, anchor profile ${overrides}:`,
      ...table(a.points),
      "",
      `Device-bound profile (one serial command worker, like QEMU's main loop): ` +
        `${optionsText({ ...d.overrides, ...d.controller })}:`,
      ...table(d.points),
      "Why they differ:",
      ...a.notes.map((n) => `  - ${n}`),
    );
  }
  out.push(...crossCheckText(result));
  return out.join("\n") + "\n";
}

/** The QEMU cross-check section (empty when it was not asked for). */
export function crossCheckText(result: SweepResult): string[] {
  const c = result.crossCheck;
  if (!c) return [];
  if (c.skipped !== null) return ["", skippedNote(c.skipped)];
  return [
    "",
    "QEMU cross-check (MMIO doorbell writes per I/O, measured window only):",
    crossCheckSummary(c),
    ...fixedWidthTable(CROSSCHECK_HEADERS, c.rows.map(crossCheckCells), CROSSCHECK_NUMERIC),
    ...crossCheckFailures(c).map((f) => `FAILED cross-check ${f}`),
    "Why:",
    ...c.notes.map((n) => `  - ${n}`),
  ];
}
