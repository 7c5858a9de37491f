/**
 * The sweep's axes and the rows they make: completion mode × doorbell scheme × interrupt
 * coalescing × queue depth × queue count × driver × workload. Combinations that cannot differ are
 * left out rather than repeated — coalescing only matters when interrupts are used, and the
 * SPDK-like driver has no interrupts at all (reference/linux-driver.md §10), so it runs polled
 * only.
 *
 * What each axis value means for the Linux-like driver (module parameters, linux-driver.md §9):
 * - `interrupt`: `cpus = queues`, `poll_queues = 0`; every command waits for its MSI-X vector.
 * - `polled`: `poll_queues = queues` (plus the one interrupt queue Linux always keeps, idle);
 *   every command is `REQ_POLLED`, so no I/O interrupt is ever raised.
 * - `hybrid`: `queues` interrupt queues plus one poll queue for the hot stream: even in-flight
 *   slots are polled, odd ones use the interrupt queues (at QD1 the only slot is hot).
 *
 * Doorbells: `mmio` — the controller does not offer Doorbell Buffer Config (QEMU before 7.1);
 * `shadow-eventidx-interrupt` — shadow doorbells with the controller publishing EventIdx as it
 * processes (QEMU 7.2.1+); `shadow-eventidx-polling` — the controller polls the shadow buffer and
 * publishes EventIdx so the host never needs an MMIO doorbell.
 *
 * @example
 * ```ts
 * import { fullMatrix, quickMatrix } from "./sweep_matrix.ts";
 * if (quickMatrix().length >= fullMatrix().length) throw new Error("quick is a subset");
 * ```
 *
 * @module
 */

import type { WorkloadKind } from "./sweep_workload.ts";

/** How completions are noticed. */
export const COMPLETION_MODES = ["interrupt", "polled", "hybrid"] as const;
/** One completion mode. */
export type CompletionMode = typeof COMPLETION_MODES[number];

/** Doorbell schemes. */
export const DOORBELL_MODES = [
  "mmio",
  "shadow-eventidx-interrupt",
  "shadow-eventidx-polling",
] as const;
/** One doorbell scheme. */
export type DoorbellMode = typeof DOORBELL_MODES[number];

/**
 * An Interrupt Coalescing setting (Base 2.1 §5.1.25.2.2): `threshold` completions per interrupt
 * (THR + 1) or `timeUnits` × 100 µs after the first held one. `threshold` 1 is "off". A threshold
 * without a time would strand the last completions below it, so every "on" setting has TIME 1.
 */
export interface Coalescing {
  /** Completions per interrupt (1 = off). */
  readonly threshold: number;
  /** Aggregation time in 100 µs units (0 with coalescing off). */
  readonly timeUnits: number;
}

/** Coalescing off. */
export const COALESCING_OFF: Coalescing = Object.freeze({ threshold: 1, timeUnits: 0 });
/** The settings swept: off, then 2, 4 and 8 completions per interrupt with a 100 µs bound. */
export const COALESCING_SETTINGS: readonly Coalescing[] = [
  COALESCING_OFF,
  { threshold: 2, timeUnits: 1 },
  { threshold: 4, timeUnits: 1 },
  { threshold: 8, timeUnits: 1 },
];

/** Queue depths (commands in flight over all queues). */
export const QUEUE_DEPTHS: readonly number[] = [1, 2, 4, 8, 16, 32, 64, 128];
/** I/O queue counts. */
export const QUEUE_COUNTS: readonly number[] = [1, 2, 4];
/** Built-in drivers swept. */
export const SWEEP_DRIVERS = ["linux", "spdk"] as const;
/** One swept driver. */
export type SweepDriver = typeof SWEEP_DRIVERS[number];
/** Workloads. */
export const WORKLOADS: readonly WorkloadKind[] = ["randread", "randwrite"];

/** One row's configuration. */
export interface RowConfig {
  /** Driver model. */
  readonly driver: SweepDriver;
  /** Completion mode. */
  readonly completion: CompletionMode;
  /** Doorbell scheme. */
  readonly doorbell: DoorbellMode;
  /** Interrupt coalescing. */
  readonly coalescing: Coalescing;
  /** Commands in flight. */
  readonly qd: number;
  /** I/O queues (interrupt queues for hybrid, which adds one poll queue). */
  readonly queues: number;
  /** Access pattern. */
  readonly workload: WorkloadKind;
}

