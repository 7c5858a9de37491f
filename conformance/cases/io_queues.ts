/**
 * Conformance cases: I/O queues that work (Base 2.1 §3.3.1, §5.2.1 – §5.2.4, §5.1.25) — a pair
 * carries commands, wraps at the smallest and largest sizes, many SQs share one CQ with the right
 * SQID and SQ Head on each completion, deletion order, a deleted SQ is dead, Number of Queues
 * grants usable identifiers, and I/O commands to a bad namespace fail. The error statuses of the
 * queue commands are in `io_queues_errors.ts`.
 *
 * @module
 */

import { FeatureId } from "../../spec/features.ts";
import { Read } from "../../spec/nvm_commands.ts";
import { NvmOpcode } from "../../spec/opcodes.ts";
import { Status } from "../../spec/status.ts";
import { type CaseContext, type ConformanceCase, defineCases } from "../case.ts";
import { RawQueue } from "../raw_host.ts";
import {
  checkBatch,
  checkOneByOne,
  expectSuccess,
  flushSqe,
  noCqeWithPhase,
  QUIET_WINDOW_NS,
} from "./_regs_util.ts";
import { NSID_ALL } from "./_admin_util.ts";

/** Entries of ordinary test queues. */
const N = 16;
/** The minimum queue size (Base 2.1 §3.3.3.1). */
const MIN_ENTRIES = 2;
/** Commands run on the largest queue: enough to show it carries commands. */
const COMMANDS_ON_MAX = 8;
/** SQs sharing one CQ, at most. */
const SHARED_SQS = 4;
/** Rounds of one command per SQ on the shared CQ. */
const SHARED_ROUNDS = 3;
/** The CQ the SQs share: room for every round's completions. */
const SHARED_CQ_ENTRIES = 64;

/** Enables, asks for one queue pair and creates pair 1 with `size` entries (polled). */
function pair(ctx: CaseContext, size = N): RawQueue {
  ctx.ctrl.enable();
  const grant = ctx.ctrl.requestQueues(1);
  ctx.check(grant.pairs >= 1, `Number of Queues granted ${grant.pairs} pairs`);
  return ctx.ctrl.createQueuePair(1, size);
}

/** A Read of one block of `nsid` into the scratch buffer. */
function readSqe(ctx: CaseContext, nsid: number): Uint8Array {
  return Read.encode({ opcode: NvmOpcode.READ, nsid, prp1: ctx.ctrl.buffer, slba: 0, nlb: 0 });
}

