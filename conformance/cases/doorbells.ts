/**
 * Conformance cases: doorbell — the SQ Tail / CQ Head doorbell registers (PCIe Transport 1.1
 * §3.1.2, offsets `1000h + (2y + isCq) × (4 << CAP.DSTRD)`) and the queue rules they drive (Base
 * 2.1 §3.3.1): the stride, batched tail updates, entries not yet announced stay unfetched, a CQ
 * head update frees a full CQ, and invalid doorbell writes (non-existent queue, values out of
 * range, head past the posted entries) are not acted upon and raise the Error asynchronous events
 * the spec defines (Base 2.1 §5.1.2).
 *
 * @module
 */

import { GetFeatures } from "../../spec/admin_commands.ts";
import { AsyncEventType, ErrorEvent } from "../../spec/async_events.ts";
import { FeatureId } from "../../spec/features.ts";
import { LogPageId } from "../../spec/log_page_ids.ts";
import { Flush } from "../../spec/nvm_commands.ts";
import { AdminOpcode, NvmOpcode } from "../../spec/opcodes.ts";
import { Status } from "../../spec/status.ts";
import { type CaseContext, type ConformanceCase, defineCases } from "../case.ts";
import { type Completion, pollUntil, type RawQueue } from "../raw_host.ts";
import {
  allocData,
  buildPrp,
  caseLba,
  ioEnv,
  mustReadBack,
  pattern,
  rwCommand,
} from "./_io_common.ts";
import {
  asyncEvent,
  awaitAdmin,
  EVENT_WAIT_NS,
  expectQuiet,
  postAer,
  QUIET_WAIT_NS,
} from "./_io_events.ts";

const IO: ["namespace", "io-queues"] = ["namespace", "io-queues"];
const DOORBELL_SECTION = "PCIe Transport 1.1 §3.1.2";
const INVALID_DOORBELL_SECTION = "Base 2.1 §5.1.2";
/** BAR0 offset of the first doorbell (SQ 0 tail). */
const DOORBELL_AREA = 0x1000;
/** Admin commands run between queueing on SQ 2 and ringing it (two CQ 0 head values). */
const ADMIN_COMMANDS_BEFORE_RING = 2;

/** The doorbell offset computed here from CAP.DSTRD, independent of spec/doorbell.ts. */
function doorbellAt(ctx: CaseContext, qid: number, isCq: boolean): number {
  return DOORBELL_AREA + (2 * qid + (isCq ? 1 : 0)) * (4 << ctx.caps.cap.dstrd);
}

/** A Flush of namespace `nsid`: a command that completes without data. */
function flush(nsid: number): Uint8Array {
  return Flush.encode({ opcode: NvmOpcode.FLUSH, nsid });
}

/** Waits until `n` completions arrived on `q` (releasing them) or the bound passes. */
function gather(q: RawQueue, n: number, ns = EVENT_WAIT_NS): Completion[] {
  const out: Completion[] = [];
  pollUntil(q.host, () => {
    let any = false;
    for (let c = q.take(); c; c = q.take()) {
      out.push(c);
      any = true;
    }
    if (any) q.release();
    return out.length >= n;
  }, ns);
  return out;
}

/** Fails unless the AER `cid` completed with an Error event of information `info` (log 01h). */
function expectErrorEvent(ctx: CaseContext, cid: number, info: number, what: string): void {
  const c = awaitAdmin(ctx.ctrl, cid);
  ctx.check(c !== null, `${what}: no asynchronous event within ${EVENT_WAIT_NS / 1e6} ms`);
  ctx.expectStatus(c, Status.SUCCESS, `${what}: AER`);
  const e = asyncEvent(c);
  ctx.check(
    e.type === AsyncEventType.ERROR && e.info === info && e.lid === LogPageId.ERROR,
    `${what}: event type ${e.type} info 0x${e.info.toString(16)} log 0x${e.lid.toString(16)}, ` +
      `expected Error (0) info 0x${info.toString(16)} log 01h`,
  );
}

