/**
 * Create/Delete I/O Completion and Submission Queue (Base 2.1 §5.2.1, §5.2.2, §5.2.3, §5.2.4),
 * with every error status those sections define, DNR set as the status table says (a queue
 * whose PRP list could not be read — Data Transfer Error — may be retried).
 *
 * Queue memory (CDW11.PC, PRP Entry 1):
 * - PC = 1: the queue is physically contiguous and PRP1 is its page-aligned base.
 * - PC = 0 with CAP.CQR = 1 (`cqr` option true): Invalid Field in Command (§5.2.1, §5.2.2).
 * - PC = 0 with CAP.CQR = 0: PRP1 is a PRP List pointer naming the queue's memory pages; the
 *   list is walked once, at creation ({@linkcode PrpWalker.walkQueue}), and the queue computes
 *   its slot addresses through the pages. A walk error fails the create with that status.
 *
 * Delete I/O Submission Queue and commands in flight (§5.2.4): the Delete completes only after
 * every command fetched from that queue has completed or been aborted. This controller executes
 * a command when it fetches it, so with no command or media latency nothing is ever in flight:
 * the queue goes at once and no "Command Aborted due to SQ Deletion" CQE is due. With a latency,
 * `ctrl.deleteSq` aborts the commands whose completion the engine scheduled (it posts those CQEs
 * itself); anything it could not abort (a handler's deferred completion) is let complete, and
 * the Delete waits for it, so every CQE for the queue precedes the Delete's. Commands still
 * unfetched in the SQ are discarded with it.
 *
 * @module
 */

import { Status, withTableDnr } from "../spec/status.ts";
import { CQE_SIZE, CQE_SIZE_SHIFT } from "../spec/cqe.ts";
import { SQE_SIZE, SQE_SIZE_SHIFT } from "../spec/sqe.ts";
import { ArbitrationMechanism } from "../spec/registers.ts";
import type { NvmeController } from "./controller.ts";
import { PrpWalker, SegmentList } from "./prp_walker.ts";
import type { QueuePageList } from "./queues.ts";
import { PENDING, type Request, SQE_PRP1_OFFSET } from "./request.ts";
import { HOST_RULES } from "./rules.ts";

/** CDW11.PC: 1 = physically contiguous. */
const PC_CONTIGUOUS = 1;
/** Run after the work in progress (a completion being posted), at the same virtual time. */
const NEXT_TURN_NS = 0;

/** A failing status with DNR as the status table says (Base 2.1 §4.2.3). */
const fail = withTableDnr;

/** The highest I/O queue id the host may create: what Number of Queues granted, else the max. */
function maxQid(ctrl: NvmeController, cq: boolean): number {
  const granted = cq ? ctrl.grantedIoQueues.cq : ctrl.grantedIoQueues.sq;
  return granted > 0 ? granted : ctrl.options.maxIoQueuePairs;
}

/**
 * Checks shared by both creates: queue size (0's based, ≤ MQES), the entry size in CC
 * (IOSQES/IOCQES), PC with CAP.CQR, alignment. `entryShift` is CC.IOSQES or CC.IOCQES and
 * `supportedShift` the only entry size this controller has (64 B SQE, 16 B CQE).
 */
function checkQueueShape(
  ctrl: NvmeController,
  req: Request,
  qsize: number,
  pc: number,
  entryShift: number,
  supportedShift: number,
): number {
  if (qsize === 0 || qsize > ctrl.options.mqes) return fail(Status.INVALID_QUEUE_SIZE);
  // CC.IOSQES/IOCQES still 0 (or not a size we have): the queue's entry size is not defined, so
  // an I/O queue of that kind cannot be created (Base 2.1 §3.1.4.5, Invalid Queue Size).
  if (entryShift !== supportedShift) return fail(Status.INVALID_QUEUE_SIZE);
  // CAP.CQR = 1: queues must be physically contiguous; PC = 0 is an Invalid Field (§5.2.1, §5.2.2).
  if (pc !== PC_CONTIGUOUS && ctrl.options.cqr) return fail(Status.INVALID_FIELD);
  // PRP1 — the contiguous queue's base or the PRP List pointer — has offset 0h (§5.2.1/§5.2.2).
  const prp1 = req.qword(SQE_PRP1_OFFSET);
  if (prp1 === 0 || prp1 % ctrl.regs.pageSize() !== 0) {
    ctrl.hostViolation(HOST_RULES.queueBase, `queue base 0x${prp1.toString(16)}`);
    return fail(Status.PRP_OFFSET_INVALID);
  }
  return 0;
}

/**
 * The pages of a queue of `entries` × `entrySize` bytes whose PRP list is at `prp1`, or the
 * status to fail the create with. Runs once per create (admin path), so it may allocate.
 */
function walkQueuePages(
  ctrl: NvmeController,
  prp1: number,
  entries: number,
  entrySize: number,
): QueuePageList | number {
  const pageSize = ctrl.regs.pageSize();
  const bytes = entries * entrySize;
  const out = new SegmentList(Math.ceil(bytes / pageSize), { coalesce: false });
  const status = new PrpWalker(ctrl.port).walkQueue(prp1, bytes, pageSize, out);
  if (status === Status.PRP_OFFSET_INVALID) {
    ctrl.hostViolation(
      HOST_RULES.queueBase,
      `queue PRP list at 0x${prp1.toString(16)}: an entry has an offset`,
    );
  }
  if (status !== Status.SUCCESS) return fail(status);
  return { addresses: out.addr.slice(0, out.count), pageSize };
}

