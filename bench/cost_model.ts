/**
 * The sweep's cost model: what each counted event costs in a virtual machine, in nanoseconds.
 * One object ({@linkcode CostModel}), one table of documented constants
 * ({@linkcode COST_CONSTANTS}) whose defaults state where they come from, and the arithmetic that
 * turns counted events into modelled host CPU time ({@linkcode hostCpuNsPerIo}).
 *
 * How the constants are used (see `sweep_row.ts` for the whole derivation):
 * - **Device side** constants become reference-controller options, so they act in virtual time:
 *   `doorbellNotifyNs` → `doorbellLatencyNs`, `commandNs` → `commandLatencyNs`, `mediaReadNs` /
 *   `mediaWriteNs` → a fixed media latency, `shadowPollIntervalNs` → `shadowPollIntervalNs`.
 * - **Host side** constants are charged as virtual time on the host (one vCPU) when the event
 *   happens (`sweep_host.ts`, `sweep_workload.ts`): each MMIO access stalls the vCPU for
 *   `mmioExitNs`, each interrupt the host takes costs `interruptNs` (plus `wakeupNs` when it woke
 *   a waiting host), each poll iteration is `pollNs` long, and each submission / completion costs
 *   the guest's block layer `submitNs` / `completeNs`. The device keeps working meanwhile, so
 *   queueing and batching effects come out of the simulation rather than being assumed.
 *
 * @example Override one constant from the command line spelling
 * ```ts
 * import { DEFAULT_COST_MODEL, parseCostOverrides } from "./cost_model.ts";
 * const cost = parseCostOverrides(["mediaReadNs=0"]);
 * if (cost.mediaReadNs !== 0 || cost.mmioExitNs !== DEFAULT_COST_MODEL.mmioExitNs) throw new Error();
 * ```
 *
 * @module
 */

/** Every constant of the model, in nanoseconds. */
export interface CostModel {
  /** vCPU stall for one MMIO access to BAR0 (a VM exit to the device model and back). */
  readonly mmioExitNs: number;
  /** Interrupt injection and delivery: MSI-X to the vCPU, guest handler entry/exit, EOI. */
  readonly interruptNs: number;
  /** Waking a host that waited for an interrupt (halted vCPU resumed, blocked task scheduled). */
  readonly wakeupNs: number;
  /** One host poll iteration of a completion queue (also the machine's poll quantum). */
  readonly pollNs: number;
  /** Guest software per submission: block layer, tag, SQE build (doorbell excluded). */
  readonly submitNs: number;
  /** Guest software per completion: CQE handling, request completion, waking the submitter. */
  readonly completeNs: number;
  /** From a doorbell write until the controller looks at the queue (`doorbellLatencyNs`). */
  readonly doorbellNotifyNs: number;
  /** Controller per-command work: SQE fetch, PRP walk, CQE post (`commandLatencyNs`). */
  readonly commandNs: number;
  /** Shadow-buffer poll interval of the controller's "polling" EventIdx policy. */
  readonly shadowPollIntervalNs: number;
  /** Media time of one 4 KiB read. */
  readonly mediaReadNs: number;
  /** Media time of one 4 KiB write. */
  readonly mediaWriteNs: number;
}

/** One constant's documentation: its default, what it is, and where the default comes from. */
export interface CostConstant {
  /** The {@linkcode CostModel} field. */
  readonly name: keyof CostModel;
  /** Default in ns. */
  readonly defaultNs: number;
  /** Smallest accepted value (a poll quantum or poll interval of 0 would never advance time). */
  readonly minNs: number;
  /** What the constant stands for. */
  readonly meaning: string;
  /** Where the default comes from; "assumed" marks an assumption. */
  readonly source: string;
}

