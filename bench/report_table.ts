/**
 * The sweep's tables as data — columns with a header and a formatter — shared by the text and
 * Markdown reports, plus the number formats they use. NaN (a row that failed) prints as `-`.
 *
 * @example
 * ```ts
 * import { fixed, micros, ROW_COLUMNS } from "./report_table.ts";
 * if (fixed(1.234, 2) !== "1.23" || micros(1500) !== "1.5") throw new Error();
 * if (fixed(NaN, 2) !== "-" || ROW_COLUMNS[0].header !== "driver") throw new Error();
 * ```
 *
 * @module
 */

import { COST_CONSTANTS, type CostModel } from "./cost_model.ts";
import type { AnchorComparison } from "./sweep_anchor.ts";
import type { SweepRow } from "./sweep_row.ts";

/** A number with `digits` decimals, or `-` when it is not finite. */
export function fixed(x: number, digits: number): string {
  return Number.isFinite(x) ? x.toFixed(digits) : "-";
}

/** Nanoseconds as microseconds with one decimal. */
export function micros(ns: number): string {
  return fixed(ns / 1000, 1);
}

/** I/O per second as thousands with one decimal. */
export function kilo(x: number): string {
  return fixed(x / 1000, 1);
}

/** One column: header, alignment, and the cell of a row. */
export interface Column<T> {
  /** Header text. */
  readonly header: string;
  /** Right-align (numbers). */
  readonly numeric: boolean;
  /** The cell. */
  cell(row: T): string;
}

const text = <T>(header: string, cell: (r: T) => string): Column<T> => ({
  header,
  numeric: false,
  cell,
});
const num = <T>(header: string, cell: (r: T) => string): Column<T> => ({
  header,
  numeric: true,
  cell,
});

/** The columns of the main table: configuration, counted events per I/O, modelled results. */
export const ROW_COLUMNS: readonly Column<SweepRow>[] = [
  text("driver", (r) => r.driver),
  text("completion", (r) => r.completion),
  text("doorbells", (r) => r.doorbell),
  text("coalescing", (r) => r.coalescingLabel),
  num("queues", (r) => String(r.queues)),
  text("workload", (r) => r.workload),
  num("QD", (r) => String(r.qd)),
  num("SQ tail MMIO/IO", (r) => fixed(r.sqTailMmioPerIo, 2)),
  num("CQ head MMIO/IO", (r) => fixed(r.cqHeadMmioPerIo, 2)),
  num("interrupts/IO", (r) => fixed(r.interruptsPerIo, 2)),
  num("irq handled/IO", (r) => fixed(r.interruptsHandledPerIo, 2)),
  num("wake-ups/IO", (r) => fixed(r.wakeupsPerIo, 2)),
  num("polls/IO", (r) => fixed(r.pollsPerIo, 1)),
  num("shadow polls/IO", (r) => fixed(r.shadowPollsPerIo, 1)),
  num("mean us", (r) => micros(r.meanLatencyNs)),
  num("p99 us", (r) => micros(r.p99LatencyNs)),
  num("kIOPS", (r) => kilo(r.iops)),
  num("vCPU us/IO", (r) => micros(r.hostCpuNsPerIo)),
  num("vCPU busy", (r) => fixed(r.vcpuBusy, 2)),
  num("harness us/IO", (r) => micros(r.harnessNsPerIo)),
];

/** A cost constant with its value, for the cost table. */
export interface CostLine {
  /** Constant name. */
  readonly name: string;
  /** Value used (ns). */
  readonly value: number;
  /** Its default. */
  readonly defaultNs: number;
  /** What it stands for. */
  readonly meaning: string;
  /** Where the default comes from. */
  readonly source: string;
}

/** The cost model as lines, in the documented order. */
export function costLines(cost: CostModel): CostLine[] {
  return COST_CONSTANTS.map((c) => ({
    name: c.name,
    value: cost[c.name],
    defaultNs: c.defaultNs,
    meaning: c.meaning,
    source: c.source,
  }));
}

/** One line of the anchor table. */
export interface AnchorLine {
  /** Queue depth. */
  readonly qd: number;
  /** Published MMIO/IO without shadow doorbells. */
  readonly qemuWithout: string;
  /** Ours without: SQ + CQ = total. */
  readonly oursWithout: string;
  /** Published MMIO/IO with shadow doorbells. */
  readonly qemuWith: string;
  /** Ours with the "interrupt" EventIdx policy: SQ + CQ = total. */
  readonly oursWith: string;
  /** Ours with the "polling" EventIdx policy (total). */
  readonly oursPolling: string;
  /** Published IOPS without → with. */
  readonly qemuIops: string;
  /** Our IOPS without → with (interrupt policy). */
  readonly oursIops: string;
}

const split = (m: { sqTail: number; cqHead: number; total: number }) =>
  `${fixed(m.sqTail, 2)} + ${fixed(m.cqHead, 2)} = ${fixed(m.total, 2)}`;

/** The anchor comparison (or its device-bound rerun: same points) as table lines. */
export function anchorLines(a: Pick<AnchorComparison, "points">): AnchorLine[] {
  return a.points.map((p) => ({
    qd: p.qd,
    qemuWithout: p.qemu.without.toFixed(2),
    oursWithout: split(p.ours.mmio),
    qemuWith: p.qemu.with.toFixed(2),
    oursWith: split(p.ours["shadow-eventidx-interrupt"]),
    oursPolling: fixed(p.ours["shadow-eventidx-polling"].total, 2),
    qemuIops: `${kilo(p.qemuIops.without)}k -> ${kilo(p.qemuIops.with)}k`,
    oursIops: `${kilo(p.ours.mmio.iops)}k -> ${kilo(p.ours["shadow-eventidx-interrupt"].iops)}k`,
  }));
}

/** Headers of the anchor table, in {@linkcode AnchorLine} order. */
export const ANCHOR_HEADERS: readonly string[] = [
  "QD",
  "QEMU MMIO/IO without",
  "ours without (SQ + CQ = total)",
  "QEMU MMIO/IO with dbbuf",
  "ours shadow, interrupt policy (SQ + CQ = total)",
  "ours shadow, polling policy",
  "QEMU IOPS without -> with",
  "ours IOPS without -> with",
];

/** The controller options a profile added, as `name=value` (for the report headings). */
export function optionsText(options: Readonly<Record<string, unknown>>): string {
  return Object.entries(options).map(([k, v]) => `${k}=${v}`).join(", ");
}

/** An anchor line as cells in {@linkcode ANCHOR_HEADERS} order. */
export function anchorCells(l: AnchorLine): string[] {
  return [
    String(l.qd),
    l.qemuWithout,
    l.oursWithout,
    l.qemuWith,
    l.oursWith,
    l.oursPolling,
    l.qemuIops,
    l.oursIops,
  ];
}
