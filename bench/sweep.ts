/**
 * The benchmark sweep: runs every row of the matrix (`sweep_matrix.ts`) with the built-in driver
 * models under one cost model (`cost_model.ts`), plus the QEMU anchor comparison
 * (`sweep_anchor.ts`) and, on request, the cross-check against a real QEMU over qtest
 * (`qemu_crosscheck.ts`), and returns one {@linkcode SweepResult} that the reports render. How
 * each row's numbers are derived is in `sweep_row.ts`.
 *
 * A driver that fails to load (the SPDK-like model is optional) is skipped with its reason; a row
 * that fails to run keeps its place with the error and NaN numbers.
 *
 * @example A two-row sweep
 * ```ts
 * import { runSweepMatrix } from "./sweep.ts";
 * import { COALESCING_OFF } from "./sweep_matrix.ts";
 * const rows = [1, 2].map((qd) => ({
 *   driver: "linux" as const, completion: "polled" as const, doorbell: "mmio" as const,
 *   coalescing: COALESCING_OFF, qd, queues: 1, workload: "randread" as const,
 * }));
 * const r = await runSweepMatrix({ rows, ios: 50, anchor: false });
 * if (r.rows.length !== 2 || r.rows[0].interruptsPerIo !== 0 || r.crossCheck !== null) {
 *   throw new Error();
 * }
 * ```
 *
 * @module
 */

import denoJson from "../deno.json" with { type: "json" };
import { DEFAULT_OPTIONS as CONTROLLER_DEFAULTS } from "../controller/options.ts";
import type { DriverFactory } from "../driver/model.ts";
import { resolveDriver } from "../driver/registry.ts";
import { type CostModel, DEFAULT_COST_MODEL, overriddenCosts } from "./cost_model.ts";
import type { CrossCheckResult, CrossCheckRow } from "./crosscheck_rows.ts";
import { CROSSCHECK_QDS, CROSSCHECK_QUICK_QDS, runQemuCrossCheck } from "./qemu_crosscheck.ts";
import { type AnchorComparison, runAnchor } from "./sweep_anchor.ts";
import { fullMatrix, quickMatrix, type RowConfig, type SweepDriver } from "./sweep_matrix.ts";
import { runRow, type SweepRow } from "./sweep_row.ts";

/** Measured I/Os per row of the full sweep. */
export const FULL_IOS = 3000;
/** Measured I/Os per row of `--quick`. */
export const QUICK_IOS = 500;
/** Default seed of the LBA streams. */
export const DEFAULT_SEED = 1;

/** Options of {@linkcode runSweepMatrix}; every field has a default. */
export interface SweepOptions {
  /** Run the quick subset (default false: the full matrix). Ignored when `rows` is given. */
  readonly quick?: boolean;
  /** Explicit rows (default: the quick or full matrix). */
  readonly rows?: readonly RowConfig[];
  /** The cost model (default {@linkcode DEFAULT_COST_MODEL}). */
  readonly cost?: CostModel;
  /** Measured I/Os per row (default {@linkcode QUICK_IOS} / {@linkcode FULL_IOS}). */
  readonly ios?: number;
  /** Seed of the LBA streams (default 1). */
  readonly seed?: number;
  /** Run the QEMU anchor comparison (default true). */
  readonly anchor?: boolean;
  /** Driver factories to use instead of the registry's (tests inject failures here). */
  readonly drivers?: Partial<Record<SweepDriver, () => Promise<DriverFactory>>>;
  /** Run the QEMU cross-check (default false; QEMU 1/2/4/8, plus 16/32 unless `quick`). */
  readonly qemuCrossCheck?: boolean;
  /** Measured I/Os per cross-check point (default `CROSSCHECK_IOS`, 500). */
  readonly crossCheckIos?: number;
  /** Called after each row (progress). */
  readonly onRow?: (row: SweepRow, index: number, total: number) => void;
  /** Called after each cross-check row (progress). */
  readonly onCrossCheckRow?: (row: CrossCheckRow, index: number, total: number) => void;
}

/** A driver the sweep could not load. */
export interface SkippedDriver {
  /** Driver name. */
  readonly driver: SweepDriver;
  /** Why. */
  readonly reason: string;
}

/** Versions of everything that produced the numbers. */
export interface SweepVersions {
  /** nvme-harness version (deno.json). */
  readonly harness: string;
  /** Deno. */
  readonly deno: string;
  /** V8. */
  readonly v8: string;
  /** TypeScript. */
  readonly typescript: string;
  /** Specifications the model follows. */
  readonly spec: string;
  /** VS the reference controller reports. */
  readonly controllerVersion: string;
}

