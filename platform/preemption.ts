/**
 * Seeded preemption points. Every host access to shared memory, MMIO or config space is a point
 * where a policy may run device work before the access happens, as if the host had been
 * descheduled. This is what makes host/device races (e.g. the EventIdx lost wake-up) reachable in
 * a deterministic simulation. Off by default; with the same seed a run is reproduced exactly.
 *
 * Policies: {@linkcode SeededPreemption} (a mulberry32 PRNG) and {@linkcode ScriptedPreemption}
 * (a list of decisions, for a schedule explorer).
 *
 * @example
 * ```ts
 * import { SeededPreemption } from "./preemption.ts";
 * const a = new SeededPreemption({ seed: 42 });
 * const b = new SeededPreemption({ seed: 42 });
 * for (let i = 0; i < 100; i++) if (a.decide("mmio_write") !== b.decide("mmio_write")) throw new Error();
 * ```
 *
 * @module
 */

import type { Counters } from "./counters.ts";
import { InvalidArgumentError } from "./errors.ts";
import type { Scheduler } from "./scheduler.ts";

/** Decision: do nothing. */
export const PREEMPT_NONE = 0;
/** Decision: run the device work that is already due (time ≤ now). */
export const PREEMPT_RUN_DUE = 1;
/** Decision: run the next scheduled device work, advancing time to it if needed. */
export const PREEMPT_RUN_NEXT = 2;
/** A preemption decision. */
export type PreemptionAction =
  | typeof PREEMPT_NONE
  | typeof PREEMPT_RUN_DUE
  | typeof PREEMPT_RUN_NEXT;

/** The kind of host access at a preemption point. */
export type PreemptionPointKind =
  | "mmio_read"
  | "mmio_write"
  | "config_read"
  | "config_write"
  | "mem_read"
  | "mem_write";

/** Decides what to do at each preemption point. */
export interface PreemptionPolicy {
  /** The decision for the next point. */
  decide(kind: PreemptionPointKind): PreemptionAction;
  /** A one-line description to print with a failure so the run can be reproduced. */
  describe(): string;
}

/** mulberry32: a tiny, fast, deterministic 32-bit PRNG. */
export class Mulberry32 {
  /** The seed the generator started from. */
  readonly seed: number;
  #state: number;

  /** Creates a generator from a 32-bit seed. */
  constructor(seed: number) {
    this.seed = seed >>> 0;
    this.#state = this.seed;
  }

  /** Next unsigned 32-bit value. */
  nextU32(): number {
    let t = (this.#state = (this.#state + 0x6d2b79f5) | 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }

  /** Next float in [0, 1). */
  nextFloat(): number {
    return this.nextU32() / 4294967296;
  }
}

/** Which work a seeded policy runs when it preempts. */
export type PreemptionMode = "due" | "next" | "mixed";

/** Options of {@linkcode SeededPreemption}. */
export interface SeededPreemptionOptions {
  /** PRNG seed (32-bit). */
  readonly seed: number;
  /** Probability of preempting at a point (default 0.25). */
  readonly probability?: number;
  /** "due" runs only due work, "next" the next event, "mixed" (default) picks at random. */
  readonly mode?: PreemptionMode;
}

const DEFAULT_PROBABILITY = 0.25;

/** A seeded random policy. */
export class SeededPreemption implements PreemptionPolicy {
  /** The seed. */
  readonly seed: number;
  /** Probability of preempting at a point. */
  readonly probability: number;
  /** Which work runs. */
  readonly mode: PreemptionMode;
  #rng: Mulberry32;

  /** Creates the policy. */
  constructor(options: SeededPreemptionOptions) {
    const p = options.probability ?? DEFAULT_PROBABILITY;
    if (!(p >= 0 && p <= 1)) {
      throw new InvalidArgumentError(`SeededPreemption: probability ${p} must be in [0, 1]`);
    }
    this.seed = options.seed >>> 0;
    this.probability = p;
    this.mode = options.mode ?? "mixed";
    this.#rng = new Mulberry32(this.seed);
  }

  /** Draws a decision. */
  decide(_kind: PreemptionPointKind): PreemptionAction {
    if (this.#rng.nextFloat() >= this.probability) return PREEMPT_NONE;
    switch (this.mode) {
      case "due":
        return PREEMPT_RUN_DUE;
      case "next":
        return PREEMPT_RUN_NEXT;
      case "mixed":
        return (this.#rng.nextU32() & 1) === 0 ? PREEMPT_RUN_DUE : PREEMPT_RUN_NEXT;
    }
  }

  /** E.g. `preemption seed=42 probability=0.25 mode=mixed`. */
  describe(): string {
    return `preemption seed=${this.seed} probability=${this.probability} mode=${this.mode}`;
  }
}

/** Replays a fixed list of decisions, one per point; after the list, never preempts. */
export class ScriptedPreemption implements PreemptionPolicy {
  /** The decisions. */
  readonly script: readonly PreemptionAction[];
  #i = 0;

  /** Creates the policy from a decision list. */
  constructor(script: readonly PreemptionAction[]) {
    this.script = script;
  }

  /** Number of points decided so far. */
  get points(): number {
    return this.#i;
  }

  /** The next scripted decision. */
  decide(_kind: PreemptionPointKind): PreemptionAction {
    const a = this.#i < this.script.length ? this.script[this.#i] : PREEMPT_NONE;
    this.#i++;
    return a;
  }

  /** E.g. `preemption script=[0,2,1]`. */
  describe(): string {
    return `preemption script=[${this.script.join(",")}]`;
  }
}

/** Applies a policy at the host's access points. Used by the in-process HostPort. */
export class PreemptionPoints {
  /** The policy, or undefined when preemption is off. */
  readonly policy: PreemptionPolicy | undefined;
  /** False when off: {@linkcode point} returns at once. */
  readonly enabled: boolean;
  readonly #scheduler: Scheduler;
  readonly #counters: Counters;
  #inside = false;

  /** Wires a policy (or none) to the scheduler and counters. */
  constructor(scheduler: Scheduler, counters: Counters, policy?: PreemptionPolicy) {
    this.policy = policy;
    this.enabled = policy !== undefined;
    this.#scheduler = scheduler;
    this.#counters = counters;
  }

  /** A preemption point: may run device work first. */
  point(kind: PreemptionPointKind): void {
    // Off is the common case: keep this body tiny so every host access inlines it.
    if (this.enabled) this.#decide(kind);
  }

  #decide(kind: PreemptionPointKind): void {
    if (this.#inside || this.#scheduler.running) return;
    this.#counters.preemptionPoints++;
    const action = (this.policy as PreemptionPolicy).decide(kind);
    if (action === PREEMPT_NONE) return;
    this.#inside = true;
    try {
      const ran = action === PREEMPT_RUN_DUE
        ? this.#scheduler.runDue()
        : (this.#scheduler.runNext() ? 1 : 0);
      if (ran > 0) this.#counters.preemptions++;
    } finally {
      this.#inside = false;
    }
  }
}
