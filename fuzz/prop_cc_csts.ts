/**
 * Property `cc-csts`: arbitrary sequences of controller-register writes — CC with EN toggles,
 * SHN requests (normal, abrupt, reserved 11b), bad enable values (MPS beyond CAP.MPSMAX, CSS,
 * AMS, IOSQES/IOCQES the controller does not support), raw 32-bit CC values; AQA; ASQ/ACQ as
 * two 32-bit halves in either order or one 64-bit write, aligned or not; NVM Subsystem Reset
 * with the right and wrong values; and waits — keep CSTS legal at every step, observed after
 * every write (Base 2.1 §3.1.4.5 CC, §3.1.4.6 CSTS, §3.5 initialization and reset, §3.6
 * shutdown):
 *
 * - CSTS bits 31:7 are 0 and SHST is never the reserved 11b;
 * - RDY reads 1 only while CC.EN is 1, or within CAP.TO of EN being cleared (reset in progress);
 * - after EN 0→1, RDY or CFS is 1 within CAP.TO (the reference controller reports a
 *   configuration it cannot enable with CFS);
 * - SHST is not 00b only after a shutdown request since the last enable or subsystem reset; a
 *   requested shutdown (with no reset after it) reports SHST = 10b within CAP.TO.
 *
 * Then the driver model under test brings the controller up from whatever state the sequence left
 * it in, without a host-obligation finding, and one written block reads back.
 *
 * The controller runs with CAP.TO = CRTO = 1 (500 ms) so that waits past the timeout stay short.
 *
 * Speed unit: checks — each register operation applied (CSTS is checked after every one), plus
 * the closing Write and Read.
 *
 * @example
 * ```ts
 * import { ccCstsProperty } from "./prop_cc_csts.ts";
 * import { runProperty } from "./runner.ts";
 * import { resolveDriver } from "../driver/registry.ts";
 * const driver = await resolveDriver("minimal");
 * const r = runProperty(ccCstsProperty(), { driver }, { seed: 1, runs: 5 });
 * if (r.status !== "pass") throw new Error(`${r.error}\n${r.steps.join("\n")}`);
 * ```
 *
 * @module
 */

import fc from "fast-check";
import { NvmeController } from "../controller/controller.ts";
import { Machine } from "../platform/machine.ts";
import type { HostPort } from "../platform/ports.ts";
import {
  CC,
  CommandSetSelected,
  encodeRegister,
  NSSR_RESET_VALUE,
  RegisterOffset as R,
  ShutdownNotification,
  ShutdownStatus,
  timeoutUnitsToNs,
} from "../spec/registers.ts";
import { CQE_SIZE_SHIFT } from "../spec/cqe.ts";
import { SQE_SIZE_SHIFT } from "../spec/sqe.ts";
import { GuardedHostPort } from "./guarded_host.ts";
import { IoTracker } from "./io_tracker.ts";
import {
  check,
  countCommands,
  type FuzzProperty,
  type PropertyContext,
  PropertyViolation,
  requireDriver,
} from "./property.ts";
import { controllerOptions, findingsText } from "./sim.ts";

/** CAP.TO (and CRTO) of the controller in this property: 1 × 500 ms. */
const TIMEOUT_UNITS = 1;
const TIMEOUT_NS = timeoutUnitsToNs(TIMEOUT_UNITS);
const CSTS_RDY = 1, CSTS_CFS = 2;
const CSTS_RESERVED = ~0x7f >>> 0;
const PAGE = 4096;
/** Admin queue entries of the "admin-setup" step. */
const ADMIN_SETUP_ENTRIES = 16;
/** Virtual time the driver phase may use. */
const DRIVER_BUDGET_NS = 60e9;
const DRAIN_BUDGET_NS = 5e9;
/** The driver phase's Write and Read. */
const CLOSING_COMMANDS = 2;

