/**
 * Runs fuzz properties with fast-check and turns the outcome into a report: pass, or fail with the
 * shrunk counterexample as readable steps, the error, and what it takes to replay the case
 * exactly (seed, path, and for model-based properties fast-check's `replayPath`). A throw from the
 * driver model under test is a failure of the property, never of the runner.
 *
 * The report also says how fast the property ran: wall-clock time (every case's bring-up and
 * shrinking included), executions of the predicate, and the commands (or checks) the cases
 * counted through the context's {@linkcode CommandTally} — so executions/s and commands/s. A
 * caller may watch a long run through `onProgress`.
 *
 * @example
 * ```ts
 * import { runProperty } from "./runner.ts";
 * import { needEventProperty } from "./prop_need_event.ts";
 * const r = runProperty(needEventProperty(), {}, { seed: 42, runs: 50 });
 * if (r.status !== "pass" || r.runs !== 50 || r.seed !== 42) throw new Error();
 * if (r.executions !== 50 || r.commands !== 100 || r.commandUnit !== "checks") throw new Error();
 * ```
 *
 * @module
 */

import fc from "fast-check";
import {
  CommandTally,
  type CommandUnit,
  type FastCheckProperty,
  type FuzzProperty,
  type PropertyContext,
} from "./property.ts";

/** Where a running property is, for a progress display (one object, updated in place). */
export interface RunProgress {
  /** Predicate executions so far (generated cases, then shrink attempts). */
  executions: number;
  /** Cases the run asks for. */
  runs: number;
  /** A case failed: the executions since are shrink attempts. */
  shrinking: boolean;
  /** Cases generated before the first failure (equals `executions` until one fails). */
  casesRun: number;
}

/** How to run one property. */
export interface RunOptions {
  /** fast-check seed (32-bit). */
  readonly seed: number;
  /** Generated cases (default: the property's own default, else 100). */
  readonly runs?: number;
  /** Stop generating after this many milliseconds of wall-clock time (shrinking included). */
  readonly timeLimitMs?: number;
  /** Replay only the case at this fast-check path (from a failure). */
  readonly path?: string;
  /** fast-check `replayPath` of a model-based counterexample (with `path`). */
  readonly replayPath?: string;
  /**
   * Called after every execution of the predicate with the same, updated object (no allocation
   * per case); a display should throttle itself.
   */
  readonly onProgress?: (progress: Readonly<RunProgress>) => void;
}

/** What a run found. */
export interface PropertyResult {
  /** Property name. */
  readonly property: string;
  /** Its spec section. */
  readonly section: string;
  /** pass: every case held; fail: a counterexample (shrunk). */
  readonly status: "pass" | "fail";
  /** The seed used. */
  readonly seed: number;
  /** Cases run (up to and including the first failure). */
  readonly runs: number;
  /** Shrinking steps that led to the counterexample. */
  readonly shrinks: number;
  /** The time limit stopped generation early (a pass over fewer cases). */
  readonly interrupted: boolean;
  /** fast-check path of the counterexample (for replay), or null. */
  readonly path: string | null;
  /** fast-check `replayPath` for model-based counterexamples, or null. */
  readonly replayPath: string | null;
  /** The counterexample as fast-check renders it, or null. */
  readonly counterexample: string | null;
  /** The counterexample as readable steps (empty on a pass). */
  readonly steps: readonly string[];
  /** The violation, `Name: message` (empty on a pass). */
  readonly error: string;
  /** Wall-clock milliseconds (every case's bring-up and any shrinking included). */
  readonly durationMs: number;
}

/**
 * A result with its speed: what the run executed and counted, and the rates over
 * {@linkcode PropertyResult.durationMs}.
 */
export interface MeasuredResult extends PropertyResult {
  /** Predicate executions (generated cases plus shrink attempts). */
  readonly executions: number;
  /** Commands (or checks, see `commandUnit`) the executions counted. */
  readonly commands: number;
  /** What `commands` counts (the property's {@linkcode FuzzProperty.commandUnit}). */
  readonly commandUnit: CommandUnit;
  /** Executions per second of wall-clock time (0 when no time was measured). */
  readonly executionsPerSecond: number;
  /** Commands (or checks) per second of wall-clock time (0 when no time was measured). */
  readonly commandsPerSecond: number;
}

