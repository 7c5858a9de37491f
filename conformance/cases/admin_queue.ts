/**
 * Conformance cases: the admin queue pair (Base 2.1 §3.3.1, §3.1.4.8, §4.2): wraparound at every
 * interesting size with the SQ Head and phase tag checked on each completion, full queues, SQ and
 * CQ of different sizes, a full Completion Queue never overrun, and CIDs echoed.
 *
 * Admin queue sizes are not bounded by CAP.MQES: on PCIe, MQES applies to the I/O queues the host
 * creates (Base 2.1 §3.1.4.1), and AQA allows 2 to 4096 entries (§3.1.4.8).
 *
 * @module
 */

import { type CaseContext, type ConformanceCase, defineCases } from "../case.ts";
import {
  checkBatch,
  checkOneByOne,
  expectSuccess,
  getNumberOfQueuesSqe,
  noCqeWithPhase,
  QUIET_WINDOW_NS,
} from "./_regs_util.ts";
import { CQE_SIZE } from "../../spec/cqe.ts";
import { SubmissionQueueEntry } from "../../spec/sqe.ts";
import { offsetOf } from "../../spec/struct.ts";

/** Byte offset of CDW0.CID in the SQE (Base 2.1 §4.1.1). */
const SQE_CID_OFFSET = offsetOf(SubmissionQueueEntry, "cid");
/** Admin queue sizes checked for wraparound: the minimum, odd and power-of-two sizes, maximum. */
const WRAP_SIZES = [2, 3, 4, 31, 32, 64, 256, 1024, 4096] as const;
/** Sizes filled to the brim (size − 1 outstanding commands). */
const FULL_SIZES = [4, 64] as const;
/** Sizes for the different-SQ-and-CQ cases: one small, one larger. */
const SMALL = 4, LARGE = 64;
/** CIDs at the edges of the 16-bit field, echoed unchanged. */
const EDGE_CIDS = [0xffff, 0x0000, 0x8000, 0x00ff, 0xff00, 0x1234] as const;
/** Commands submitted at once into a small CQ (more than it can hold). */
const OVERFLOW_COMMANDS = 10;
/** SQ size of the CQ-overrun case (room for all OVERFLOW_COMMANDS). */
const OVERFLOW_SQ = 16;

/** The admin-queue cases. */
export const CASES: readonly ConformanceCase[] = defineCases([
  ...WRAP_SIZES.map((size): ConformanceCase => ({
    id: `admin-queue.wrap.size-${size}`,
    title: `${size}-entry admin queues: ${2 * size + 1} commands one by one wrap SQ and CQ; ` +
      "every CQE has its CID, SQID 0, the SQ Head and the phase of its pass",
    section: "Base 2.1 §3.3.1",
    run(ctx: CaseContext) {
      const q = ctx.ctrl.enable({ adminDepth: size });
      checkOneByOne(ctx, q, 2 * size + 1, getNumberOfQueuesSqe);
    },
  })),
  ...FULL_SIZES.map((size): ConformanceCase => ({
    id: `admin-queue.full.size-${size}`,
    title: `${size}-entry admin queues filled twice with ${size - 1} commands (one doorbell each)`,
    section: "Base 2.1 §3.3.1.5",
    run(ctx: CaseContext) {
      const q = ctx.ctrl.enable({ adminDepth: size });
      checkBatch(ctx, q, size - 1, getNumberOfQueuesSqe);
      checkBatch(ctx, q, size - 1, getNumberOfQueuesSqe);
    },
  })),
  {
    id: "admin-queue.sizes.sq-smaller",
    title: `Admin SQ of ${SMALL} and CQ of ${LARGE} entries wrap independently`,
    section: "Base 2.1 §3.1.4.8",
    run(ctx: CaseContext) {
      const q = ctx.ctrl.enable({ adminDepth: SMALL, adminCqDepth: LARGE });
      checkOneByOne(ctx, q, 2 * LARGE + 1, getNumberOfQueuesSqe);
    },
  },
  {
    id: "admin-queue.sizes.cq-smaller",
    title: `Admin SQ of ${LARGE} and CQ of ${SMALL} entries wrap independently`,
    section: "Base 2.1 §3.1.4.8",
    run(ctx: CaseContext) {
      const q = ctx.ctrl.enable({ adminDepth: LARGE, adminCqDepth: SMALL });
      checkOneByOne(ctx, q, 2 * LARGE + 1, getNumberOfQueuesSqe);
    },
  },
  {
    id: "admin-queue.cq-full.not-overrun",
    title: `${OVERFLOW_COMMANDS} commands into a ${SMALL}-entry CQ: it holds ${SMALL - 1} ` +
      "until the head moves, then all complete",
    section: "Base 2.1 §3.3.1.5",
    run(ctx: CaseContext) {
      const q = ctx.ctrl.enable({ adminDepth: OVERFLOW_SQ, adminCqDepth: SMALL });
      const cids = new Set<number>();
      for (let i = 0; i < OVERFLOW_COMMANDS; i++) {
        cids.add(q.submit(getNumberOfQueuesSqe(), { ring: false }));
      }
      q.ring();
      ctx.host.sleep(QUIET_WINDOW_NS);
      // Full = tail one behind head: with head 0, slots 0..SMALL−2 may hold entries, the last not.
      const lastSlot = q.cq + (SMALL - 1) * CQE_SIZE;
      ctx.check(
        noCqeWithPhase(ctx.host, lastSlot, 1, 1),
        `the controller posted into slot ${SMALL - 1} of a full ${SMALL}-entry CQ (head 0)`,
      );
      for (let i = 0; i < OVERFLOW_COMMANDS; i++) {
        const c = q.wait();
        expectSuccess(ctx, c, `completion ${i}`);
        ctx.check(cids.delete(c.cid), `completion ${i}: CID ${c.cid} unknown or repeated`);
      }
    },
  },
  {
    id: "admin-queue.cid.echoed",
    title: "Completions echo the command identifiers, including 0, FFFFh and 8000h",
    section: "Base 2.1 §4.2.1",
    run(ctx: CaseContext) {
      const q = ctx.ctrl.enable();
      for (const cid of EDGE_CIDS) {
        const sqe = getNumberOfQueuesSqe();
        new DataView(sqe.buffer).setUint16(SQE_CID_OFFSET, cid, true);
        q.submit(sqe, { keepCid: true });
        const c = q.wait();
        expectSuccess(ctx, c, `CID 0x${cid.toString(16)}`);
        ctx.check(c.cid === cid, `CID 0x${cid.toString(16)} came back as 0x${c.cid.toString(16)}`);
        ctx.check(c.sqid === 0, `SQID ${c.sqid} on an admin completion`);
      }
    },
  },
  {
    id: "admin-queue.batch.sq-head",
    title: "Eight commands behind one doorbell: each completes once, SQ Head never goes back",
    section: "Base 2.1 §4.2.1",
    run(ctx: CaseContext) {
      const q = ctx.ctrl.enable();
      checkBatch(ctx, q, 8, getNumberOfQueuesSqe);
    },
  },
]);