/** The constants, in the order they are printed. */
export const COST_CONSTANTS: readonly CostConstant[] = [
  {
    name: "mmioExitNs",
    defaultNs: 5_400,
    minNs: 0,
    meaning: "MMIO doorbell write: VM exit to QEMU, doorbell handling, re-entry",
    // 1/25.1k − 1/29.1k IOPS at QD1 = 5.47 µs saved per 1.01 MMIO avoided.
    source: "derived from the QEMU shadow-doorbell series (v3 cover letter, 2022-06-16): QD1 " +
      "25.1k IOPS at 2.01 MMIO/IO vs 29.1k at 1.00 => ~5.4 us per MMIO exit " +
      "(reference/qemu-nvme.md §8); the ioeventfd commit 2e53b0b45024 (35k -> 41k IOPS at QD1) " +
      "agrees in magnitude",
  },
  {
    name: "interruptNs",
    defaultNs: 2_000,
    minNs: 0,
    meaning: "interrupt injection + delivery: MSI to the vCPU, handler entry/exit, EOI exit",
    source: "assumed: about two VM exits (injection kick and the EOI write without APICv/PV-EOI; " +
      "KVM's PV-EOI commit says EOI avoidance halves the exits per interrupt); perf kvm stat " +
      "in KVM commit 0c5f81da shows ~0.7 us per EXTERNAL_INTERRUPT exit",
  },
  {
    name: "wakeupNs",
    defaultNs: 3_000,
    minNs: 0,
    meaning: "wake-up of a host that slept waiting for the interrupt (HLT exit, reschedule)",
    source: "assumed: HLT exit + host scheduler wake-up + guest context switch, no halt-polling",
  },
  {
    name: "pollNs",
    defaultNs: 100,
    minNs: 1,
    meaning: "one poll iteration of a completion queue (phase-bit check)",
    source: "assumed: a cache-line read plus loop overhead; equals the machine's default " +
      "poll quantum (platform/machine.ts)",
  },
  {
    name: "submitNs",
    defaultNs: 1_000,
    minNs: 0,
    meaning: "guest software per submission (block layer, tag, SQE build; doorbell excluded)",
    source: "assumed: order of a Linux blk-mq submission without the syscall",
  },
  {
    name: "completeNs",
    defaultNs: 500,
    minNs: 0,
    meaning: "guest software per completion (CQE handling, request completion)",
    source: "assumed: order of a Linux blk-mq completion",
  },
  {
    name: "doorbellNotifyNs",
    defaultNs: 500,
    minNs: 0,
    meaning: "controller notices a doorbell / starts a queue pass (controller doorbellLatencyNs)",
    source: "the reference controller's default doorbellLatencyNs (controller/options.ts); " +
      "QEMU before 7.2 processed an SQ on a timer 500 ns after its doorbell, 7.2+ in a " +
      "main-loop bottom half (reference/qemu-nvme.md §7)",
  },
  {
    name: "commandNs",
    defaultNs: 2_000,
    minNs: 0,
    meaning: "controller per-command work: fetch, PRP walk, CQE post (controller commandLatencyNs)",
    source: "assumed: QEMU's emulated NVMe reached 99.8k IOPS at QD4 with shadow doorbells " +
      "(reference/qemu-nvme.md §8), so the whole device path is below ~10 us per command",
  },
  {
    name: "shadowPollIntervalNs",
    defaultNs: 1_000,
    minNs: 1,
    meaning: 'controller shadow-buffer poll interval ("polling" EventIdx policy)',
    source: "the reference controller's default shadowPollIntervalNs; assumed (QEMU's 2022 " +
      "SQ/CQ polling series, not merged, polled from an iothread)",
  },
  {
    name: "mediaReadNs",
    defaultNs: 10_000,
    minNs: 0,
    meaning: "media time of a 4 KiB read",
    source: "assumed: low-latency NVMe SSD (Intel Optane SSD DC P4800X product brief: < 10 us " +
      "read/write latency); TLC NAND is ~70-100 us; QEMU's anchor used null-co, i.e. 0",
  },
  {
    name: "mediaWriteNs",
    defaultNs: 10_000,
    minNs: 0,
    meaning: "media time of a 4 KiB write (into the drive's write cache)",
    source: "assumed: as mediaReadNs (same product brief); NAND drives acknowledge cached " +
      "writes in ~10-20 us",
  },
];