/** Everything one sweep produced. */
export interface SweepResult {
  /** Versions. */
  readonly versions: SweepVersions;
  /** The quick subset or the full matrix (or "custom" rows). */
  readonly matrix: "quick" | "full" | "custom";
  /** Measured I/Os per row. */
  readonly iosPerRow: number;
  /** Seed of the LBA streams. */
  readonly seed: number;
  /** The cost model used. */
  readonly cost: CostModel;
  /** Constants that differ from their defaults. */
  readonly costOverrides: readonly (keyof CostModel)[];
  /** Drivers skipped. */
  readonly skipped: readonly SkippedDriver[];
  /** One row per configuration run. */
  readonly rows: readonly SweepRow[];
  /** The QEMU anchor comparison, or null when not run. */
  readonly anchor: AnchorComparison | null;
  /** The QEMU cross-check (possibly `skipped` with its reason), or null when not asked for. */
  readonly crossCheck: CrossCheckResult | null;
}

/** The versions of this run. */
export function sweepVersions(): SweepVersions {
  return {
    harness: denoJson.version,
    deno: Deno.version.deno,
    v8: Deno.version.v8,
    typescript: Deno.version.typescript,
    spec: "NVMe Base 2.1, NVM Command Set 1.1, PCIe Transport 1.1",
    controllerVersion: CONTROLLER_DEFAULTS.version.join("."),
  };
}

function errorText(e: unknown): string {
  return e instanceof Error ? e.message.split("\n")[0] : String(e);
}

/** Loads each needed driver; failures become {@linkcode SkippedDriver} entries. */
async function loadDrivers(
  names: readonly SweepDriver[],
  injected: SweepOptions["drivers"],
): Promise<{ factories: Map<SweepDriver, DriverFactory>; skipped: SkippedDriver[] }> {
  const factories = new Map<SweepDriver, DriverFactory>();
  const skipped: SkippedDriver[] = [];
  for (const name of names) {
    try {
      const load = injected?.[name] ?? (async () => (await resolveDriver(name)).factory);
      factories.set(name, await load());
    } catch (e) {
      skipped.push({ driver: name, reason: `could not load: ${errorText(e)}` });
    }
  }
  return { factories, skipped };
}

/** Runs the sweep; see {@linkcode SweepOptions}. */
export async function runSweepMatrix(options: SweepOptions = {}): Promise<SweepResult> {
  const quick = options.quick ?? false;
  const configs = options.rows ?? (quick ? quickMatrix() : fullMatrix());
  const cost = options.cost ?? DEFAULT_COST_MODEL;
  const ios = options.ios ?? (quick ? QUICK_IOS : FULL_IOS);
  const seed = options.seed ?? DEFAULT_SEED;
  const anchor = options.anchor ?? true;
  const needed = new Set<SweepDriver>(configs.map((c) => c.driver));
  if (anchor) needed.add("linux");
  const { factories, skipped } = await loadDrivers([...needed], options.drivers);
  const runnable = configs.filter((c) => factories.has(c.driver));
  const rows: SweepRow[] = [];
  for (const config of runnable) {
    const row = runRow(config, factories.get(config.driver)!, cost, { ios, seed });
    rows.push(row);
    options.onRow?.(row, rows.length - 1, runnable.length);
  }
  const linux = factories.get("linux");
  const crossCheck = options.qemuCrossCheck
    ? runQemuCrossCheck({
      qds: quick ? CROSSCHECK_QUICK_QDS : CROSSCHECK_QDS,
      ios: options.crossCheckIos,
      seed,
      cost,
      driver: linux,
      onRow: options.onCrossCheckRow,
    })
    : null;
  return {
    versions: sweepVersions(),
    matrix: options.rows ? "custom" : quick ? "quick" : "full",
    iosPerRow: ios,
    seed,
    cost,
    costOverrides: overriddenCosts(cost),
    skipped,
    rows,
    anchor: anchor && linux ? runAnchor(linux, cost, { ios, seed }) : null,
    crossCheck,
  };
}

/** True when every row ran without errors (a skipped driver or a skipped QEMU cross-check is not
 * a failure; a cross-check point that failed is). */
export function sweepSucceeded(result: SweepResult): boolean {
  return result.rows.every((r) => r.error === null) &&
    (result.anchor?.rows ?? []).every((r) => r.error === null) &&
    (result.crossCheck?.rows ?? []).every((r) => r.error === null);
}
