/**
 * The QEMU cross-check as table data for the text and Markdown reports: one line per (QD,
 * shadow) with QEMU's measured doorbell writes per I/O (SQ + CQ = total), the model's in the same
 * qtest regime, the sweep's anchor-profile model, the published value, and how many shadow
 * doorbell updates the EventIdx rule let through as MMIO on each side.
 *
 * @example
 * ```ts
 * import { crossCheckCells, CROSSCHECK_HEADERS, skippedNote } from "./report_crosscheck.ts";
 * const cells = crossCheckCells({
 *   qd: 1, shadow: false, anchor: 2.01, anchorProfile: null, error: null, model: null,
 *   qemu: { doorbells: { sqPerIo: 1, cqPerIo: 1, totalPerIo: 2 }, decisions: { updates: 0, rang: 0 } },
 * });
 * if (cells.length !== CROSSCHECK_HEADERS.length || cells[2] !== "1.00 + 1.00 = 2.00") throw new Error();
 * if (skippedNote("no QEMU") !== "QEMU cross-check skipped: no QEMU") throw new Error();
 * ```
 *
 * @module
 */

import type { CrossCheckResult, CrossCheckRow, DoorbellsPerIo } from "./crosscheck_rows.ts";
import { fixed } from "./report_table.ts";

/** Headers of the cross-check table, in {@linkcode crossCheckCells} order. */
export const CROSSCHECK_HEADERS: readonly string[] = [
  "QD",
  "shadow",
  "QEMU qtest, measured (SQ + CQ = total)",
  "model, qtest regime (SQ + CQ = total)",
  "model, anchor profile (SQ + CQ = total)",
  "published QEMU (KVM)",
  "MMIO rung / shadow updates (QEMU; model)",
];

/** Which columns are numeric (right-aligned). */
export const CROSSCHECK_NUMERIC: readonly boolean[] = CROSSCHECK_HEADERS.map((_, i) => i === 0);

const split = (d: DoorbellsPerIo | null | undefined) =>
  d ? `${fixed(d.sqPerIo, 2)} + ${fixed(d.cqPerIo, 2)} = ${fixed(d.totalPerIo, 2)}` : "-";

/** One row as cells in {@linkcode CROSSCHECK_HEADERS} order. */
export function crossCheckCells(r: CrossCheckRow): string[] {
  const decisions = (s: CrossCheckRow["qemu"]) =>
    s && s.decisions.updates > 0 ? `${s.decisions.rang}/${s.decisions.updates}` : "-";
  return [
    String(r.qd),
    r.shadow ? "on" : "off",
    split(r.qemu?.doorbells),
    split(r.model?.doorbells),
    split(r.anchorProfile),
    r.anchor === null ? "-" : r.anchor.toFixed(2),
    r.shadow ? `${decisions(r.qemu)}; ${decisions(r.model)}` : "-",
  ];
}

/** The one-line note printed when the cross-check could not run. */
export function skippedNote(reason: string): string {
  return `QEMU cross-check skipped: ${reason}`;
}

/** The sentence under the table's title: what ran where. */
export function crossCheckSummary(c: CrossCheckResult): string {
  return `${c.qemu} over qtest (null-co namespace) and the reference controller in the qtest ` +
    `regime; Linux-like driver, MSI-X interrupts, 1 I/O queue, 4 KiB random reads, ` +
    `${c.ios} measured I/Os per point after warm-up, seed ${c.seed}. Largest QEMU-model ` +
    `difference: ${fixed(c.maxDifference, 3)} MMIO writes per I/O.`;
}

/** Lines naming the points that failed. */
export function crossCheckFailures(c: CrossCheckResult): string[] {
  return c.rows.filter((r) => r.error !== null).map((r) =>
    `QD${r.qd} shadow ${r.shadow ? "on" : "off"}: ${r.error}`
  );
}
