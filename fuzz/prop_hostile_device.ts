/**
 * Property `hostile-device`: the driver model under test runs I/O against the hostile device
 * (`hostile_device.ts`: completions with unknown CIDs, error statuses with and without DNR,
 * delayed and dropped doorbells, Controller Fatal Status) and must not crash, hang or corrupt
 * data:
 *
 * - its methods throw nothing but `DriverError` (a clear "controller dead" is allowed);
 * - a command the device failed with Do Not Retry is reported failed;
 * - every command it accepted ends exactly once, within 10 minutes of virtual time — past every
 *   driver's command timeout and recovery (timeout → abort → reset);
 * - a read it reports successful returns what the last successful write to that block stored
 *   (blocks whose write failed or is unknown are not compared);
 * - afterwards, a controller reset brings it back, unless the driver declared the controller dead
 *   (a DriverError), and a new write reads back.
 *
 * (Base 2.1 §4.2.3 status field and DNR, §4.2.1 CID, §9 error recovery and CFS, §3.7.2
 * controller reset.)
 *
 * Command timeouts: a dropped doorbell or an unknown CID loses a completion, and only a driver
 * with a command timeout can end that command. SPDK leaves timeouts to the application (its
 * driver default is `timeoutAction: "none"`), so a lost completion hangs it by design — a
 * configuration, not a robustness bug. When the driver options are empty, this property therefore
 * runs a built-in driver with the timeout handling its application would configure
 * ({@linkcode HOSTILE_DRIVER_DEFAULTS}: SPDK with `timeoutAction: "reset"`, as bdev_nvme's
 * `action_on_timeout`). Any explicit options are used as given: `{"timeoutAction":"none"}`
 * checks SPDK without timeout handling, and the hang is then reported, with that cause named.
 *
 * Speed unit: commands — the Reads and Writes the driver accepted, plus the Write and Read after
 * recovery.
 *
 * @example
 * ```ts
 * import { hostileDeviceProperty } from "./prop_hostile_device.ts";
 * import { runProperty } from "./runner.ts";
 * import { resolveDriver } from "../driver/registry.ts";
 * const driver = await resolveDriver("minimal");
 * const r = runProperty(hostileDeviceProperty(), { driver }, { seed: 5, runs: 3 });
 * if (r.status !== "pass") throw new Error(`${r.error}\n${r.steps.join("\n")}`);
 * ```
 *
 * @module
 */

import fc from "fast-check";
import { DriverError } from "../driver/model.ts";
import { Status } from "../spec/status.ts";
import { type HostileAction, HostileDevice } from "./hostile_device.ts";
import { IoTracker } from "./io_tracker.ts";
import {
  countCommands,
  type FuzzProperty,
  type PropertyContext,
  PropertyViolation,
  requireDriver,
} from "./property.ts";
import { bootSim, controllerOptions, type Sim } from "./sim.ts";

/** Virtual time the drain may take: past every driver's timeout, abort and reset handling. */
const DRAIN_BUDGET_NS = 180e9;
/** Virtual time one case may take in all. */
const CASE_BUDGET_NS = 3600e9;
/** Virtual time between submission bursts. */
const BURST_GAP_NS = 50_000;
/** Longest single wait while the queue depth is reached: past Linux's 30 s I/O timeout. */
const FULL_WAIT_NS = 40e9;
/** The Write and Read after recovery. */
const RECOVERY_COMMANDS = 2;
/** Error statuses the device may answer with (generic command status, NVM command set). */
const ERROR_STATUSES = [
  Status.DATA_TRANSFER_ERROR,
  Status.INTERNAL_ERROR,
  Status.ABORT_REQUESTED,
  Status.LBA_OUT_OF_RANGE,
  Status.NAMESPACE_NOT_READY,
  Status.UNRECOVERED_READ_ERROR,
];

/** One case: the script and the I/O. */
export interface HostileCase {
  /** Controller advertises Doorbell Buffer Config (doorbell faults then spare shadowed queues). */
  readonly shadowDoorbells: boolean;
  /** The device's misbehaviour. */
  readonly actions: readonly HostileAction[];
  /** Commands to submit. */
  readonly ios: number;
  /** Commands kept in flight. */
  readonly queueDepth: number;
}