/** One register operation. */
export type RegisterOp =
  | { readonly op: "cc"; readonly value: number }
  | { readonly op: "aqa"; readonly asqs: number; readonly acqs: number }
  | {
    readonly op: "admin-base";
    readonly reg: "asq" | "acq";
    readonly misalign: number;
    readonly split: "lo-hi" | "hi-lo" | "64";
  }
  /** AQA, ASQ and ACQ all written with legal values (what a driver does before enabling). */
  | { readonly op: "admin-setup" }
  | { readonly op: "nssr"; readonly value: number }
  | { readonly op: "sleep"; readonly ns: number };

/** A CC value from fields: mostly legal, sometimes values the controller must refuse. */
const ccFields = fc.record({
  en: fc.integer({ min: 0, max: 1 }),
  shn: fc.oneof(
    { weight: 3, arbitrary: fc.constant(ShutdownNotification.NONE) },
    { weight: 1, arbitrary: fc.integer({ min: 1, max: 3 }) },
  ),
  mps: fc.oneof({ weight: 4, arbitrary: fc.constant(0) }, {
    weight: 1,
    arbitrary: fc.integer({ min: 0, max: 15 }),
  }),
  css: fc.oneof(
    { weight: 4, arbitrary: fc.constant(CommandSetSelected.NVM) },
    { weight: 1, arbitrary: fc.integer({ min: 0, max: 7 }) },
  ),
  ams: fc.oneof({ weight: 4, arbitrary: fc.constant(0) }, {
    weight: 1,
    arbitrary: fc.integer({ min: 0, max: 7 }),
  }),
  iosqes: fc.oneof({ weight: 4, arbitrary: fc.constant(SQE_SIZE_SHIFT) }, {
    weight: 1,
    arbitrary: fc.integer({ min: 0, max: 15 }),
  }),
  iocqes: fc.oneof({ weight: 4, arbitrary: fc.constant(CQE_SIZE_SHIFT) }, {
    weight: 1,
    arbitrary: fc.integer({ min: 0, max: 15 }),
  }),
}).map((f) => Number(encodeRegister(CC, { ...f, crime: 0 })));

/** Arbitrary register operations. */
export const registerOp: fc.Arbitrary<RegisterOp> = fc.oneof(
  { weight: 6, arbitrary: ccFields.map((value) => ({ op: "cc" as const, value })) },
  {
    weight: 1,
    arbitrary: fc.integer({ min: 0, max: 0xffff_ffff }).map((value) => ({
      op: "cc" as const,
      value,
    })),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      op: fc.constant("aqa" as const),
      asqs: fc.oneof(fc.integer({ min: 1, max: 31 }), fc.constant(0)),
      acqs: fc.oneof(fc.integer({ min: 1, max: 31 }), fc.constant(0)),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      op: fc.constant("admin-base" as const),
      reg: fc.constantFrom("asq" as const, "acq" as const),
      misalign: fc.oneof({ weight: 4, arbitrary: fc.constant(0) }, {
        weight: 1,
        arbitrary: fc.integer({ min: 1, max: 1023 }).map((d) => d * 4),
      }),
      split: fc.constantFrom("lo-hi" as const, "hi-lo" as const, "64" as const),
    }),
  },
  { weight: 3, arbitrary: fc.constant({ op: "admin-setup" as const }) },
  {
    weight: 1,
    arbitrary: fc.oneof(fc.constant(NSSR_RESET_VALUE), fc.integer({ min: 0, max: 0xffff_ffff }))
      .map((value) => ({ op: "nssr" as const, value })),
  },
  {
    weight: 4,
    arbitrary: fc.oneof(
      fc.integer({ min: 0, max: 5_000 }),
      fc.integer({ min: 100_000, max: 3_000_000 }),
      fc.constant(TIMEOUT_NS + 1),
    ).map((ns) => ({ op: "sleep" as const, ns })),
  },
);

/** What the checker remembers between observations. */
interface Observed {
  en: boolean;
  /** Virtual time EN last went 0→1 (null: EN is 0). */
  enabledAt: number | null;
  /** Virtual time EN last went 1→0 (null: never). */
  disabledAt: number | null;
  /** A shutdown was requested since the last enable/subsystem reset. */
  shutdownRequested: boolean;
  /** Virtual time of the last shutdown request with no reset after it (null: none). */
  shutdownAt: number | null;
}

function shn(cc: number): number {
  return (cc >>> 14) & 3;
}

