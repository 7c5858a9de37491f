/**
 * The sweep's QEMU cross-check: the same 4 KiB random-read workload (`sweep_workload.ts`: same
 * seed, same I/O count, same warm-up and measured window) through the Linux-like driver with
 * interrupt (MSI-X) completion on one I/O queue — the anchor's shape — at each queue depth, with
 * and without shadow doorbells, on
 *
 * - **QEMU** over qtest (`platform/qtest/`, a `null-co` namespace like the anchor's), and
 * - the **reference controller** in the same timing regime (`crosscheck_host.ts`), configured
 *   like QEMU ≥ 7.2.1 (Doorbell Buffer Config offered, EventIdx published as it processes),
 *
 * counting MMIO doorbell writes per I/O (SQ tail and CQ head separately) over the measured window
 * only: bring-up, admin commands and the warm-up are outside it. Each row also carries the sweep's
 * model under the anchor profile and the published value. A fresh QEMU per point keeps points
 * independent (start-up is ~50 ms).
 *
 * When QEMU cannot run here the result says why (`skipped`) instead of failing.
 *
 * @example A one-point cross-check (needs QEMU ≥ 7.2 and --allow-run)
 * ```ts ignore
 * import { runQemuCrossCheck } from "./qemu_crosscheck.ts";
 * const r = runQemuCrossCheck({ qds: [1], ios: 100 });
 * console.log(r.skipped ?? r.rows.map((x) => x.qemu?.doorbells.totalPerIo));
 * ```
 *
 * @module
 */

import { NvmeController } from "../controller/controller.ts";
import { createDriver as createLinuxDriver } from "../driver/linux/driver.ts";
import { DriverError, type DriverFactory } from "../driver/model.ts";
import { Machine } from "../platform/machine.ts";
import type { HostPort } from "../platform/ports.ts";
import { qemuAvailable } from "../platform/qtest/available.ts";
import { startQemu } from "../platform/qtest/machine.ts";
import type { Trace } from "../platform/trace.ts";
import { type CostModel, DEFAULT_COST_MODEL } from "./cost_model.ts";
import { qtestRegimeCost, RoundTripHostPort } from "./crosscheck_host.ts";
import {
  CROSSCHECK_NOTES,
  type CrossCheckResult,
  type CrossCheckRow,
  type DoorbellsPerIo,
  doorbellsPerIo,
  maxDifference,
  publishedAnchor,
  ShadowDecisionCounter,
  type SideMeasurement,
} from "./crosscheck_rows.ts";
import { ANCHOR_COST_OVERRIDES } from "./sweep_anchor.ts";
import { COALESCING_OFF, type DoorbellMode, type RowConfig } from "./sweep_matrix.ts";
import { controllerOptionsFor, driverSetupFor, runRow } from "./sweep_row.ts";
import { ChargingHostPort } from "./sweep_host.ts";
import { runSweepWorkload } from "./sweep_workload.ts";

/** Queue depths of the cross-check: the anchor's 1/2/4/8 and two deeper ones. */
export const CROSSCHECK_QDS: readonly number[] = [1, 2, 4, 8, 16, 32];
/** The anchor's depths only (`--quick`). */
export const CROSSCHECK_QUICK_QDS: readonly number[] = [1, 2, 4, 8];
/** Measured I/Os per point: enough for two decimals, and the whole run stays in seconds. */
export const CROSSCHECK_IOS = 500;
/** Serial number of the cross-check's QEMU controllers. */
const QEMU_SERIAL = "crosscheck";

/** Options of {@linkcode runQemuCrossCheck}; every field has a default. */
export interface CrossCheckOptions {
  /** Queue depths (default {@linkcode CROSSCHECK_QDS}). */
  readonly qds?: readonly number[];
  /** Measured I/Os per point (default {@linkcode CROSSCHECK_IOS}). */
  readonly ios?: number;
  /** Seed of the LBA stream (default 1). */
  readonly seed?: number;
  /** The sweep's cost model, base of both model profiles (default {@linkcode DEFAULT_COST_MODEL}). */
  readonly cost?: CostModel;
  /** QEMU binary (default: the platform's choice, `$NVME_HARNESS_QEMU` or on PATH). */
  readonly qemuBinary?: string;
  /** The Linux-like driver factory (default the built-in one). */
  readonly driver?: DriverFactory;
  /** Called after each row (progress). */
  readonly onRow?: (row: CrossCheckRow, index: number, total: number) => void;
}

/** The row configuration of a point: the anchor's shape (Linux, interrupt, 1 queue, randread). */
export function crossCheckConfig(qd: number, shadow: boolean): RowConfig {
  const doorbell: DoorbellMode = shadow ? "shadow-eventidx-interrupt" : "mmio";
  return {
    driver: "linux",
    completion: "interrupt",
    doorbell,
    coalescing: COALESCING_OFF,
    qd,
    queues: 1,
    workload: "randread",
  };
}

/** Warm-up completions before the window opens, as the sweep's rows use. */
export function warmupFor(qd: number, ios: number): number {
  return Math.max(2 * qd, Math.ceil(ios / 10));
}

/** What one point runs: its configuration, size, seed and driver. */
export interface PointRun {
  /** The row configuration ({@linkcode crossCheckConfig}). */
  readonly config: RowConfig;
  /** Measured I/Os. */
  readonly ios: number;
  /** Seed of the LBA stream. */
  readonly seed: number;
  /** The driver factory. */
  readonly factory: DriverFactory;
}

/** Brings the driver up on `host`, runs the workload and measures it. `charge` turns the cost
 * model's charges on after bring-up (the model side); without it the port is a pass-through. */