const at = fc.integer({ min: 0, max: 24 });
/** Arbitrary misbehaviour. */
export const hostileAction: fc.Arbitrary<HostileAction> = fc.oneof(
  fc.record({ kind: fc.constant("unknown-cid" as const), at }),
  fc.record({
    kind: fc.constant("error-status" as const),
    at,
    status: fc.constantFrom(...ERROR_STATUSES),
    dnr: fc.boolean(),
  }),
  fc.record({
    kind: fc.constant("delay-doorbell" as const),
    at,
    ns: fc.oneof(
      { weight: 3, arbitrary: fc.integer({ min: 1_000, max: 1_000_000 }) },
      { weight: 1, arbitrary: fc.integer({ min: 1e9, max: 6e9 }) },
    ),
  }),
  fc.record({ kind: fc.constant("drop-doorbell" as const), at }),
  fc.record({ kind: fc.constant("cfs" as const), at }),
);

/** Arbitrary cases. */
export const hostileCase: fc.Arbitrary<HostileCase> = fc.record({
  shadowDoorbells: fc.boolean(),
  actions: fc.array(hostileAction, { minLength: 1, maxLength: 4 }),
  ios: fc.integer({ min: 1, max: 30 }),
  queueDepth: fc.integer({ min: 1, max: 8 }),
});

/**
 * Driver options this property uses for a built-in driver when the run gave none: the timeout
 * handling an application of that driver configures (see the module notes).
 */
export const HOSTILE_DRIVER_DEFAULTS: Readonly<Record<string, Readonly<Record<string, unknown>>>> =
  Object.freeze({ spdk: Object.freeze({ timeoutAction: "reset" }) });

/** The driver options a case runs with: the context's, or the built-in driver's defaults. */
export function hostileDriverOptions(
  ctx: PropertyContext,
): Readonly<Record<string, unknown>> {
  const given = ctx.driverOptions ?? {};
  if (Object.keys(given).length > 0 || ctx.driver === undefined) return given;
  return HOSTILE_DRIVER_DEFAULTS[ctx.driver.name] ?? given;
}

/** Calls `f`; a DriverError means the driver declared the controller dead (true). */
function declaredDead(f: () => void): boolean {
  try {
    f();
    return false;
  } catch (e) {
    if (e instanceof DriverError) return true;
    throw e;
  }
}

/** Runs one case; throws on a violation. */
export function runHostileCase(ctx: PropertyContext, c: HostileCase): void {
  const driver = requireDriver(ctx, "hostile-device");
  let hostile: HostileDevice | null = null;
  const driverOptions = hostileDriverOptions(ctx);
  const sim = bootSim(driver, {
    driverOptions,
    guard: { deadlineNs: CASE_BUDGET_NS },
    controller: controllerOptions({ shadowDoorbells: c.shadowDoorbells }, ctx.controller),
    wrap: (ctrl) => (hostile = new HostileDevice(ctrl, c.actions)),
  });
  const device = hostile! as HostileDevice;
  const io = new IoTracker(sim.host, sim.driver, {
    allowErrors: true,
    onCompletion: (c, what) => {
      // A completion the device failed with DNR must reach the caller as a failure.
      const key = `${c.sqid}:${c.cid}`;
      const n = device.dnrErrors.get(key) ?? 0;
      if (c.hostError !== null || n === 0) return null;
      if (n === 1) device.dnrErrors.delete(key);
      else device.dnrErrors.set(key, n - 1);
      return c.status === 0
        ? `${what}: the device failed it with DNR (SQ ${c.sqid} CID ${c.cid}), the driver reports success`
        : null;
    },
  });
  const context = () => `device did: ${device.fired.join("; ") || "nothing"}`;
  let dead: boolean;
  try {
    dead = hostileIo(sim, io, c, context, driver.name, driverOptions);
  } finally {
    countCommands(ctx, io.submitted);
  }
  if (dead) return; // the driver gave up on the controller, having ended every command
  // Recovery: a reset brings the (no longer hostile) device back, and I/O works again.
  device.disarm();
  if (declaredDead(() => sim.driver.reset())) return;
  const after = new IoTracker(sim.host, sim.driver);
  countCommands(ctx, RECOVERY_COMMANDS);
  after.submitWrite(1000);
  after.drain(DRAIN_BUDGET_NS);
  after.submitRead(1000);
  after.drain(DRAIN_BUDGET_NS);
  try {
    after.assertClean();
  } catch (e) {
    throw new PropertyViolation(`after recovery: ${(e as Error).message} (${context()})`);
  }
}