/** Create I/O Completion Queue (opcode 05h). */
export function createIoCq(ctrl: NvmeController, req: Request): number {
  const cdw10 = req.cdw(10), cdw11 = req.cdw(11);
  const qid = cdw10 & 0xffff, qsize = cdw10 >>> 16;
  const pc = cdw11 & 1, ien = (cdw11 >>> 1) & 1, iv = cdw11 >>> 16;
  if (qid === 0 || qid > maxQid(ctrl, true) || ctrl.cqs[qid]) {
    return fail(Status.INVALID_QUEUE_IDENTIFIER);
  }
  const iocqes = ctrl.regs.ioCqEntrySize();
  const shape = checkQueueShape(ctrl, req, qsize, pc, iocqes, CQE_SIZE_SHIFT);
  if (shape) return shape;
  // With MSI-X every CQ names a vector the function has; without it only vector 0 exists.
  const vectors = ctrl.port.msixEnabled ? ctrl.options.msixVectors : 1;
  if (ien && iv >= vectors) return fail(Status.INVALID_INTERRUPT_VECTOR);
  const base = req.qword(SQE_PRP1_OFFSET);
  const pages = pc === PC_CONTIGUOUS ? undefined : walkQueuePages(ctrl, base, qsize + 1, CQE_SIZE);
  if (typeof pages === "number") return pages;
  ctrl.createCq(qid, pages?.addresses[0] ?? base, qsize + 1, ien === 1, iv, pages);
  const t = ctrl.port.trace;
  if (t.enabled) {
    t.emit({
      type: "create_cq",
      addr: base,
      cqid: qid,
      vector: iv,
      size: qsize,
      qflags: cdw11 & 0xffff,
      ien,
    });
  }
  return 0;
}

/** Create I/O Submission Queue (opcode 01h). */
export function createIoSq(ctrl: NvmeController, req: Request): number {
  const cdw10 = req.cdw(10), cdw11 = req.cdw(11);
  const qid = cdw10 & 0xffff, qsize = cdw10 >>> 16;
  const pc = cdw11 & 1, qprio = (cdw11 >>> 1) & 3, cqid = cdw11 >>> 16;
  if (cqid === 0 || !ctrl.cqs[cqid]) return fail(Status.COMPLETION_QUEUE_INVALID);
  if (qid === 0 || qid > maxQid(ctrl, false) || ctrl.sqs[qid]) {
    const wrong = ctrl.mutants["create-sq-invalid-qid-status"]; // mutants.ts
    return fail(wrong ? Status.INVALID_FIELD : Status.INVALID_QUEUE_IDENTIFIER);
  }
  const iosqes = ctrl.regs.ioSqEntrySize();
  const shape = checkQueueShape(ctrl, req, qsize, pc, iosqes, SQE_SIZE_SHIFT);
  if (shape) return shape;
  // QPRIO is used only under weighted round robin; otherwise it is ignored (§5.2.2, §3.4.4).
  const wrr = ctrl.regs.arbitration() === ArbitrationMechanism.WEIGHTED_ROUND_ROBIN;
  const priority = wrr ? qprio : 0;
  const base = req.qword(SQE_PRP1_OFFSET);
  const pages = pc === PC_CONTIGUOUS ? undefined : walkQueuePages(ctrl, base, qsize + 1, SQE_SIZE);
  if (typeof pages === "number") return pages;
  ctrl.createSq(qid, pages?.addresses[0] ?? base, qsize + 1, cqid, priority, pages);
  const t = ctrl.port.trace;
  if (t.enabled) {
    t.emit({ type: "create_sq", addr: base, sqid: qid, cqid, qsize, qflags: cdw11 & 0xffff });
  }
  return 0;
}

/**
 * Delete I/O Submission Queue (opcode 00h). The engine forgets the queue and aborts what it can
 * of the commands in flight; if any command fetched from the queue is still outstanding after
 * that, the Delete completes once it has (see the module notes) and returns {@linkcode PENDING}.
 */
export function deleteIoSq(ctrl: NvmeController, req: Request): number {
  const qid = req.cdw(10) & 0xffff;
  const sq = ctrl.sqs[qid];
  if (qid === 0 || !sq) return fail(Status.INVALID_QUEUE_IDENTIFIER);
  ctrl.deleteSq(qid);
  const t = ctrl.port.trace;
  if (t.enabled) t.emit({ type: "del_sq", qid });
  if (sq.outstanding.size === 0) return 0;
  // The drain runs inside the last command's completion, before its CQE is written: complete
  // the Delete on the next turn, unless the controller was reset in between.
  const adminSq = ctrl.sqs[req.sqid];
  sq.beginDeletion(() =>
    ctrl.port.schedule(NEXT_TURN_NS, () => {
      if (ctrl.sqs[req.sqid] !== adminSq) return;
      req.status = 0;
      ctrl.complete(req);
    })
  );
  return PENDING;
}

/** Delete I/O Completion Queue (opcode 04h): refused while an SQ still posts to it. */
export function deleteIoCq(ctrl: NvmeController, req: Request): number {
  const qid = req.cdw(10) & 0xffff;
  const cq = ctrl.cqs[qid];
  if (qid === 0 || !cq) return fail(Status.INVALID_QUEUE_IDENTIFIER);
  if (cq.sqs.size > 0) return fail(Status.INVALID_QUEUE_DELETION);
  ctrl.deleteCq(qid);
  const t = ctrl.port.trace;
  if (t.enabled) t.emit({ type: "del_cq", cqid: qid });
  return 0;
}