/**
 * On an 8-entry queue pair with an AER outstanding and one Flush completed (CQ head = tail = 1),
 * writes CQ head `head`: an Invalid Doorbell Write Value Error event must follow.
 */
function invalidCqHead(ctx: CaseContext, head: number, what: string): void {
  const env = ioEnv(ctx, { size: 8 });
  const aer = postAer(env.ctrl);
  env.q.exec(flush(env.nsid));
  env.q.release(head);
  expectErrorEvent(ctx, aer, ErrorEvent.INVALID_DOORBELL_VALUE, what);
}

/** The doorbell cases. */
export const CASES: readonly ConformanceCase[] = defineCases([
  {
    id: "doorbell.stride.second-queue",
    title: "SQ 2's tail doorbell at 1000h + 4 × (4 << DSTRD) starts SQ 2 only, and no other " +
      "queue's doorbell does",
    section: DOORBELL_SECTION,
    needs: ["namespace", "io-queues-2"],
    run(ctx: CaseContext) {
      const env = ioEnv(ctx, { pairs: 2 });
      const [q1, q2] = env.queues;
      q2.submit(flush(env.nsid), { ring: false });
      // Doorbell writes for the other queues (SQ 0 tail and CQ 0 head for each admin command,
      // SQ 1 tail and CQ 1 head for a Flush on pair 1) must leave SQ 2 alone. A controller that
      // decodes doorbells with the wrong stride takes one of them for SQ 2's tail (with a 4-byte
      // stride at DSTRD = 2, CQ 0's head lands there). Two admin commands, so that one of the
      // CQ 0 head values written is non-zero.
      for (let i = 0; i < ADMIN_COMMANDS_BEFORE_RING; i++) {
        const c = ctx.ctrl.adminExec(
          GetFeatures.encode({ opcode: AdminOpcode.GET_FEATURES, fid: FeatureId.ARBITRATION }),
        );
        ctx.expectStatus(c, Status.SUCCESS, "Get Features Arbitration");
      }
      ctx.expectStatus(q1.exec(flush(env.nsid)), Status.SUCCESS, "Flush on SQ 1");
      expectQuiet(ctx, q2, "CQ 2 before SQ 2's tail doorbell was written");
      ctx.host.write32(doorbellAt(ctx, 2, false), q2.sqTail);
      const c = q2.wait();
      ctx.check(c.sqid === 2, `completion names SQ ${c.sqid}, expected 2`);
      ctx.expectStatus(c, Status.SUCCESS, "Flush on SQ 2");
      expectQuiet(ctx, q1, "CQ 1");
    },
  },
  {
    id: "doorbell.cq-head.releases-full-queue",
    title: "a full 2-entry CQ gets its next entry only after the CQ head doorbell write",
    section: "Base 2.1 §3.3.1",
    needs: IO,
    run(ctx: CaseContext) {
      const env = ioEnv(ctx, { size: 2 });
      const q = env.q;
      // A 2-entry CQ holds one entry (full when head = tail + 1).
      q.submit(flush(env.nsid));
      let first: Completion | null = null;
      pollUntil(ctx.host, () => (first = q.take()) !== null, EVENT_WAIT_NS);
      ctx.check(first !== null, "first completion did not arrive");
      q.submit(flush(env.nsid));
      ctx.host.sleep(QUIET_WAIT_NS);
      ctx.check(q.take() === null, "a second entry was posted into a full CQ");
      ctx.host.write32(doorbellAt(ctx, q.qid, true), q.cqHead);
      const second = gather(q, 1);
      ctx.check(second.length === 1, "second completion did not arrive after the head update");
      ctx.expectStatus(second[0], Status.SUCCESS, "second Flush");
    },
  },
  {
    id: "doorbell.sq-tail.not-rung",
    title: "entries written to the SQ but not announced by the tail doorbell are not executed",
    section: "Base 2.1 §3.3.1",
    needs: IO,
    run(ctx: CaseContext) {
      const env = ioEnv(ctx);
      for (let i = 0; i < 3; i++) env.q.submit(flush(env.nsid), { ring: false });
      expectQuiet(ctx, env.q, "3 entries without a doorbell write");
      env.q.ring();
      const got = gather(env.q, 3);
      ctx.check(got.length === 3, `${got.length} of 3 completions after the doorbell write`);
    },
  },
  {
    id: "doorbell.sq-tail.batched",
    title: "one tail doorbell write announcing 16 Writes: all complete and the data is right",
    section: "Base 2.1 §3.3.1",
    needs: IO,
    run(ctx: CaseContext) {
      const env = ioEnv(ctx, { size: 32 });
      const base = caseLba(env, 50, 16);
      const data = pattern(501, 16 * env.bs);
      for (let i = 0; i < 16; i++) {
        const addr = allocData(env.host, env.bs);
        env.host.memWrite(addr, data.subarray(i * env.bs, (i + 1) * env.bs));
        const prp = buildPrp(env.host, addr, env.bs);
        env.q.submit(rwCommand(NvmOpcode.WRITE, env.nsid, base + i, 1, prp), { ring: false });
      }
      env.q.ring();
      const got = gather(env.q, 16);
      ctx.check(got.length === 16, `${got.length} of 16 completions`);
      for (const c of got) ctx.expectStatus(c, Status.SUCCESS, `Write CID ${c.cid}`);
      mustReadBack(env, base, data, "16 batched Writes");
    },
  },
  {
    id: "doorbell.sq-tail.beyond-size",
    title: "an SQ tail ≥ the queue size is ignored and raises Invalid Doorbell Write Value",
    section: INVALID_DOORBELL_SECTION,
    needs: IO,
    run(ctx: CaseContext) {
      const env = ioEnv(ctx, { size: 8 });
      const aer = postAer(env.ctrl);
      for (let i = 0; i < 7; i++) env.q.submit(flush(env.nsid), { ring: false });
      env.q.ring(8);
      expectQuiet(ctx, env.q, "after SQ tail 8 on an 8-entry SQ");
      expectErrorEvent(ctx, aer, ErrorEvent.INVALID_DOORBELL_VALUE, "SQ tail 8");
    },
  },
  {
    id: "doorbell.cq-head.beyond-size",
    title: "a CQ head ≥ the queue size raises Invalid Doorbell Write Value",
    section: INVALID_DOORBELL_SECTION,
    needs: IO,
    run(ctx: CaseContext) {
      invalidCqHead(ctx, 8, "CQ head 8");
    },
  },
  {
    id: "doorbell.cq-head.past-tail",
    title: "a CQ head releasing entries never posted raises Invalid Doorbell Write Value",
    section: INVALID_DOORBELL_SECTION,
    needs: IO,
    run(ctx: CaseContext) {
      // One entry was posted and released (head = tail = 1); head 4 would consume 3 unposted.
      invalidCqHead(ctx, 4, "CQ head 4 with tail 1");
    },
  },
  {
    id: "doorbell.invalid-queue.not-processed",
    title: "a tail doorbell of a queue never created starts nothing; an event, if any, is right",
    section: INVALID_DOORBELL_SECTION,
    needs: IO,
    run(ctx: CaseContext) {
      const env = ioEnv(ctx);
      const aer = postAer(env.ctrl);
      // SQ 1 holds an entry that only SQ 1's doorbell may announce; ring the doorbell of SQ 2,
      // which was never created. The result is otherwise undefined (PCIe Transport 1.1 §3.1.2).
      env.q.submit(flush(env.nsid), { ring: false });
      ctx.host.write32(doorbellAt(ctx, env.q.qid + 1, false), 1);
      expectQuiet(ctx, env.q, "CQ 1 after ringing SQ 2");
      const c = awaitAdmin(env.ctrl, aer, EVENT_WAIT_NS);
      if (c === null) {
        ctx.note("no asynchronous event for the non-existent queue (allowed)");
        return;
      }
      const e = asyncEvent(c);
      ctx.check(
        e.type === AsyncEventType.ERROR && e.info === ErrorEvent.INVALID_DOORBELL_REGISTER,
        `event type ${e.type} info 0x${e.info.toString(16)}, expected Error info 00h ` +
          "(Write to Invalid Doorbell Register)",
      );
    },
  },
]);
