/**
 * The machine-readable result of a fuzz run (`deno task fuzz --format json`): one JSON document
 * on stdout with the seed, the driver, every property's result — status, runs, executions,
 * shrinks, replay data, the counterexample steps, wall-clock time, commands (or checks) and the
 * rates — and the totals.
 *
 * @example
 * ```ts
 * import { fuzzJson } from "./report_json.ts";
 * const doc = fuzzJson({ driver: "linux", driverOptions: {}, seed: 1, results: [] });
 * if (doc.format !== "nvme-harness-fuzz-results/1" || doc.totals.passed !== 0) throw new Error();
 * ```
 *
 * @module
 */

import { propertyByName } from "./properties.ts";
import { type Totals, totals } from "./report_text.ts";
import type { MeasuredResult } from "./runner.ts";

/** Format tag of the document. */
export const FUZZ_JSON_FORMAT = "nvme-harness-fuzz-results/1";

/** One property's entry: its measured result, and where its replay file went. */
export interface FuzzJsonResult extends MeasuredResult {
  /** The replay file written for a failure, or null (a pass, or it could not be written). */
  readonly replayFile: string | null;
}

/** The document. */
export interface FuzzJsonReport {
  /** Always {@linkcode FUZZ_JSON_FORMAT}. */
  readonly format: typeof FUZZ_JSON_FORMAT;
  /** `--driver` as given (built-in name or module path). */
  readonly driver: string;
  /** Driver options passed to the factory. */
  readonly driverOptions: Readonly<Record<string, unknown>>;
  /** The fast-check seed of the run. */
  readonly seed: number;
  /** One entry per property, in run order. */
  readonly results: readonly FuzzJsonResult[];
  /** Passed and failed counts, and the sums and rates of {@linkcode Totals}. */
  readonly totals: Totals & { readonly passed: number; readonly failed: number };
}

/** What the document is built from. */
export interface FuzzJsonInput {
  /** `--driver` as given. */
  readonly driver: string;
  /** Driver options. */
  readonly driverOptions: Readonly<Record<string, unknown>>;
  /** The seed. */
  readonly seed: number;
  /** The results, each with its replay file (default null). */
  readonly results: readonly (MeasuredResult & { readonly replayFile?: string | null })[];
}

/** Builds the document (serialise it with `JSON.stringify`). */
export function fuzzJson(input: FuzzJsonInput): FuzzJsonReport {
  const results = input.results.map((r) => ({ ...r, replayFile: r.replayFile ?? null }));
  const passed = results.filter((r) => r.status === "pass").length;
  return {
    format: FUZZ_JSON_FORMAT,
    driver: input.driver,
    driverOptions: input.driverOptions,
    seed: input.seed,
    results,
    totals: { passed, failed: results.length - passed, ...totals(results) },
  };
}

/**
 * The result of a property whose isolated subprocess died or hung before it finished: a failure
 * with `error` saying why, and nothing measured.
 */
export function crashedResult(property: string, seed: number, error: string): MeasuredResult {
  const p = propertyByName(property);
  return {
    property,
    section: p?.section ?? "",
    status: "fail",
    seed,
    runs: 0,
    shrinks: 0,
    interrupted: false,
    path: null,
    replayPath: null,
    counterexample: null,
    steps: [],
    error,
    durationMs: 0,
    executions: 0,
    commands: 0,
    commandUnit: p?.commandUnit ?? "commands",
    executionsPerSecond: 0,
    commandsPerSecond: 0,
  };
}