/** Applies `op` through `host` and checks CSTS afterwards; `state` is updated. */
function applyAndCheck(
  host: HostPort,
  nssrs: boolean,
  op: RegisterOp,
  s: Observed,
  queues: { asq: number; acq: number },
): void {
  const before = host.read32(R.CC);
  switch (op.op) {
    case "cc":
      host.write32(R.CC, op.value);
      break;
    case "aqa":
      host.write32(R.AQA, (op.acqs << 16) | op.asqs);
      break;
    case "admin-base": {
      const addr = (op.reg === "asq" ? queues.asq : queues.acq) + op.misalign;
      const off = op.reg === "asq" ? R.ASQ : R.ACQ;
      const lo = addr % 2 ** 32, hi = Math.floor(addr / 2 ** 32);
      if (op.split === "64") host.write64(off, addr);
      else if (op.split === "lo-hi") {
        host.write32(off, lo);
        host.write32(off + 4, hi);
      } else {
        host.write32(off + 4, hi);
        host.write32(off, lo);
      }
      break;
    }
    case "admin-setup":
      host.write32(R.AQA, (ADMIN_SETUP_ENTRIES - 1) << 16 | (ADMIN_SETUP_ENTRIES - 1));
      host.write64(R.ASQ, queues.asq);
      host.write64(R.ACQ, queues.acq);
      break;
    case "nssr":
      host.write32(R.NSSR, op.value);
      break;
    case "sleep":
      host.sleep(op.ns);
      break;
  }
  const now = host.now();
  const after = host.read32(R.CC);
  const wasEn = (before & 1) === 1, en = (after & 1) === 1;
  if (op.op === "nssr" && op.value === NSSR_RESET_VALUE && nssrs) {
    // A subsystem reset: everything back to power-on state.
    s.en = false;
    s.enabledAt = s.disabledAt = s.shutdownAt = null;
    s.shutdownRequested = false;
  } else if (!wasEn && en) {
    s.enabledAt = now;
    s.shutdownRequested = false;
    s.shutdownAt = null;
  } else if (wasEn && !en) {
    s.disabledAt = now;
    s.enabledAt = null;
    const req = shn(after) === ShutdownNotification.NORMAL ||
      shn(after) === ShutdownNotification.ABRUPT;
    s.shutdownAt = req ? now : null;
    s.shutdownRequested ||= req;
  } else if (en && shn(after) !== shn(before)) {
    if (shn(after) === ShutdownNotification.NORMAL || shn(after) === ShutdownNotification.ABRUPT) {
      s.shutdownRequested = true;
      s.shutdownAt = now;
    }
  }
  s.en = en;
  const csts = host.read32(R.CSTS);
  const rdy = (csts & CSTS_RDY) !== 0, cfs = (csts & CSTS_CFS) !== 0;
  const shst = (csts >>> 2) & 3;
  const at = `after ${opText(op)} (CC 0x${after.toString(16)}, CSTS 0x${csts.toString(16)})`;
  check((csts & CSTS_RESERVED) === 0, `CSTS reserved bits 31:7 set ${at}`);
  check(shst !== 3, `CSTS.SHST reads the reserved value 11b ${at}`);
  if (rdy && !en) {
    check(
      s.disabledAt !== null && now - s.disabledAt <= TIMEOUT_NS,
      `CSTS.RDY = 1 while CC.EN = 0 ${
        s.disabledAt === null
          ? "and EN was never set"
          : `${(now - s.disabledAt) / 1e6} ms after EN was cleared (CAP.TO ${TIMEOUT_NS / 1e6} ms)`
      } ${at}`,
    );
  }
  if (s.enabledAt !== null && en && now - s.enabledAt > TIMEOUT_NS) {
    check(
      rdy || cfs,
      `CSTS.RDY and CFS still 0 ${(now - s.enabledAt) / 1e6} ms after EN was set ${at}`,
    );
  }
  if (shst !== ShutdownStatus.NORMAL) {
    check(
      s.shutdownRequested,
      `CSTS.SHST = ${shst} with no shutdown requested since the last enable ${at}`,
    );
  }
  if (s.shutdownAt !== null && now - s.shutdownAt > TIMEOUT_NS) {
    check(
      shst === ShutdownStatus.COMPLETE,
      `CSTS.SHST = ${shst}, not complete, ${
        (now - s.shutdownAt) / 1e6
      } ms after a shutdown request ${at}`,
    );
  }
}