/** `off`, or `N/100us` (N completions or TIME × 100 µs). */
export function coalescingLabel(c: Coalescing): string {
  return c.threshold <= 1 && c.timeUnits === 0 ? "off" : `${c.threshold}/${c.timeUnits * 100}us`;
}

/** Whether a combination is run: SPDK is poll-only; coalescing needs interrupts. */
export function isApplicable(c: RowConfig): boolean {
  if (c.driver === "spdk" && c.completion !== "polled") return false;
  const coalesced = c.coalescing.threshold > 1 || c.coalescing.timeUnits > 0;
  return !(coalesced && c.completion === "polled");
}

/**
 * The series a row belongs to (everything but the queue depth), e.g.
 * `linux interrupt mmio coal=off q1 randread`: one line per series in the charts.
 */
export function seriesKey(c: RowConfig): string {
  return `${c.driver} ${c.completion} ${c.doorbell} coal=${coalescingLabel(c.coalescing)} ` +
    `q${c.queues} ${c.workload}`;
}

/** Every applicable combination of the given axis values, queue depth innermost. */
export function matrix(axes: {
  readonly drivers: readonly SweepDriver[];
  readonly completions: readonly CompletionMode[];
  readonly doorbells: readonly DoorbellMode[];
  readonly coalescing: readonly Coalescing[];
  readonly qds: readonly number[];
  readonly queues: readonly number[];
  readonly workloads: readonly WorkloadKind[];
}): RowConfig[] {
  const rows: RowConfig[] = [];
  for (const workload of axes.workloads) {
    for (const driver of axes.drivers) {
      for (const completion of axes.completions) {
        for (const doorbell of axes.doorbells) {
          for (const coalescing of axes.coalescing) {
            for (const queues of axes.queues) {
              for (const qd of axes.qds) {
                const row = { driver, completion, doorbell, coalescing, qd, queues, workload };
                if (isApplicable(row)) rows.push(row);
              }
            }
          }
        }
      }
    }
  }
  return rows;
}

/** The whole matrix of the issue. */
export function fullMatrix(): RowConfig[] {
  return matrix({
    drivers: SWEEP_DRIVERS,
    completions: COMPLETION_MODES,
    doorbells: DOORBELL_MODES,
    coalescing: COALESCING_SETTINGS,
    qds: QUEUE_DEPTHS,
    queues: QUEUE_COUNTS,
    workloads: WORKLOADS,
  });
}

/** Depths of the quick run: the QEMU anchor's 1/2/4/8 and two deep ones. */
export const QUICK_DEPTHS: readonly number[] = [1, 2, 4, 8, 32, 128];

/**
 * A small subset that still answers every "done when" question in seconds: one queue, random
 * reads; every doorbell scheme with interrupt and polled completion (Linux), hybrid and SPDK on
 * the MMIO and interrupt-policy shadow doorbells, and the coalescing thresholds on interrupt +
 * MMIO doorbells.
 */
export function quickMatrix(): RowConfig[] {
  const base = { queues: [1], workloads: ["randread"] as WorkloadKind[], qds: QUICK_DEPTHS };
  return [
    ...matrix({
      ...base,
      drivers: ["linux"],
      completions: ["interrupt", "polled"],
      doorbells: DOORBELL_MODES,
      coalescing: [COALESCING_OFF],
    }),
    ...matrix({
      ...base,
      drivers: ["linux"],
      completions: ["hybrid"],
      doorbells: ["mmio", "shadow-eventidx-interrupt"],
      coalescing: [COALESCING_OFF],
    }),
    ...matrix({
      ...base,
      drivers: ["linux"],
      completions: ["interrupt"],
      doorbells: ["mmio"],
      coalescing: COALESCING_SETTINGS.slice(1),
    }),
    ...matrix({
      ...base,
      drivers: ["spdk"],
      completions: ["polled"],
      doorbells: ["mmio", "shadow-eventidx-interrupt"],
      coalescing: [COALESCING_OFF],
    }),
  ];
}
