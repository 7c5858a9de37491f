/**
 * What a fuzz property is: a named, documented invariant with the spec section it checks, and a
 * function that builds the fast-check property for a {@linkcode PropertyContext} (the driver model
 * under test, controller options such as mutants, the run's seed and budget). The registry of
 * every property is `properties.ts`; the runner (`runner.ts`) checks them, shrinks failures and
 * writes replay files.
 *
 * A property's predicate signals a violation by throwing: {@linkcode PropertyViolation} for a
 * broken invariant (the message says which, with the values involved), {@linkcode HangError}
 * when the driver used up its virtual-time or host-access budget. Anything else a driver throws
 * is a failure too — a crash of the model under test, never of the harness.
 *
 * @example A tiny property in this shape
 * ```ts
 * import fc from "fast-check";
 * import { type FuzzProperty, PropertyViolation } from "./property.ts";
 * const evenSum: FuzzProperty = {
 *   name: "even-sum",
 *   description: "the sum of two equal numbers is even",
 *   section: "none",
 *   usesDriver: false,
 *   property: () =>
 *     fc.property(fc.integer(), (n) => {
 *       if ((n + n) % 2 !== 0) throw new PropertyViolation(`${n} + ${n} is odd`);
 *     }),
 * };
 * if (evenSum.property({ seed: 1, runs: 10 }) === undefined) throw new Error();
 * ```
 *
 * @module
 */

import type { IRawProperty } from "fast-check";
import type { ControllerOptions } from "../controller/options.ts";
import type { ResolvedDriver } from "../driver/registry.ts";

/**
 * A fast-check property over a tuple of generated values (what `fc.property` returns; pass it to
 * `fc.check` or `fc.assert`).
 *
 * @ignore
 */
export type FastCheckProperty = IRawProperty<unknown[]>;

/** What a property is built for. */
export interface PropertyContext {
  /** The driver model under test (properties with `usesDriver` need it). */
  readonly driver?: ResolvedDriver;
  /** Options passed to the driver factory (default none: the driver's defaults). */
  readonly driverOptions?: Readonly<Record<string, unknown>>;
  /** Controller options laid over each property's own (e.g. `{ mutants: ["…"] }`). */
  readonly controller?: Readonly<Partial<ControllerOptions>>;
  /** The seed of the run (fast-check's; properties draw every random choice from it). */
  readonly seed: number;
  /** Number of generated cases the run asks for. */
  readonly runs: number;
  /** fast-check `replayPath` of a model-based (fc.commands) counterexample, when replaying. */
  readonly replayPath?: string;
  /**
   * Where the property adds up the commands (or checks) its cases execute, for the speed report;
   * the runner passes one, a property built without it counts nothing.
   */
  readonly tally?: CommandTally;
}

/**
 * What a property counts in {@linkcode CommandTally}: NVMe commands it issued through the driver
 * or the host port, or — for properties that check pure functions or registers — checks.
 */
export type CommandUnit = "commands" | "checks";

/**
 * A running count of the commands a property's cases executed (every case, shrinking included).
 * One number field, incremented in place: counting allocates nothing.
 *
 * @example
 * ```ts
 * import { CommandTally, countCommands } from "./property.ts";
 * const tally = new CommandTally();
 * countCommands({ seed: 1, runs: 1, tally }, 3);
 * countCommands({ seed: 1, runs: 1 }, 5); // no tally: nothing counted
 * if (tally.commands !== 3) throw new Error();
 * ```
 */
export class CommandTally {
  /** Commands (or checks) counted so far. */
  commands = 0;
}

/** Adds `n` commands to the context's tally (a no-op without one). */
export function countCommands(ctx: PropertyContext, n: number): void {
  if (ctx.tally !== undefined) ctx.tally.commands += n;
}

/** A named invariant. */
export interface FuzzProperty {
  /** Kebab-case name (`--property NAME`). */
  readonly name: string;
  /** The invariant, in one or two sentences. */
  readonly description: string;
  /** The specification section(s) the invariant comes from. */
  readonly section: string;
  /** The property runs a driver model (false: it checks pure functions or the controller). */
  readonly usesDriver: boolean;
  /** Generated cases per run unless told otherwise (sized so a run takes seconds). */
  readonly defaultRuns?: number;
  /**
   * What the property counts with {@linkcode countCommands} (default `commands`); its JSDoc
   * defines exactly which ones.
   */
  readonly commandUnit?: CommandUnit;
  /** Builds the fast-check property; its predicate throws on a violation. */
  property(ctx: PropertyContext): FastCheckProperty;
  /** Readable steps of a counterexample (default: fast-check's rendering of the values). */
  steps?(counterexample: readonly unknown[]): readonly string[];
}

/** A broken invariant: the message states what was expected and what happened. */
export class PropertyViolation extends Error {
  /** Creates the violation. */
  constructor(message: string) {
    super(message);
    this.name = "PropertyViolation";
  }
}

/** The driver used up its budget of virtual time or host accesses: a hang, reported as such. */
export class HangError extends Error {
  /** Creates the error; `message` says which budget ran out and where. */
  constructor(message: string) {
    super(message);
    this.name = "HangError";
  }
}

/** Throws a {@linkcode PropertyViolation} with `message` unless `ok`. */
export function check(ok: boolean, message: string | (() => string)): asserts ok {
  if (!ok) throw new PropertyViolation(typeof message === "string" ? message : message());
}

/** The driver of a context, or a clear error when a driver property got none. */
export function requireDriver(ctx: PropertyContext, property: string): ResolvedDriver {
  if (!ctx.driver) {
    throw new TypeError(`property ${property} runs a driver model: pass ctx.driver`);
  }
  return ctx.driver;
}
