/**
 * Property `queue-wraparound`: for any I/O queue size from 2 to 64 entries (controller CAP.MQES
 * 1..63, so every driver's queues are that small), with or without shadow doorbells, any sequence
 * of submissions from several contexts interleaved with partial reaps — device time passing
 * without the driver looking, `processCompletions`, short waits — every accepted command
 * completes exactly once, successfully, within 1 s of virtual time, with an SQ identifier of an
 * I/O queue and an SQ head inside it, the last completion of each SQ reporting as head the number
 * of commands it carried modulo its size; reads return what was written; the controller records no host-obligation finding;
 * and nothing is left in flight (Base 2.1 §3.3.1 circular queues and phase tag, §3.3.1.5 full
 * queue, §4.2.1 completion queue entry).
 *
 * Speed unit: commands — the Reads and Writes the driver accepted (`submit` returned true); the
 * driver's own bring-up commands are not counted (their time is).
 *
 * @example
 * ```ts
 * import { queueWraparoundProperty } from "./prop_queue_wraparound.ts";
 * import { runProperty } from "./runner.ts";
 * import { resolveDriver } from "../driver/registry.ts";
 * const driver = await resolveDriver("linux");
 * const r = runProperty(queueWraparoundProperty(), { driver }, { seed: 1, runs: 3 });
 * if (r.status !== "pass") throw new Error(`${r.error}\n${r.steps.join("\n")}`);
 * ```
 *
 * @module
 */

import fc from "fast-check";
import type { EventIdxPolicy } from "../controller/options.ts";
import { IoTracker } from "./io_tracker.ts";
import {
  countCommands,
  type FuzzProperty,
  type PropertyContext,
  requireDriver,
} from "./property.ts";
import { bootSim, controllerOptions, type Sim, type SimOptions } from "./sim.ts";
import { eventIdxPolicy, queueMqes } from "./arbitraries.ts";

/** Largest CAP.MQES generated (queues of up to 64 entries keep a case fast). */
export const MAX_MQES = 63;
/**
 * Virtual time allowed for the final drain. The reference controller answers in microseconds, so
 * a command still open after this long is lost — well before any driver's own command timeout,
 * which would otherwise turn every lost completion into seconds of simulated timeout handling.
 */
const DRAIN_BUDGET_NS = 1e9;
/**
 * Shadow-doorbell poll interval of the "polling" EventIdx policy: 10 µs instead of the default
 * 1 µs, so a case that waits out its budget costs 10^5 device events, not 10^6.
 */
const SHADOW_POLL_NS = 10_000;
/** Virtual time one whole case may use (bring-up and steps included). */
const CASE_BUDGET_NS = 10e9;
/** Submitting contexts used (drivers map them to their queues). */
const CONTEXTS = 4;

/** One step of a case. */
export type WrapStep =
  /** Submit `count` commands (stop early when the driver says the queue is full). */
  | {
    readonly op: "submit";
    readonly count: number;
    readonly readEvery: number;
    readonly context: number;
  }
  /** Let device time pass without the driver looking (completions pile up in the CQ). */
  | { readonly op: "advance"; readonly ns: number }
  /** `processCompletions()`: reap what is posted. */
  | { readonly op: "reap" }
  /** `wait(ns)`: a short wait. */
  | { readonly op: "wait"; readonly ns: number };

/** One case: controller shape and steps. */
export interface WrapCase {
  /** CAP.MQES (queue size − 1). */
  readonly mqes: number;
  /** Controller advertises Doorbell Buffer Config. */
  readonly shadowDoorbells: boolean;
  /** EventIdx policy with shadow doorbells. */
  readonly eventIdxPolicy: EventIdxPolicy;
  /** The steps. */
  readonly steps: readonly WrapStep[];
}

const step: fc.Arbitrary<WrapStep> = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.record({
      op: fc.constant("submit" as const),
      count: fc.integer({ min: 1, max: 2 * (MAX_MQES + 1) }),
      readEvery: fc.integer({ min: 0, max: 3 }),
      context: fc.integer({ min: 0, max: CONTEXTS - 1 }),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      op: fc.constant("advance" as const),
      ns: fc.integer({ min: 0, max: 20_000 }),
    }),
  },
  { weight: 1, arbitrary: fc.record({ op: fc.constant("reap" as const) }) },
  {
    weight: 1,
    arbitrary: fc.record({
      op: fc.constant("wait" as const),
      ns: fc.integer({ min: 1, max: 100_000 }),
    }),
  },
);