/** Cases per property when neither the caller nor the property says. */
export const DEFAULT_RUNS = 100;

/** `Name: message` of anything thrown. */
export function errorText(e: unknown): string {
  if (e instanceof Error) return `${e.name}: ${e.message}`;
  return String(e);
}

/** fast-check's `replayPath` hint inside a rendered counterexample (fc.commands), or null. */
export function replayPathOf(rendered: string): string | null {
  const m = /replayPath="([^"]*)"/.exec(rendered);
  return m ? m[1] : null;
}

function stepsOf(prop: FuzzProperty, counterexample: readonly unknown[]): readonly string[] {
  try {
    if (prop.steps) return prop.steps(counterexample);
  } catch {
    // A rendering bug must not hide the failure: fall back to fast-check's rendering.
  }
  return counterexample.map((v) => fc.stringify(v));
}

/** `count` per second of `ms` milliseconds (0 when no time passed). */
export function perSecond(count: number, ms: number): number {
  return ms > 0 ? count / (ms / 1000) : 0;
}

/**
 * `raw` with its predicate counted: every execution updates `progress` (a failure switches it to
 * shrinking) and calls `onProgress`. Generation and shrinking are delegated unchanged.
 */
function counted(
  raw: FastCheckProperty,
  progress: RunProgress,
  onProgress: ((p: Readonly<RunProgress>) => void) | undefined,
): FastCheckProperty {
  return {
    isAsync: () => raw.isAsync(),
    generate: (mrng, runId) => raw.generate(mrng, runId),
    shrink: (value) => raw.shrink(value),
    runBeforeEach: () => raw.runBeforeEach(),
    runAfterEach: () => raw.runAfterEach(),
    run: (v) => {
      const out = raw.run(v);
      progress.executions++;
      if (!progress.shrinking) {
        progress.casesRun++;
        if (out !== null && !fc.PreconditionFailure.isFailure(out)) progress.shrinking = true;
      }
      onProgress?.(progress);
      return out;
    },
  } as FastCheckProperty;
}

/** Runs `prop` under `ctx` (seed and runs come from `options`) and reports. */
export function runProperty(
  prop: FuzzProperty,
  ctx: Omit<PropertyContext, "seed" | "runs" | "replayPath" | "tally">,
  options: RunOptions,
): MeasuredResult {
  const runs = options.runs ?? prop.defaultRuns ?? DEFAULT_RUNS;
  const tally = new CommandTally();
  const progress: RunProgress = { executions: 0, runs, shrinking: false, casesRun: 0 };
  const started = performance.now();
  const property = counted(
    prop.property({ ...ctx, seed: options.seed, runs, replayPath: options.replayPath, tally }),
    progress,
    options.onProgress,
  );
  // Every property here is synchronous, so fc.check returns its details directly.
  const details = fc.check(property, {
    seed: options.seed,
    numRuns: runs,
    ...(options.path === undefined ? {} : { path: options.path, endOnFailure: true }),
    ...(options.timeLimitMs === undefined
      ? {}
      : { interruptAfterTimeLimit: options.timeLimitMs, markInterruptAsFailure: false }),
  }) as fc.RunDetails<unknown[]>;
  const durationMs = performance.now() - started;
  const base = {
    property: prop.name,
    section: prop.section,
    seed: details.seed,
    runs: details.numRuns,
    shrinks: details.numShrinks,
    interrupted: details.interrupted,
    durationMs,
    executions: progress.executions,
    commands: tally.commands,
    commandUnit: prop.commandUnit ?? "commands",
    executionsPerSecond: perSecond(progress.executions, durationMs),
    commandsPerSecond: perSecond(tally.commands, durationMs),
  };
  if (!details.failed) {
    return {
      ...base,
      status: "pass",
      path: null,
      replayPath: null,
      counterexample: null,
      steps: [],
      error: "",
    };
  }
  const ce = details.counterexample as unknown[] | null;
  const rendered = ce === null ? null : fc.stringify(ce);
  return {
    ...base,
    status: "fail",
    path: details.counterexamplePath,
    replayPath: rendered === null ? null : replayPathOf(rendered),
    counterexample: rendered,
    steps: ce === null ? [] : stepsOf(prop, ce),
    error: errorText(details.errorInstance),
  };
}