function measure(
  host: ChargingHostPort,
  trace: Trace,
  run: PointRun,
  cost: CostModel,
  charge: boolean,
): SideMeasurement {
  const setup = driverSetupFor(run.config);
  const driver = run.factory(host, setup.options);
  const info = driver.bringUp();
  host.charging = charge;
  const shadow = run.config.doorbell !== "mmio";
  if (info.shadowDoorbells !== shadow) {
    throw new DriverError(
      `shadow doorbells ${info.shadowDoorbells ? "on" : "off"}, expected ${shadow ? "on" : "off"}`,
    );
  }
  const decisions = new ShadowDecisionCounter();
  trace.addSink(decisions);
  try {
    const r = runSweepWorkload(host, driver, cost, {
      kind: run.config.workload,
      ios: run.ios,
      warmup: warmupFor(run.config.qd, run.ios),
      queueDepth: run.config.qd,
      contexts: setup.contexts,
      polled: setup.polled,
      seed: run.seed,
    });
    if (r.errors > 0) throw new DriverError(`${r.errors} commands failed; first: ${r.firstError}`);
    return {
      doorbells: doorbellsPerIo(r.before, r.after, r.completed),
      decisions: decisions.snapshot(),
    };
  } finally {
    trace.removeSink(decisions);
  }
}

/** The QEMU side of one point: a fresh QEMU with a `null-co` namespace (as the anchor). */
export function measureOnQemu(run: PointRun, binary?: string): SideMeasurement {
  const m = startQemu({ binary, serial: QEMU_SERIAL, namespaces: [{ backing: "null" }] });
  try {
    // A ChargingHostPort that never charges is a transparent wrapper: it lets QEMU run the very
    // same workload function as the model. Its machine is never touched while charging is off.
    const host = new ChargingHostPort(m.host, new Machine(), DEFAULT_COST_MODEL);
    return measure(host, m.host.traceHub, run, DEFAULT_COST_MODEL, false);
  } finally {
    m.close();
  }
}

/** The model side of one point: the reference controller in the qtest regime (`cost` is
 * {@linkcode qtestRegimeCost} of the sweep's model). */
export function measureOnModel(run: PointRun, cost: CostModel): SideMeasurement {
  const machine = new Machine({ pollQuantumNs: cost.pollNs });
  const ctrl = new NvmeController(controllerOptionsFor(run.config, cost));
  const inner: HostPort = machine.attach(ctrl);
  return measure(new RoundTripHostPort(inner, machine, cost), machine.trace, run, cost, true);
}

/** The sweep's model under the anchor profile at one point (`sweep_row.ts`); throws when the row
 * failed. */
export function measureAnchorProfile(run: PointRun, cost: CostModel): DoorbellsPerIo {
  const row = runRow(run.config, run.factory, cost, { ios: run.ios, seed: run.seed });
  if (row.error !== null) throw new DriverError(row.error);
  return {
    sqPerIo: row.sqTailMmioPerIo,
    cqPerIo: row.cqHeadMmioPerIo,
    totalPerIo: row.mmioWritesPerIo,
  };
}

function errorText(side: string, e: unknown): string {
  return `${side}: ${e instanceof Error ? e.message.split("\n")[0] : String(e)}`;
}

/** Runs the cross-check; never throws for a missing QEMU (the result says `skipped`). */
export function runQemuCrossCheck(options: CrossCheckOptions = {}): CrossCheckResult {
  const qds = options.qds ?? CROSSCHECK_QDS;
  const ios = options.ios ?? CROSSCHECK_IOS;
  const seed = options.seed ?? 1;
  const base = options.cost ?? DEFAULT_COST_MODEL;
  const modelCost = qtestRegimeCost(base);
  const anchorCost: CostModel = Object.freeze({ ...base, ...ANCHOR_COST_OVERRIDES });
  const factory = options.driver ?? createLinuxDriver;
  const empty = { ios, seed, qds, modelCost, anchorCost, notes: CROSSCHECK_NOTES };
  let available;
  try {
    available = options.qemuBinary === undefined
      ? qemuAvailable()
      : qemuAvailable(options.qemuBinary);
  } catch (e) {
    return { ...empty, skipped: errorText("QEMU", e), qemu: "", rows: [], maxDifference: 0 };
  }
  if (!available.ok) {
    return { ...empty, skipped: available.reason, qemu: "", rows: [], maxDifference: 0 };
  }
  const points = [false, true].flatMap((shadow) => qds.map((qd) => ({ qd, shadow })));
  const rows: CrossCheckRow[] = [];
  for (const { qd, shadow } of points) {
    const run: PointRun = { config: crossCheckConfig(qd, shadow), ios, seed, factory };
    const errors: string[] = [];
    const attempt = <T>(side: string, f: () => T): T | null => {
      try {
        return f();
      } catch (e) {
        errors.push(errorText(side, e));
        return null;
      }
    };
    const row: CrossCheckRow = {
      qd,
      shadow,
      qemu: attempt("QEMU", () => measureOnQemu(run, available.binary)),
      model: attempt("model", () => measureOnModel(run, modelCost)),
      anchorProfile: attempt("anchor profile", () => measureAnchorProfile(run, anchorCost)),
      anchor: publishedAnchor(qd, shadow),
      error: errors.length > 0 ? errors.join("; ") : null,
    };
    rows.push(row);
    options.onRow?.(row, rows.length - 1, points.length);
  }
  return {
    ...empty,
    skipped: null,
    qemu: `${available.binary} ${available.version.text}`,
    rows,
    maxDifference: maxDifference(rows),
  };
}
