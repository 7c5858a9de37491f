/**
 * Conformance cases: controller initialization and controller level reset (Base 2.1 §3.5.1,
 * §3.7.2, CC.EN in §3.1.4.5) — RDY within CAP.TO both ways, no RDY before EN, the admin queue
 * registers honoured on enable and kept by a reset, queues deleted by a reset, no command
 * processing while disabled, and Function Level Reset. Shutdown and NVM Subsystem Reset cases are
 * in `reset_shutdown.ts`.
 *
 * @module
 */

import { CQE_SIZE } from "../../spec/cqe.ts";
import { SQE_SIZE } from "../../spec/sqe.ts";
import { RegisterOffset as R } from "../../spec/registers.ts";
import { Status } from "../../spec/status.ts";
import { type CaseContext, type ConformanceCase, defineCases } from "../case.ts";
import { pollUntil, RawQueue } from "../raw_host.ts";
import {
  CC_EN,
  CSTS_RDY,
  enabledCc,
  expectSuccess,
  flushSqe,
  getNumberOfQueuesSqe,
  noCqeWithPhase,
  QUIET_WINDOW_NS,
  readCsts,
  restorePciCommand,
} from "./_regs_util.ts";

/** I/O queue entries the reset cases create (small: the queues only need to exist). */
const IO_QUEUE_ENTRIES = 16;
/** Admin commands run before a reset, so the admin queue pointers are not at 0. */
const COMMANDS_BEFORE_RESET = 3;
/** Enable/disable cycles of the repeated-enable case. */
const ENABLE_CYCLES = 3;
/** The smallest memory page (4 KiB). */
const PAGE = 4096;
const DWORD = 4;

/** Disables through CC.EN 1→0 and re-enables with fresh admin queues and one I/O pair asked. */
function resetAndReenable(ctx: CaseContext): void {
  ctx.ctrl.disable();
  ctx.ctrl.enable();
}

