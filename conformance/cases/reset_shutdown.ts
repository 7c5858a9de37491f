/**
 * Conformance cases: shutdown processing (Base 2.1 §3.6.1, CC.SHN and CSTS.SHST) and NVM
 * Subsystem Reset (Base 2.1 §3.7.1, NSSR and CSTS.NSSRO). Ids are in the `reset` group.
 *
 * @module
 */

import {
  NSSR_RESET_VALUE,
  RegisterOffset as R,
  ShutdownNotification,
  ShutdownStatus,
} from "../../spec/registers.ts";
import { type CaseContext, type ConformanceCase, defineCases } from "../case.ts";
import { pollUntil } from "../raw_host.ts";
import {
  CC_EN,
  ccValue,
  CSTS_NSSRO,
  CSTS_RDY,
  enabledCc,
  expectSuccess,
  getNumberOfQueuesSqe,
  QUIET_WINDOW_NS,
  readCsts,
  restorePciCommand,
  shutdownAndWatch,
  shutdownTimeoutNs,
} from "./_regs_util.ts";

/** A value one off "NVMe": written to NSSR it must not reset anything (Base 2.1 §3.1.4.7). */
const NSSR_NOT_RESET_VALUE = NSSR_RESET_VALUE - 1;

/** After a completed shutdown: CC.EN 1→0 (SHN cleared), RDY 0, enable again; checks the
 * controller is back in normal operation (SHST = 00b) and runs an admin command. */
function reenableAfterShutdown(ctx: CaseContext): void {
  ctx.host.write32(R.CC, enabledCc() & ~CC_EN);
  ctx.ctrl.waitCsts(CSTS_RDY, 0, ctx.ctrl.readyTimeoutNs, "disable after shutdown");
  ctx.ctrl.enable();
  const shst = readCsts(ctx.host).shst;
  ctx.check(shst === ShutdownStatus.NORMAL, `CSTS.SHST = ${shst} after re-enabling, expected 00b`);
  expectSuccess(ctx, ctx.ctrl.adminExec(getNumberOfQueuesSqe()), "Get Features after re-enable");
}

/** Writes NSSR and waits until the subsystem reset is visible: NSSRO = 1 and RDY = 0. */
function subsystemReset(ctx: CaseContext): void {
  ctx.host.write32(R.NSSR, NSSR_RESET_VALUE);
  // An NVM Subsystem Reset may reset the PCIe link and so the function's PCI Command register.
  ctx.host.sleep(ctx.ctrl.readyTimeoutNs / 100);
  restorePciCommand(ctx.host);
  ctx.ctrl.waitCsts(CSTS_NSSRO | CSTS_RDY, CSTS_NSSRO, ctx.ctrl.readyTimeoutNs, "after NSSR");
}