/** Arbitrary cases. */
export const wrapCase: fc.Arbitrary<WrapCase> = fc.record({
  mqes: queueMqes(MAX_MQES),
  shadowDoorbells: fc.boolean(),
  eventIdxPolicy,
  steps: fc.array(step, { minLength: 1, maxLength: 24, size: "medium" }),
});

/** Runs one case; throws PropertyViolation (or the driver's own error) on failure. */
export function runWrapCase(ctx: PropertyContext, c: WrapCase, extra: SimOptions = {}): void {
  const driver = requireDriver(ctx, "queue-wraparound");
  const sim = bootSim(driver, {
    guard: { deadlineNs: CASE_BUDGET_NS },
    ...extra,
    driverOptions: ctx.driverOptions,
    controller: controllerOptions(
      {
        mqes: c.mqes,
        shadowDoorbells: c.shadowDoorbells,
        eventIdxPolicy: c.eventIdxPolicy,
        shadowPollIntervalNs: SHADOW_POLL_NS,
      },
      ctx.controller,
    ),
  });
  const io = new IoTracker(sim.host, sim.driver);
  try {
    wrapSteps(sim, io, c);
  } finally {
    countCommands(ctx, io.submitted);
  }
}

function wrapSteps(sim: Sim, io: IoTracker, c: WrapCase): void {
  let nextLba = 0;
  let lastWritten = -1;
  for (const s of c.steps) {
    switch (s.op) {
      case "submit":
        for (let i = 0; i < s.count; i++) {
          const read = s.readEvery > 0 && i % (s.readEvery + 1) === 0 && io.written.size > 0;
          const lba = read ? lastWritten : nextLba;
          if (!(read ? io.submitRead(lba, s.context) : io.submitWrite(lba, s.context))) break;
          if (!read) nextLba++;
        }
        break;
      case "advance":
        sim.host.sleep(s.ns);
        break;
      case "reap":
        sim.driver.processCompletions();
        break;
      case "wait":
        sim.driver.wait(s.ns);
        break;
    }
    // Reads target the newest block whose write has completed (its content is known).
    for (const lba of io.written.keys()) if (lba > lastWritten) lastWritten = lba;
    io.assertClean();
  }
  io.drain(DRAIN_BUDGET_NS);
  io.assertClean();
  io.assertSqHeads();
  if (sim.driver.inFlight !== 0) {
    throw new Error(`driver reports ${sim.driver.inFlight} in flight after every command ended`);
  }
  sim.assertNoFindings("queue wraparound");
}

function stepText(s: WrapStep): string {
  switch (s.op) {
    case "submit":
      return `submit ${s.count} from context ${s.context}` +
        (s.readEvery > 0 ? `, every ${s.readEvery + 1}th a read` : ", all writes");
    case "advance":
      return `let ${s.ns} ns of device time pass`;
    case "reap":
      return "processCompletions()";
    case "wait":
      return `wait(${s.ns} ns)`;
  }
}

/** The property. */
export function queueWraparoundProperty(): FuzzProperty {
  return {
    name: "queue-wraparound",
    description: "with queues of 2..64 entries and any mix of submissions and partial reaps, " +
      "every command completes exactly once, successfully, within 1 s of virtual time, with a " +
      "valid SQID and SQ head (the last one equal to the commands carried); reads return what " +
      "was written; no host-obligation finding",
    section: "Base 2.1 §3.3.1, §3.3.1.5, §4.2.1",
    usesDriver: true,
    defaultRuns: 1000,
    property: (ctx) => fc.property(wrapCase, (c) => runWrapCase(ctx, c)),
    steps: ([c]) => {
      const w = c as WrapCase;
      return [
        `controller MQES=${w.mqes} (queues of ${w.mqes + 1}), shadow doorbells ` +
        `${w.shadowDoorbells ? `on (EventIdx ${w.eventIdxPolicy})` : "off"}`,
        ...w.steps.map(stepText),
        "drain: wait until every command ended",
      ];
    },
  };
}