/** The functional I/O queue cases. */
export const CASES: readonly ConformanceCase[] = defineCases([
  {
    id: "io-queues.pair.commands",
    title: "An I/O queue pair carries commands: CID, SQID 1, SQ Head, phase on every CQE",
    section: "Base 2.1 §5.2.2",
    needs: ["io-queues", "namespace"],
    run(ctx: CaseContext) {
      checkOneByOne(ctx, pair(ctx), N / 2, () => flushSqe(ctx.caps.nsid));
    },
  },
  {
    id: "io-queues.wrap.size-2",
    title: "Two-entry I/O queues: five commands one by one wrap SQ and CQ correctly",
    section: "Base 2.1 §3.3.1",
    needs: ["io-queues", "namespace"],
    run(ctx: CaseContext) {
      checkOneByOne(
        ctx,
        pair(ctx, MIN_ENTRIES),
        2 * MIN_ENTRIES + 1,
        () => flushSqe(ctx.caps.nsid),
      );
    },
  },
  {
    id: "io-queues.wrap.size-16",
    title: "16-entry I/O queues: 33 commands one by one wrap SQ and CQ correctly",
    section: "Base 2.1 §3.3.1",
    needs: ["io-queues", "namespace"],
    run(ctx: CaseContext) {
      checkOneByOne(ctx, pair(ctx, N), 2 * N + 1, () => flushSqe(ctx.caps.nsid));
    },
  },
  {
    id: "io-queues.full.size-16",
    title: "A 16-entry I/O SQ filled with 15 commands behind one doorbell, twice",
    section: "Base 2.1 §3.3.1.5",
    needs: ["io-queues", "namespace"],
    run(ctx: CaseContext) {
      const q = pair(ctx, N);
      checkBatch(ctx, q, N - 1, () => flushSqe(ctx.caps.nsid));
      checkBatch(ctx, q, N - 1, () => flushSqe(ctx.caps.nsid));
    },
  },
  {
    id: "io-queues.size.maximum",
    title: "An I/O queue pair of CAP.MQES + 1 entries is created and carries commands",
    section: "Base 2.1 §5.2.1",
    needs: ["io-queues", "namespace"],
    run(ctx: CaseContext) {
      const size = ctx.ctrl.cap.mqes + 1;
      ctx.note(`${size} entries`);
      checkOneByOne(ctx, pair(ctx, size), COMMANDS_ON_MAX, () => flushSqe(ctx.caps.nsid));
    },
  },
  {
    id: "io-queues.shared-cq.sqid-and-head",
    title: "Up to four SQs on one CQ: each CQE names its SQ and that SQ's head",
    section: "Base 2.1 §4.2.1",
    needs: ["io-queues-2", "namespace"],
    run(ctx: CaseContext) {
      const ctrl = ctx.ctrl;
      ctrl.enable();
      // NSQR = SHARED_SQS − 1, NCQR = 0 (both 0's based): several SQs, one CQ.
      const set = ctrl.setFeature(FeatureId.NUMBER_OF_QUEUES, SHARED_SQS - 1);
      expectSuccess(ctx, set, "Number of Queues");
      const sqs = Math.min(SHARED_SQS, (set.dw0 & 0xffff) + 1);
      if (sqs < 2) ctx.skip(`Number of Queues allocated ${sqs} SQ`);
      const cq = ctrl.createCq(1, SHARED_CQ_ENTRIES);
      expectSuccess(ctx, cq.c, "Create I/O CQ 1");
      const cqView = new RawQueue(ctx.host, 1, 0, cq.addr, 1, SHARED_CQ_ENTRIES, ctrl.dstrd);
      const queues: RawQueue[] = [];
      for (let qid = 1; qid <= sqs; qid++) {
        const sq = ctrl.createSq(qid, N, 1);
        expectSuccess(ctx, sq.c, `Create I/O SQ ${qid} on CQ 1`);
        queues.push(new RawQueue(ctx.host, qid, sq.addr, 0, N, 1, ctrl.dstrd));
      }
      for (let round = 0; round < SHARED_ROUNDS; round++) {
        const expected = new Map<number, { cid: number; tail: number }>();
        for (const q of queues) {
          expected.set(q.qid, { cid: q.submit(flushSqe(ctx.caps.nsid)), tail: q.sqTail });
        }
        for (let i = 0; i < queues.length; i++) {
          const c = cqView.wait();
          const e = expected.get(c.sqid);
          ctx.check(e, `round ${round}: CQE with SQID ${c.sqid}, not one of the SQs`);
          expectSuccess(ctx, c, `round ${round} SQ ${c.sqid}`);
          ctx.check(c.cid === e.cid, `SQ ${c.sqid}: CID ${c.cid}, submitted ${e.cid}`);
          ctx.check(c.sqhd === e.tail, `SQ ${c.sqid}: SQ Head ${c.sqhd}, expected ${e.tail}`);
          expected.delete(c.sqid);
        }
      }
    },
  },
  {
    id: "io-queues.delete.order-and-reuse",
    title: "Delete SQ then CQ succeed, and the same QIDs can be created again",
    section: "Base 2.1 §5.2.4",
    needs: ["io-queues"],
    run(ctx: CaseContext) {
      pair(ctx);
      expectSuccess(ctx, ctx.ctrl.deleteSq(1), "Delete I/O SQ 1");
      expectSuccess(ctx, ctx.ctrl.deleteCq(1), "Delete I/O CQ 1");
      ctx.ctrl.createQueuePair(1, N);
    },
  },
  {
    id: "io-queues.delete.shared-cq",
    title: "A CQ shared by two SQs can be deleted only after both SQs are deleted",
    section: "Base 2.1 §5.2.3",
    needs: ["io-queues-2"],
    run(ctx: CaseContext) {
      const ctrl = ctx.ctrl;
      ctrl.enable();
      const grant = ctrl.requestQueues(2);
      if (grant.nsqa < 2) ctx.skip(`Number of Queues allocated ${grant.nsqa} SQ`);
      expectSuccess(ctx, ctrl.createCq(1, N).c, "Create I/O CQ 1");
      expectSuccess(ctx, ctrl.createSq(1, N, 1).c, "Create I/O SQ 1");
      expectSuccess(ctx, ctrl.createSq(2, N, 1).c, "Create I/O SQ 2 on CQ 1");
      expectSuccess(ctx, ctrl.deleteSq(1), "Delete I/O SQ 1");
      ctx.expectStatus(ctrl.deleteCq(1), Status.INVALID_QUEUE_DELETION, "Delete CQ 1 (SQ 2 on it)");
      expectSuccess(ctx, ctrl.deleteSq(2), "Delete I/O SQ 2");
      expectSuccess(ctx, ctrl.deleteCq(1), "Delete I/O CQ 1");
    },
  },
  {
    id: "io-queues.delete.sq-is-dead",
    title: "After Delete I/O SQ, ringing its doorbell posts nothing to the CQ that remains",
    section: "Base 2.1 §5.2.4",
    needs: ["io-queues", "namespace"],
    run(ctx: CaseContext) {
      const q = pair(ctx);
      expectSuccess(ctx, ctx.ctrl.deleteSq(1), "Delete I/O SQ 1");
      q.submit(flushSqe(ctx.caps.nsid));
      ctx.host.sleep(QUIET_WINDOW_NS);
      ctx.check(noCqeWithPhase(ctx.host, q.cq, q.cqSize, 1), "a CQE for the deleted SQ 1");
    },
  },
  {
    id: "io-queues.number-of-queues.get-matches-set",
    title: "Get Features Number of Queues returns what Set Features allocated",
    section: "Base 2.1 §5.1.25",
    run(ctx: CaseContext) {
      ctx.ctrl.enable();
      const set = ctx.ctrl.setFeature(FeatureId.NUMBER_OF_QUEUES, (1 << 16) | 1);
      expectSuccess(ctx, set, "Set Features Number of Queues");
      const get = ctx.ctrl.getFeature(FeatureId.NUMBER_OF_QUEUES);
      expectSuccess(ctx, get, "Get Features Number of Queues");
      ctx.check(
        get.dw0 === set.dw0,
        `Get returned 0x${get.dw0.toString(16)}, Set allocated 0x${set.dw0.toString(16)}`,
      );
    },
  },
  {
    id: "io-queues.number-of-queues.highest-usable",
    title: "The highest QIDs Number of Queues allocated can be created",
    section: "Base 2.1 §5.1.25",
    needs: ["io-queues"],
    run(ctx: CaseContext) {
      ctx.ctrl.enable();
      const g = ctx.ctrl.requestQueues(ctx.caps.ioQueuePairs);
      expectSuccess(ctx, ctx.ctrl.createCq(g.ncqa, N).c, `Create I/O CQ ${g.ncqa}`);
      const sqOn = Math.min(g.ncqa, g.nsqa);
      expectSuccess(ctx, ctx.ctrl.createSq(g.nsqa, N, sqOn).c, `Create I/O SQ ${g.nsqa}`);
    },
  },
  {
    id: "io-queues.namespace.nsid-zero",
    title: "A Read with NSID 0 on an I/O queue: Invalid Namespace or Format",
    section: "Base 2.1 §3.2.1.2",
    needs: ["io-queues", "namespace"],
    run(ctx: CaseContext) {
      const q = pair(ctx);
      ctx.expectStatus(q.exec(readSqe(ctx, 0)), Status.INVALID_NAMESPACE, "Read NSID 0");
    },
  },
  {
    id: "io-queues.namespace.nsid-above-nn",
    title: "A Read with an NSID above Identify NN on an I/O queue: Invalid Namespace or Format",
    section: "Base 2.1 §3.2.1.2",
    needs: ["io-queues", "namespace", "identify"],
    run(ctx: CaseContext) {
      const nn = ctx.caps.identify!.nn >>> 0;
      if (nn + 1 >= NSID_ALL) ctx.skip(`NN ${nn}: no invalid NSID below FFFFFFFFh`);
      const q = pair(ctx);
      ctx.expectStatus(q.exec(readSqe(ctx, nn + 1)), Status.INVALID_NAMESPACE, `Read ${nn + 1}`);
    },
  },
]);
