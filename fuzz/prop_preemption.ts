/**
 * Property `driver-under-preemption`: the driver model runs the seeded, verifying workload
 * (`driver/workload.ts`) on a machine whose host accesses — MMIO, config space, shared memory —
 * are seeded preemption points where due or next device work runs first, as if the host had been
 * descheduled. Whatever the interleaving, with MMIO or shadow doorbells (either EventIdx policy),
 * any queue depth, batching and buffer shape: the workload finishes within its virtual-time
 * budget, every command succeeds, every read returns what was written, and the controller records
 * no host-obligation finding. This is where EventIdx lost wake-ups show up (Base 2.1 §5.2.5;
 * §3.3.1 queues).
 *
 * Speed unit: commands — the workload's commands that completed (`completed` of its result).
 *
 * @example
 * ```ts
 * import { preemptionProperty } from "./prop_preemption.ts";
 * import { runProperty } from "./runner.ts";
 * import { resolveDriver } from "../driver/registry.ts";
 * const driver = await resolveDriver("linux");
 * const r = runProperty(preemptionProperty(), { driver }, { seed: 4, runs: 3 });
 * if (r.status !== "pass") throw new Error(`${r.error}\n${r.steps.join("\n")}`);
 * ```
 *
 * @module
 */

import fc from "fast-check";
import type { EventIdxPolicy } from "../controller/options.ts";
import type { PreemptionMode } from "../platform/preemption.ts";
import { runWorkload } from "../driver/workload.ts";
import {
  check,
  countCommands,
  type FuzzProperty,
  type PropertyContext,
  requireDriver,
} from "./property.ts";
import { bootSim, controllerOptions } from "./sim.ts";
import { dwordOffset, eventIdxPolicy, queueMqes, seed32 } from "./arbitraries.ts";

/** Largest CAP.MQES generated (queues of up to 64 entries). */
const MAX_MQES = 63;
/** Virtual time a workload may take before it counts as stalled (lost wake-up). */
const WORKLOAD_BUDGET_NS = 2e9;
/** Shadow poll interval for the "polling" EventIdx policy (see prop_queue_wraparound.ts). */
const SHADOW_POLL_NS = 10_000;

/** One case: the schedule, the controller shape and the workload. */
export interface PreemptionCase {
  /** Seed of the preemption policy. */
  readonly seed: number;
  /** Probability of preempting at a host access. */
  readonly probability: number;
  /** Which device work runs at a preemption. */
  readonly mode: PreemptionMode;
  /** CAP.MQES. */
  readonly mqes: number;
  /** Controller advertises Doorbell Buffer Config. */
  readonly shadowDoorbells: boolean;
  /** EventIdx policy. */
  readonly eventIdxPolicy: EventIdxPolicy;
  /** Doorbell-to-controller latency (ns). */
  readonly doorbellLatencyNs: number;
  /** Workload: commands. */
  readonly ios: number;
  /** Workload: commands in flight. */
  readonly queueDepth: number;
  /** Workload: submitting contexts. */
  readonly contexts: number;
  /** Workload: doorbell batch. */
  readonly batch: number;
  /** Workload: blocks per command. */
  readonly blocks: number;
  /** Workload: buffer offset in its page. */
  readonly bufferOffset: number;
  /** Workload: seed of reads/writes and LBAs. */
  readonly workloadSeed: number;
}

/** Arbitrary cases. */
export const preemptionCase: fc.Arbitrary<PreemptionCase> = fc.record({
  seed: seed32,
  probability: fc.constantFrom(0.05, 0.25, 0.5, 0.9),
  mode: fc.constantFrom<PreemptionMode>("due", "next", "mixed"),
  mqes: queueMqes(MAX_MQES),
  shadowDoorbells: fc.boolean(),
  eventIdxPolicy,
  doorbellLatencyNs: fc.constantFrom(0, 100, 500, 2_000),
  ios: fc.integer({ min: 10, max: 150 }),
  queueDepth: fc.integer({ min: 1, max: 32 }),
  contexts: fc.integer({ min: 1, max: 4 }),
  batch: fc.integer({ min: 1, max: 4 }),
  blocks: fc.integer({ min: 1, max: 8 }),
  bufferOffset: dwordOffset,
  workloadSeed: seed32,
});

/** Runs one case; throws on a violation. */
export function runPreemptionCase(ctx: PropertyContext, c: PreemptionCase): void {
  const driver = requireDriver(ctx, "driver-under-preemption");
  const sim = bootSim(driver, {
    preemption: { seed: c.seed, probability: c.probability, mode: c.mode },
    driverOptions: ctx.driverOptions,
    guard: { deadlineNs: WORKLOAD_BUDGET_NS * 2 },
    controller: controllerOptions({
      mqes: c.mqes,
      shadowDoorbells: c.shadowDoorbells,
      eventIdxPolicy: c.eventIdxPolicy,
      shadowPollIntervalNs: SHADOW_POLL_NS,
      doorbellLatencyNs: c.doorbellLatencyNs,
    }, ctx.controller),
  });
  const r = runWorkload(sim.host, sim.driver, {
    ios: c.ios,
    queueDepth: c.queueDepth,
    contexts: c.contexts,
    batch: c.batch,
    blocks: c.blocks,
    bufferOffset: c.bufferOffset,
    seed: c.workloadSeed,
    maxVirtualNs: WORKLOAD_BUDGET_NS,
  });
  countCommands(ctx, r.completed);
  check(r.errors === 0, `${r.errors} commands failed: ${r.firstProblem}`);
  check(r.mismatches === 0, `${r.mismatches} reads returned wrong data: ${r.firstProblem}`);
  check(r.completed === c.ios, `${r.completed} of ${c.ios} commands completed`);
  sim.assertNoFindings("workload under preemption");
}

/** The property. */
export function preemptionProperty(): FuzzProperty {
  return {
    name: "driver-under-preemption",
    description: "a verifying workload under seeded preemption at every host access (MMIO or " +
      "shadow doorbells, both EventIdx policies) completes in bounded virtual time with no " +
      "error, no wrong data and no host-obligation finding",
    section: "Base 2.1 §5.2.5, §3.3.1",
    usesDriver: true,
    defaultRuns: 1000,
    property: (ctx) => fc.property(preemptionCase, (c) => runPreemptionCase(ctx, c)),
    steps: ([c]) => {
      const p = c as PreemptionCase;
      return [
        `machine: preemption seed=${p.seed} probability=${p.probability} mode=${p.mode}`,
        `controller: MQES=${p.mqes}, doorbell latency ${p.doorbellLatencyNs} ns, shadow ` +
        `doorbells ${p.shadowDoorbells ? `on (EventIdx ${p.eventIdxPolicy})` : "off"}`,
        `workload: ${p.ios} I/Os, QD ${p.queueDepth}, ${p.contexts} contexts, batch ${p.batch}, ` +
        `${p.blocks} blocks at buffer offset 0x${
          p.bufferOffset.toString(16)
        }, seed ${p.workloadSeed}`,
      ];
    },
  };
}