/** The reset cases. */
export const CASES: readonly ConformanceCase[] = defineCases([
  {
    id: "reset.enable.ready-within-timeout",
    title: "CC.EN 0→1 with valid settings: CSTS.RDY = 1 within CAP.TO, CFS = 0",
    section: "Base 2.1 §3.5.1",
    run(ctx: CaseContext) {
      ctx.ctrl.enable(); // waits at most CAP.TO for RDY
      ctx.check(readCsts(ctx.host).cfs === 0, "CSTS.CFS = 1 after a valid enable");
    },
  },
  {
    id: "reset.disable.ready-clears",
    title: "CC.EN 1→0: CSTS.RDY = 0 within CAP.TO",
    section: "Base 2.1 §3.7.2",
    run(ctx: CaseContext) {
      ctx.ctrl.enable();
      ctx.ctrl.disable(); // waits at most CAP.TO for RDY = 0
    },
  },
  {
    id: "reset.enable.no-ready-before-enable",
    title: "CSTS.RDY stays 0 while CC.EN = 0, with the admin queue and CC fields programmed",
    section: "Base 2.1 §3.1.4.5",
    run(ctx: CaseContext) {
      const h = ctx.host;
      h.write32(R.AQA, (31 << 16) | 31);
      h.write64(R.ASQ, h.allocate(PAGE, PAGE));
      h.write64(R.ACQ, h.allocate(PAGE, PAGE));
      h.write32(R.CC, enabledCc() & ~CC_EN);
      const rose = pollUntil(h, () => (h.read32(R.CSTS) & CSTS_RDY) !== 0, QUIET_WINDOW_NS);
      ctx.check(!rose, "CSTS.RDY became 1 while CC.EN = 0");
    },
  },
  {
    id: "reset.enable.cc-fields-kept",
    title: "After enabling, CC reads back EN and the configuration fields written",
    section: "Base 2.1 §3.1.4.5",
    run(ctx: CaseContext) {
      ctx.ctrl.enable();
      const cc = ctx.host.read32(R.CC);
      ctx.check(
        cc === enabledCc(),
        `CC reads 0x${cc.toString(16)}, wrote 0x${enabledCc().toString(16)}`,
      );
    },
  },
  {
    id: "reset.enable.page-size-max",
    title: "Enable with CC.MPS = CAP.MPSMAX (queues aligned to that page): ready, Identify works",
    section: "Base 2.1 §3.1.4.5",
    needs: ["identify"],
    run(ctx: CaseContext) {
      ctx.ctrl.enable({ mps: ctx.ctrl.cap.mpsmax });
      ctx.note(`CC.MPS ${ctx.ctrl.cap.mpsmax}`);
      ctx.ctrl.identifyController();
    },
  },
  {
    id: "reset.enable.repeated",
    title: "Enable and disable three times: RDY follows EN within CAP.TO each time",
    section: "Base 2.1 §3.5.1",
    run(ctx: CaseContext) {
      for (let i = 0; i < ENABLE_CYCLES; i++) {
        ctx.ctrl.enable();
        expectSuccess(ctx, ctx.ctrl.adminExec(getNumberOfQueuesSqe()), `cycle ${i}: Get Features`);
        ctx.ctrl.disable();
      }
    },
  },
  {
    id: "reset.enable.admin-queue-addresses",
    title: "Re-enabling with new ASQ/ACQ uses the new queues; the old ACQ is not written",
    section: "Base 2.1 §3.5.1",
    run(ctx: CaseContext) {
      const first = ctx.ctrl.enable();
      expectSuccess(ctx, ctx.ctrl.adminExec(getNumberOfQueuesSqe()), "Get Features (first)");
      const oldCq = ctx.ctrl.read(first.cq, first.cqSize * CQE_SIZE);
      ctx.ctrl.disable();
      ctx.ctrl.enable();
      for (let i = 0; i < COMMANDS_BEFORE_RESET; i++) {
        expectSuccess(ctx, ctx.ctrl.adminExec(getNumberOfQueuesSqe()), `Get Features ${i}`);
      }
      const now = ctx.ctrl.read(first.cq, first.cqSize * CQE_SIZE);
      ctx.check(
        now.every((b, i) => b === oldCq[i]),
        "the controller wrote the old ACQ after re-enabling with a new ACQ",
      );
    },
  },
  {
    id: "reset.reset.admin-registers-kept",
    title: "A controller reset (CC.EN 1→0) leaves AQA, ASQ and ACQ as written",
    section: "Base 2.1 §3.7.2",
    run(ctx: CaseContext) {
      ctx.ctrl.enable();
      const before = [R.AQA, R.ASQ, R.ASQ + DWORD, R.ACQ, R.ACQ + DWORD].map((o) =>
        ctx.host.read32(o)
      );
      ctx.ctrl.disable();
      const after = [R.AQA, R.ASQ, R.ASQ + DWORD, R.ACQ, R.ACQ + DWORD].map((o) =>
        ctx.host.read32(o)
      );
      ctx.check(
        after.every((v, i) => v === before[i]),
        `AQA/ASQ/ACQ changed by the reset: ${before.join(",")} → ${after.join(",")}`,
      );
    },
  },
  {
    id: "reset.reset.admin-queue-restarts",
    title: "After a reset, the admin queues restart at slot 0 with phase 1",
    section: "Base 2.1 §3.7.2",
    run(ctx: CaseContext) {
      const q = ctx.ctrl.enable();
      for (let i = 0; i < COMMANDS_BEFORE_RESET; i++) {
        expectSuccess(ctx, ctx.ctrl.adminExec(getNumberOfQueuesSqe()), `Get Features ${i}`);
      }
      ctx.ctrl.disable();
      ctx.host.memFill(q.cq, q.cqSize * CQE_SIZE, 0);
      // Same AQA/ASQ/ACQ: only CC.EN is written again.
      ctx.host.write32(R.CC, enabledCc());
      ctx.ctrl.waitCsts(CSTS_RDY, CSTS_RDY, ctx.ctrl.readyTimeoutNs, "re-enable");
      const again = new RawQueue(ctx.host, 0, q.sq, q.cq, q.sqSize, q.cqSize, ctx.ctrl.dstrd);
      ctx.ctrl.admin = again;
      const c = again.exec(getNumberOfQueuesSqe());
      expectSuccess(ctx, c, "Get Features after the reset");
      ctx.check(c.sqhd === 1, `SQ Head ${c.sqhd} after the first command, expected 1`);
      ctx.check(c.phase === 1, `phase ${c.phase} in CQ slot 0, expected 1`);
    },
  },
  {
    id: "reset.reset.deletes-io-queues",
    title: "A controller reset deletes I/O queues: deleting them afterwards is Invalid QID",
    section: "Base 2.1 §3.7.2",
    needs: ["io-queues"],
    run(ctx: CaseContext) {
      ctx.ctrl.ioSetup(1, IO_QUEUE_ENTRIES);
      resetAndReenable(ctx);
      ctx.expectStatus(ctx.ctrl.deleteSq(1), Status.INVALID_QUEUE_IDENTIFIER, "Delete I/O SQ 1");
      ctx.expectStatus(ctx.ctrl.deleteCq(1), Status.INVALID_QUEUE_IDENTIFIER, "Delete I/O CQ 1");
    },
  },
  {
    id: "reset.reset.cq-gone",
    title: "After a reset, an SQ on the pre-reset CQ fails with Completion Queue Invalid",
    section: "Base 2.1 §3.7.2",
    needs: ["io-queues"],
    run(ctx: CaseContext) {
      ctx.ctrl.ioSetup(1, IO_QUEUE_ENTRIES);
      resetAndReenable(ctx);
      ctx.ctrl.requestQueues(1);
      const sq = ctx.ctrl.createSq(1, IO_QUEUE_ENTRIES, 1);
      ctx.expectStatus(sq.c, Status.COMPLETION_QUEUE_INVALID, "Create I/O SQ 1 on CQ 1");
    },
  },
  {
    id: "reset.reset.old-queue-doorbell",
    title: "After a reset, ringing a pre-reset I/O SQ posts nothing to its old CQ",
    section: "Base 2.1 §3.7.2",
    needs: ["io-queues"],
    run(ctx: CaseContext) {
      const [q] = ctx.ctrl.ioSetup(1, IO_QUEUE_ENTRIES);
      resetAndReenable(ctx);
      q.submit(flushSqe(ctx.caps.nsid || 1));
      ctx.host.sleep(QUIET_WINDOW_NS);
      ctx.check(
        noCqeWithPhase(ctx.host, q.cq, q.cqSize, 1),
        "a completion appeared on the deleted I/O CQ 1",
      );
    },
  },
  {
    id: "reset.disable.no-processing",
    title: "With CC.EN = 0 the controller processes no command and posts no completion",
    section: "Base 2.1 §3.1.4.5",
    run(ctx: CaseContext) {
      const q = ctx.ctrl.enable();
      ctx.ctrl.disable();
      ctx.host.memWrite(q.sq, getNumberOfQueuesSqe());
      ctx.host.memFill(q.sq + SQE_SIZE, SQE_SIZE, 0);
      q.ring(1);
      ctx.host.sleep(QUIET_WINDOW_NS);
      ctx.check(noCqeWithPhase(ctx.host, q.cq, q.cqSize, 1), "a CQE was posted while disabled");
    },
  },
  {
    id: "reset.flr.power-on-state",
    title: "Function Level Reset: CC = 0, RDY = 0, I/O queues gone after re-enabling",
    section: "Base 2.1 §3.7.2",
    needs: ["io-queues"],
    run(ctx: CaseContext) {
      const flr = ctx.session.functionLevelReset;
      if (!flr) ctx.skip("the target cannot do a Function Level Reset");
      ctx.ctrl.ioSetup(1, IO_QUEUE_ENTRIES);
      flr.call(ctx.session);
      restorePciCommand(ctx.host);
      ctx.host.setupInterrupts(ctx.ctrl.msixVectors > 0 ? "msix" : "intx");
      const cc = ctx.host.read32(R.CC);
      ctx.check(cc === 0, `CC = 0x${cc.toString(16)} after FLR`);
      ctx.ctrl.waitCsts(CSTS_RDY, 0, ctx.ctrl.readyTimeoutNs, "RDY after FLR");
      ctx.ctrl.enable();
      ctx.expectStatus(ctx.ctrl.deleteSq(1), Status.INVALID_QUEUE_IDENTIFIER, "Delete I/O SQ 1");
    },
  },
  {
    id: "reset.enable.cfs-clear-after-reset",
    title: "A controller reset after a normal run leaves CSTS.CFS = 0 and SHST = 00b",
    section: "Base 2.1 §3.7.2",
    run(ctx: CaseContext) {
      ctx.ctrl.enable();
      ctx.ctrl.disable();
      const csts = readCsts(ctx.host);
      ctx.check(csts.cfs === 0 && csts.shst === 0, `CSTS after reset: ${JSON.stringify(csts)}`);
      ctx.check((ctx.host.read32(R.CC) & CC_EN) === 0, "CC.EN reads 1 after it was cleared");
    },
  },
]);
