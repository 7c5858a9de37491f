/**
 * Conformance cases: the error statuses of Create/Delete I/O Completion/Submission Queue
 * (Base 2.1 §5.2.1 – §5.2.4), of creating queues before CC.IOCQES/IOSQES are set (§3.1.4.5) and
 * of Set Features Number of Queues (§5.1.25). Ids are in the `io-queues` group.
 *
 * @module
 */

import { FeatureId } from "../../spec/features.ts";
import { Status } from "../../spec/status.ts";
import { type CaseContext, type ConformanceCase, defineCases, describeStatus } from "../case.ts";
import type { QueueGrant } from "../raw_host.ts";
import { QUEUE_COUNT_INVALID } from "./_regs_util.ts";

/** Entries of the queues these cases create (small: only the status matters). */
const N = 16;
/** The largest 0's based queue size field: MQES = FFFFh leaves no size above it. */
const MAX_QSIZE = 0xffff;
/** The largest 16-bit queue identifier. */
const MAX_QID = 0xffff;

const QID = Status.INVALID_QUEUE_IDENTIFIER;
const QSIZE = Status.INVALID_QUEUE_SIZE;

/** Enables the controller (optionally with other CC fields) and asks for `pairs` queue pairs. */
function setup(ctx: CaseContext, pairs = 1, cc: { iosqes?: number; iocqes?: number } = {}) {
  ctx.ctrl.enable(cc);
  const grant: QueueGrant = ctx.ctrl.requestQueues(pairs);
  ctx.check(
    grant.status === Status.SUCCESS,
    `Set Features Number of Queues: status ${describeStatus(grant.status)}`,
  );
  return grant;
}

/** Creates CQ 1 and fails the case unless it succeeds. */
function cq1(ctx: CaseContext): void {
  ctx.expectStatus(ctx.ctrl.createCq(1, N).c, Status.SUCCESS, "Create I/O CQ 1");
}