/** One step in words. */
export function opText(op: RegisterOp): string {
  switch (op.op) {
    case "cc":
      return `write CC = 0x${op.value.toString(16)}`;
    case "aqa":
      return `write AQA (ASQS ${op.asqs}, ACQS ${op.acqs})`;
    case "admin-base":
      return `write ${op.reg.toUpperCase()} = queue memory + 0x${op.misalign.toString(16)} (${
        op.split === "64"
          ? "one 64-bit write"
          : op.split === "lo-hi"
          ? "low dword, then high"
          : "high dword, then low"
      })`;
    case "admin-setup":
      return `write AQA (${ADMIN_SETUP_ENTRIES} entries each), ASQ and ACQ (page aligned)`;
    case "nssr":
      return `write NSSR = 0x${op.value.toString(16)}`;
    case "sleep":
      return `wait ${op.ns} ns`;
  }
}

/** Runs one sequence, then the driver's bring-up; throws on a violation. */
export function runRegisterSequence(ctx: PropertyContext, ops: readonly RegisterOp[]): void {
  const driver = requireDriver(ctx, "cc-csts");
  const machine = new Machine();
  const ctrl = new NvmeController(
    controllerOptions({
      timeoutUnits: TIMEOUT_UNITS,
      crto: { crwmt: TIMEOUT_UNITS, crimt: TIMEOUT_UNITS },
    }, ctx.controller),
  );
  const host = machine.attach(ctrl, { busMaster: true });
  const queues = { asq: host.allocate(PAGE, PAGE), acq: host.allocate(PAGE, PAGE) };
  const s: Observed = {
    en: false,
    enabledAt: null,
    disabledAt: null,
    shutdownRequested: false,
    shutdownAt: null,
  };
  for (const op of ops) {
    countCommands(ctx, 1);
    applyAndCheck(host, ctrl.options.nssrs, op, s, queues);
  }
  // From whatever state that left: the driver's bring-up must work, and break no host rule.
  machine.findings.clear();
  const guarded = new GuardedHostPort(host, { deadlineNs: host.now() + DRIVER_BUDGET_NS });
  const model = driver.factory(guarded, ctx.driverOptions ?? {});
  try {
    model.bringUp();
  } catch (e) {
    throw new PropertyViolation(
      `driver bring-up failed after the sequence: ${e instanceof Error ? e.message : e}`,
    );
  }
  const io = new IoTracker(guarded, model);
  countCommands(ctx, CLOSING_COMMANDS);
  io.submitWrite(1);
  io.drain(DRAIN_BUDGET_NS);
  io.submitRead(1);
  io.drain(DRAIN_BUDGET_NS);
  io.assertClean();
  check(
    machine.findings.all().length === 0,
    () => `driver bring-up after the sequence: ${findingsText(machine)}`,
  );
}

/** The property. */
export function ccCstsProperty(): FuzzProperty {
  return {
    name: "cc-csts",
    description: "arbitrary CC/AQA/ASQ/ACQ/NSSR write sequences keep CSTS legal (reserved " +
      "bits 0; RDY only with EN or while a reset completes; RDY or CFS within CAP.TO of an " +
      "enable; SHST only after SHN, and complete within CAP.TO); the driver then brings the " +
      "controller up and does I/O",
    section: "Base 2.1 §3.1.4.5, §3.1.4.6, §3.5, §3.6",
    usesDriver: true,
    defaultRuns: 1000,
    commandUnit: "checks",
    property: (ctx) =>
      fc.property(
        fc.array(registerOp, { minLength: 1, maxLength: 20, size: "medium" }),
        (ops) => runRegisterSequence(ctx, ops),
      ),
    steps: (
      [ops],
    ) => [...(ops as RegisterOp[]).map(opText), "driver: bring-up, write and read one block"],
  };
}