/**
 * A hint for a lost completion when a built-in driver runs without its command timeout handling
 * (explicit options that set `timeoutAction: "none"` or leave it at that default).
 */
function noTimeoutHint(driver: string, options: Readonly<Record<string, unknown>>): string {
  const defaults = HOSTILE_DRIVER_DEFAULTS[driver];
  if (defaults === undefined || (options.timeoutAction ?? "none") !== "none") return "";
  return ` — ${driver} runs with timeoutAction "none", so nothing ends a command whose ` +
    `completion is lost: a finding about that configuration (its application would set ` +
    `${JSON.stringify(defaults)})`;
}

/**
 * The hostile phase: submits and drains; true when the driver declared the controller dead (a
 * legal end once every command ended: there is nothing to recover then).
 */
function hostileIo(
  sim: Sim,
  io: IoTracker,
  c: HostileCase,
  context: () => string,
  driverName: string,
  driverOptions: Readonly<Record<string, unknown>>,
): boolean {
  let lba = 0;
  const dead = declaredDead(() => {
    while (io.submitted < c.ios) {
      while (io.outstanding < c.queueDepth && io.submitted < c.ios) {
        const read = io.submitted % 3 === 2 && io.written.size > 0;
        const ok = read ? io.submitRead([...io.written.keys()][0]) : io.submitWrite(lba++);
        if (!ok) break;
      }
      // With the queue depth reached, wait for a completion however long the driver's own
      // timeout recovery takes (wait returns as soon as one ends); otherwise pace the burst.
      sim.driver.wait(io.outstanding >= c.queueDepth ? FULL_WAIT_NS : BURST_GAP_NS);
      io.assertClean();
    }
    try {
      io.drain(DRAIN_BUDGET_NS);
    } catch (e) {
      if (!(e instanceof PropertyViolation)) throw e;
      throw new PropertyViolation(e.message + noTimeoutHint(driverName, driverOptions));
    }
  });
  if (dead) {
    // The driver gave up on the controller: it must still have ended every command.
    if (io.outstanding > 0) {
      throw new PropertyViolation(
        `driver declared the controller dead with ${io.outstanding} commands never ended (${context()})`,
      );
    }
    io.assertClean();
    return true;
  }
  try {
    io.assertClean();
  } catch (e) {
    throw new PropertyViolation(`${(e as Error).message} (${context()})`);
  }
  return false;
}

function actionText(a: HostileAction): string {
  switch (a.kind) {
    case "unknown-cid":
      return `I/O completion #${a.at} carries an unknown CID`;
    case "error-status":
      return `I/O completion #${a.at} gets status 0x${a.status.toString(16)}${
        a.dnr ? " + DNR" : ""
      }`;
    case "delay-doorbell":
      return `I/O doorbell write #${a.at} delayed ${a.ns} ns`;
    case "drop-doorbell":
      return `I/O doorbell write #${a.at} dropped`;
    case "cfs":
      return `CSTS.CFS at I/O completion #${a.at} (device mute until CC.EN = 0)`;
  }
}

/** The property. */
export function hostileDeviceProperty(): FuzzProperty {
  return {
    name: "hostile-device",
    description: "against unknown-CID completions, error statuses, delayed and dropped " +
      "doorbells and CFS, the driver throws only DriverError, ends every command exactly once " +
      "in bounded virtual time, never reports wrong data as read, and recovers after a reset",
    section: "Base 2.1 §4.2.3, §4.2.1, §9, §3.7.2",
    usesDriver: true,
    defaultRuns: 200,
    property: (ctx) => fc.property(hostileCase, (c) => runHostileCase(ctx, c)),
    steps: ([c]) => {
      const h = c as HostileCase;
      return [
        `I/O: ${h.ios} commands (writes, every third a read), ${h.queueDepth} in flight; ` +
        `shadow doorbells ${h.shadowDoorbells ? "on" : "off"}`,
        ...h.actions.map(actionText),
        "drain; then reset, write and read back",
      ];
    },
  };
}