/** The shutdown and NVM Subsystem Reset cases. */
export const CASES: readonly ConformanceCase[] = defineCases([
  ...([["normal", ShutdownNotification.NORMAL], ["abrupt", ShutdownNotification.ABRUPT]] as const)
    .map(([name, shn]): ConformanceCase => ({
      id: `reset.shutdown.${name}`,
      title: `${name} shutdown: SHST 00b → (01b) → 10b in order, then reset and re-enable work`,
      section: "Base 2.1 §3.6.1",
      run(ctx: CaseContext) {
        ctx.ctrl.enable();
        const seen = shutdownAndWatch(ctx, shn);
        ctx.note(`SHST ${seen.join(" → ")}`);
        reenableAfterShutdown(ctx);
      },
    })),
  {
    id: "reset.shutdown.with-disable",
    title: "One CC write setting SHN = 01b and clearing EN: both reset and shutdown (SHST 10b)",
    section: "Base 2.1 §3.1.4.5",
    run(ctx: CaseContext) {
      ctx.ctrl.enable();
      ctx.host.write32(R.CC, ccValue({ shn: ShutdownNotification.NORMAL }));
      const h = ctx.host;
      const done = pollUntil(
        h,
        () => readCsts(h).shst === ShutdownStatus.COMPLETE,
        shutdownTimeoutNs(ctx),
      );
      const csts = readCsts(h);
      ctx.check(done, `CSTS.SHST = ${csts.shst}: the shutdown requested with the reset never ran`);
      ctx.ctrl.waitCsts(CSTS_RDY, 0, ctx.ctrl.readyTimeoutNs, "RDY after the reset");
    },
  },
  {
    id: "reset.shutdown.shn-none",
    title: "A CC write with SHN = 00b while enabled has no effect: SHST stays 00b",
    section: "Base 2.1 §3.1.4.5",
    run(ctx: CaseContext) {
      ctx.ctrl.enable();
      // 00b is "no notification and no effect": rewriting CC must not start a shutdown.
      ctx.host.write32(R.CC, enabledCc({ shn: ShutdownNotification.NONE }));
      const h = ctx.host;
      const moved = pollUntil(h, () => readCsts(h).shst !== 0, QUIET_WINDOW_NS);
      ctx.check(!moved, `CSTS.SHST = ${readCsts(h).shst} with CC.SHN = 00b`);
      expectSuccess(ctx, ctx.ctrl.adminExec(getNumberOfQueuesSqe()), "Get Features");
    },
  },
  {
    id: "reset.nssr.reports-nssro",
    title: 'Writing "NVMe" to NSSR: NVM Subsystem Reset, CSTS.NSSRO = 1, RDY = 0, CC.EN = 0',
    section: "Base 2.1 §3.7.1",
    needs: ["nssr"],
    run(ctx: CaseContext) {
      ctx.ctrl.enable();
      subsystemReset(ctx);
      const cc = ctx.host.read32(R.CC);
      ctx.check((cc & CC_EN) === 0, `CC = 0x${cc.toString(16)} after the NVM Subsystem Reset`);
    },
  },
  {
    id: "reset.nssr.nssro-write-one-clears",
    title: "CSTS.NSSRO is cleared by writing 1 to it",
    section: "Base 2.1 §3.1.4.6",
    needs: ["nssr"],
    run(ctx: CaseContext) {
      ctx.ctrl.enable();
      subsystemReset(ctx);
      ctx.host.write32(R.CSTS, CSTS_NSSRO);
      const csts = ctx.host.read32(R.CSTS);
      ctx.check((csts & CSTS_NSSRO) === 0, `CSTS = 0x${csts.toString(16)} after writing NSSRO`);
    },
  },
  {
    id: "reset.nssr.reenable",
    title: "After an NVM Subsystem Reset the controller initializes again and runs commands",
    section: "Base 2.1 §3.7.1",
    needs: ["nssr"],
    run(ctx: CaseContext) {
      ctx.ctrl.enable();
      subsystemReset(ctx);
      ctx.host.setupInterrupts(ctx.ctrl.msixVectors > 0 ? "msix" : "intx");
      ctx.ctrl.enable();
      expectSuccess(ctx, ctx.ctrl.adminExec(getNumberOfQueuesSqe()), "Get Features after NSSR");
    },
  },
  {
    id: "reset.nssr.other-value-ignored",
    title: 'Writing a value other than "NVMe" to NSSR has no effect',
    section: "Base 2.1 §3.1.4.7",
    needs: ["nssr"],
    run(ctx: CaseContext) {
      ctx.ctrl.enable();
      ctx.host.write32(R.NSSR, NSSR_NOT_RESET_VALUE);
      const h = ctx.host;
      const changed = pollUntil(
        h,
        () => (h.read32(R.CSTS) & (CSTS_NSSRO | CSTS_RDY)) !== CSTS_RDY,
        QUIET_WINDOW_NS,
      );
      ctx.check(!changed, `CSTS = 0x${h.read32(R.CSTS).toString(16)} after a non-reset NSSR write`);
      expectSuccess(ctx, ctx.ctrl.adminExec(getNumberOfQueuesSqe()), "Get Features");
    },
  },
]);