/** The defaults, as one object. */
export const DEFAULT_COST_MODEL: CostModel = Object.freeze(
  Object.fromEntries(COST_CONSTANTS.map((c) => [c.name, c.defaultNs])) as unknown as CostModel,
);

/** A `--cost` override that names no constant or gives no valid value. */
export class CostModelError extends Error {
  /** Creates the error; the message lists what is accepted. */
  constructor(message: string) {
    super(message);
    this.name = "CostModelError";
  }
}

/** Applies `name=value` overrides (ns; `_` digit separators allowed) to the defaults. */
export function parseCostOverrides(
  overrides: readonly string[],
  base: CostModel = DEFAULT_COST_MODEL,
): CostModel {
  const out: Record<string, number> = { ...base };
  for (const text of overrides) {
    const eq = text.indexOf("=");
    const name = eq < 0 ? text : text.slice(0, eq);
    const constant = COST_CONSTANTS.find((c) => c.name === name);
    if (!constant) {
      throw new CostModelError(
        `unknown cost "${name}"; use one of ${COST_CONSTANTS.map((c) => c.name).join(", ")}`,
      );
    }
    const raw = eq < 0 ? "" : text.slice(eq + 1).replaceAll("_", "");
    const value = Number(raw);
    if (raw === "" || !Number.isFinite(value) || value < constant.minNs) {
      throw new CostModelError(
        `cost ${name}=${text.slice(eq + 1)}: give a number of ns >= ${constant.minNs}`,
      );
    }
    out[name] = value;
  }
  return Object.freeze(out) as unknown as CostModel;
}

/** The names whose value differs from the default. */
export function overriddenCosts(cost: CostModel): (keyof CostModel)[] {
  return COST_CONSTANTS.filter((c) => cost[c.name] !== c.defaultNs).map((c) => c.name);
}

/** Host-side events of one I/O, on average (per-I/O rates from the counters). */
export interface HostEventsPerIo {
  /** MMIO accesses (each one a VM exit). */
  readonly mmio: number;
  /** Interrupts the host took (handled). */
  readonly interrupts: number;
  /** Waits that ended with an interrupt. */
  readonly wakeups: number;
  /** Host poll iterations. */
  readonly polls: number;
}

/**
 * Modelled host (vCPU) time per I/O: every host event times its cost, plus the guest's per-I/O
 * software (`submitNs + completeNs`). Polls count as busy time: a polling vCPU is not idle.
 */
export function hostCpuNsPerIo(events: HostEventsPerIo, cost: CostModel): number {
  return events.mmio * cost.mmioExitNs + events.interrupts * cost.interruptNs +
    events.wakeups * cost.wakeupNs + events.polls * cost.pollNs + cost.submitNs +
    cost.completeNs;
}

/** Media time of one command under the model. */
export function mediaNs(cost: CostModel, isWrite: boolean): number {
  return isWrite ? cost.mediaWriteNs : cost.mediaReadNs;
}

/**
 * The lower bound of a QD1 round trip when nothing overlaps: submission software, notify,
 * command work and media, then completion software. Doorbell exits, interrupts, wake-ups and poll
 * granularity come on top; the sweep measures them.
 */
export function qd1FloorNs(cost: CostModel, isWrite: boolean): number {
  return cost.submitNs + cost.doorbellNotifyNs + cost.commandNs + mediaNs(cost, isWrite) +
    cost.completeNs;
}

/** One line per constant: `name = value ns (default|override)  meaning — source`. */
export function describeCostModel(cost: CostModel): string[] {
  const width = Math.max(...COST_CONSTANTS.map((c) => c.name.length));
  return COST_CONSTANTS.map((c) => {
    const v = cost[c.name];
    const tag = v === c.defaultNs ? "default" : `override; default ${c.defaultNs}`;
    return `${c.name.padEnd(width)} = ${v} ns (${tag})  ${c.meaning}. Source: ${c.source}`;
  });
}