/** The I/O queue error cases. */
export const CASES: readonly ConformanceCase[] = defineCases([
  {
    id: "io-queues.create-cq.qid-zero",
    title: "Create I/O CQ with QID 0: Invalid Queue Identifier",
    section: "Base 2.1 §5.2.1",
    run(ctx: CaseContext) {
      setup(ctx);
      ctx.expectStatus(ctx.ctrl.createCq(0, N).c, QID, "Create I/O CQ 0");
    },
  },
  {
    id: "io-queues.create-cq.qid-above-granted",
    title: "Create I/O CQ with a QID above what Number of Queues allocated: Invalid QID",
    section: "Base 2.1 §5.2.1",
    run(ctx: CaseContext) {
      const g = setup(ctx);
      if (g.ncqa >= MAX_QID) ctx.skip(`NCQA ${g.ncqa}: no QID above it`);
      ctx.expectStatus(ctx.ctrl.createCq(g.ncqa + 1, N).c, QID, `Create I/O CQ ${g.ncqa + 1}`);
    },
  },
  {
    id: "io-queues.create-cq.qid-in-use",
    title: "Create I/O CQ with the QID of an existing CQ: Invalid Queue Identifier",
    section: "Base 2.1 §5.2.1",
    run(ctx: CaseContext) {
      setup(ctx);
      cq1(ctx);
      ctx.expectStatus(ctx.ctrl.createCq(1, N).c, QID, "second Create I/O CQ 1");
    },
  },
  {
    id: "io-queues.create-cq.size-zero",
    title: "Create I/O CQ with QSIZE 0 (one entry): Invalid Queue Size",
    section: "Base 2.1 §5.2.1",
    run(ctx: CaseContext) {
      setup(ctx);
      ctx.expectStatus(ctx.ctrl.createCq(1, 1).c, QSIZE, "Create I/O CQ of 1 entry");
    },
  },
  {
    id: "io-queues.create-cq.size-above-mqes",
    title: "Create I/O CQ with QSIZE = CAP.MQES + 1: Invalid Queue Size",
    section: "Base 2.1 §5.2.1",
    run(ctx: CaseContext) {
      const mqes = ctx.ctrl.cap.mqes;
      if (mqes >= MAX_QSIZE) ctx.skip("CAP.MQES = FFFFh: no size above it");
      setup(ctx);
      ctx.expectStatus(ctx.ctrl.createCq(1, mqes + 2).c, QSIZE, `CQ of ${mqes + 2} entries`);
    },
  },
  {
    id: "io-queues.create-cq.size-maximum",
    title: "Create I/O CQ with QSIZE = CAP.MQES (the largest size) succeeds",
    section: "Base 2.1 §5.2.1",
    run(ctx: CaseContext) {
      setup(ctx);
      const size = ctx.ctrl.cap.mqes + 1;
      ctx.expectStatus(ctx.ctrl.createCq(1, size).c, Status.SUCCESS, `CQ of ${size} entries`);
    },
  },
  {
    id: "io-queues.create-cq.invalid-vector",
    title: "Create I/O CQ with IEN = 1 and an IV beyond the MSI-X table: Invalid Interrupt Vector",
    section: "Base 2.1 §5.2.1",
    needs: ["msix"],
    run(ctx: CaseContext) {
      setup(ctx);
      const iv = ctx.ctrl.msixVectors;
      const c = ctx.ctrl.createCq(1, N, { ien: 1, iv }).c;
      ctx.expectStatus(c, Status.INVALID_INTERRUPT_VECTOR, `Create I/O CQ 1 on vector ${iv}`);
    },
  },
  {
    id: "io-queues.create-cq.pc-zero",
    title: "Create I/O CQ with PC = 0 when CAP.CQR = 1: Invalid Field in Command",
    section: "Base 2.1 §5.2.1",
    run(ctx: CaseContext) {
      if (!ctx.ctrl.cap.cqr) ctx.skip("CAP.CQR = 0: non-contiguous queues are supported");
      setup(ctx);
      const c = ctx.ctrl.createCq(1, N, { pc: 0 }).c;
      ctx.expectStatus(c, Status.INVALID_FIELD, "Create I/O CQ 1 with PC = 0");
    },
  },
  {
    id: "io-queues.create-cq.iocqes-unset",
    title: "Create I/O CQ while CC.IOCQES = 0 (never initialized): Invalid Queue Size",
    section: "Base 2.1 §3.1.4.5",
    run(ctx: CaseContext) {
      setup(ctx, 1, { iocqes: 0 });
      ctx.expectStatus(ctx.ctrl.createCq(1, N).c, QSIZE, "Create I/O CQ with CC.IOCQES = 0");
    },
  },
  {
    id: "io-queues.create-sq.iosqes-unset",
    title: "Create I/O SQ while CC.IOSQES = 0 (never initialized): Invalid Queue Size",
    section: "Base 2.1 §3.1.4.5",
    run(ctx: CaseContext) {
      setup(ctx, 1, { iosqes: 0 });
      cq1(ctx);
      ctx.expectStatus(ctx.ctrl.createSq(1, N, 1).c, QSIZE, "Create I/O SQ with CC.IOSQES = 0");
    },
  },
  {
    id: "io-queues.create-sq.cq-missing",
    title: "Create I/O SQ on a CQ that does not exist: Completion Queue Invalid",
    section: "Base 2.1 §5.2.2",
    run(ctx: CaseContext) {
      setup(ctx);
      const c = ctx.ctrl.createSq(1, N, 1).c;
      ctx.expectStatus(c, Status.COMPLETION_QUEUE_INVALID, "Create I/O SQ 1 on missing CQ 1");
    },
  },
  {
    id: "io-queues.create-sq.cqid-zero",
    title: "Create I/O SQ on CQID 0 (the admin CQ): refused, Completion Queue Invalid",
    section: "Base 2.1 §5.2.2",
    run(ctx: CaseContext) {
      setup(ctx);
      cq1(ctx);
      // CQID 0 is "not a valid I/O Completion Queue"; Invalid Field is the generic alternative.
      ctx.expectStatus(
        ctx.ctrl.createSq(1, N, 0).c,
        [Status.COMPLETION_QUEUE_INVALID, Status.INVALID_FIELD],
        "Create I/O SQ 1 on CQ 0",
      );
    },
  },
  {
    id: "io-queues.create-sq.qid-zero",
    title: "Create I/O SQ with QID 0: Invalid Queue Identifier",
    section: "Base 2.1 §5.2.2",
    run(ctx: CaseContext) {
      setup(ctx);
      cq1(ctx);
      ctx.expectStatus(ctx.ctrl.createSq(0, N, 1).c, QID, "Create I/O SQ 0");
    },
  },
  {
    id: "io-queues.create-sq.qid-above-granted",
    title: "Create I/O SQ with a QID above what Number of Queues allocated: Invalid QID",
    section: "Base 2.1 §5.2.2",
    run(ctx: CaseContext) {
      const g = setup(ctx);
      if (g.nsqa >= MAX_QID) ctx.skip(`NSQA ${g.nsqa}: no QID above it`);
      cq1(ctx);
      ctx.expectStatus(ctx.ctrl.createSq(g.nsqa + 1, N, 1).c, QID, `SQ ${g.nsqa + 1}`);
    },
  },
  {
    id: "io-queues.create-sq.qid-in-use",
    title: "Create I/O SQ with the QID of an existing SQ: Invalid Queue Identifier",
    section: "Base 2.1 §5.2.2",
    run(ctx: CaseContext) {
      setup(ctx);
      ctx.ctrl.createQueuePair(1, N);
      ctx.expectStatus(ctx.ctrl.createSq(1, N, 1).c, QID, "second Create I/O SQ 1");
    },
  },
  {
    id: "io-queues.create-sq.size-zero",
    title: "Create I/O SQ with QSIZE 0 (one entry): Invalid Queue Size",
    section: "Base 2.1 §5.2.2",
    run(ctx: CaseContext) {
      setup(ctx);
      cq1(ctx);
      ctx.expectStatus(ctx.ctrl.createSq(1, 1, 1).c, QSIZE, "Create I/O SQ of 1 entry");
    },
  },
  {
    id: "io-queues.create-sq.size-above-mqes",
    title: "Create I/O SQ with QSIZE = CAP.MQES + 1: Invalid Queue Size",
    section: "Base 2.1 §5.2.2",
    run(ctx: CaseContext) {
      const mqes = ctx.ctrl.cap.mqes;
      if (mqes >= MAX_QSIZE) ctx.skip("CAP.MQES = FFFFh: no size above it");
      setup(ctx);
      cq1(ctx);
      ctx.expectStatus(ctx.ctrl.createSq(1, mqes + 2, 1).c, QSIZE, `SQ of ${mqes + 2} entries`);
    },
  },
  {
    id: "io-queues.create-sq.pc-zero",
    title: "Create I/O SQ with PC = 0 when CAP.CQR = 1: Invalid Field in Command",
    section: "Base 2.1 §5.2.2",
    run(ctx: CaseContext) {
      if (!ctx.ctrl.cap.cqr) ctx.skip("CAP.CQR = 0: non-contiguous queues are supported");
      setup(ctx);
      cq1(ctx);
      const c = ctx.ctrl.createSq(1, N, 1, { pc: 0 }).c;
      ctx.expectStatus(c, Status.INVALID_FIELD, "Create I/O SQ 1 with PC = 0");
    },
  },
  {
    id: "io-queues.delete-cq.sq-attached",
    title: "Delete I/O CQ while an SQ still uses it: Invalid Queue Deletion",
    section: "Base 2.1 §5.2.3",
    run(ctx: CaseContext) {
      setup(ctx);
      ctx.ctrl.createQueuePair(1, N);
      ctx.expectStatus(ctx.ctrl.deleteCq(1), Status.INVALID_QUEUE_DELETION, "Delete I/O CQ 1");
    },
  },
  {
    id: "io-queues.delete-cq.missing",
    title: "Delete I/O CQ of a queue that does not exist, or of QID 0: Invalid QID",
    section: "Base 2.1 §5.2.3",
    run(ctx: CaseContext) {
      setup(ctx);
      ctx.expectStatus(ctx.ctrl.deleteCq(1), QID, "Delete I/O CQ 1 (never created)");
      ctx.expectStatus(ctx.ctrl.deleteCq(0), QID, "Delete I/O CQ 0 (the admin CQ)");
    },
  },
  {
    id: "io-queues.delete-sq.missing",
    title: "Delete I/O SQ of a queue that does not exist, or of QID 0: Invalid QID",
    section: "Base 2.1 §5.2.4",
    run(ctx: CaseContext) {
      setup(ctx);
      cq1(ctx);
      ctx.expectStatus(ctx.ctrl.deleteSq(1), QID, "Delete I/O SQ 1 (never created)");
      ctx.expectStatus(ctx.ctrl.deleteSq(0), QID, "Delete I/O SQ 0 (the admin SQ)");
    },
  },
  ...([["nsqr", QUEUE_COUNT_INVALID], ["ncqr", QUEUE_COUNT_INVALID << 16]] as const).map((
    [field, cdw11],
  ): ConformanceCase => ({
    id: `io-queues.number-of-queues.${field}-ffff`,
    title: `Number of Queues with ${field.toUpperCase()} = FFFFh (65536 queues): Invalid Field`,
    section: "Base 2.1 §5.1.25",
    run(ctx: CaseContext) {
      ctx.ctrl.enable();
      const c = ctx.ctrl.setFeature(FeatureId.NUMBER_OF_QUEUES, cdw11 >>> 0);
      ctx.expectStatus(c, Status.INVALID_FIELD, `Number of Queues CDW11 0x${cdw11.toString(16)}`);
    },
  })),
  {
    id: "io-queues.number-of-queues.after-create",
    title: "Number of Queues after an I/O queue exists: Command Sequence Error",
    section: "Base 2.1 §5.1.25",
    run(ctx: CaseContext) {
      setup(ctx);
      cq1(ctx);
      const c = ctx.ctrl.setFeature(FeatureId.NUMBER_OF_QUEUES, 0);
      ctx.expectStatus(c, Status.COMMAND_SEQUENCE_ERROR, "Number of Queues after Create I/O CQ");
    },
  },
]);
