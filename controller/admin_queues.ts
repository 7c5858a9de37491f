/**
 * Create/Delete I/O Completion and Submission Queue (Base 2.1 §5.2.2, §5.2.3, §5.2.5, §5.2.6),
 * with every error status those sections define. All errors set DNR: retrying the same command
 * cannot succeed.
 *
 * @module
 */

import { Status } from "../spec/status.ts";
import type { NvmeController } from "./controller.ts";
import type { Request } from "./request.ts";

const DNR = 1 << 14;
const PRP1 = 24;

function fail(status: number): number {
  return status | DNR;
}

/** The highest I/O queue id the host may create: what Number of Queues granted, else the max. */
function maxQid(ctrl: NvmeController, cq: boolean): number {
  const granted = cq ? ctrl.grantedIoQueues.cq : ctrl.grantedIoQueues.sq;
  return granted > 0 ? granted : ctrl.options.maxIoQueuePairs;
}

/** Checks shared by both creates: queue size (0's based, ≤ MQES), PC with CAP.CQR, alignment. */
function checkQueueShape(ctrl: NvmeController, req: Request, qsize: number, pc: number): number {
  if (qsize === 0 || qsize > ctrl.options.mqes) return fail(Status.INVALID_QUEUE_SIZE);
  // CAP.CQR = 1 requires physically contiguous queues (§5.2.2: PC = 0 → Invalid Field). With
  // CQR = 0 a PC = 0 queue would be a PRP list; this model does not implement those yet and
  // refuses them the same way (a documented deviation).
  if (pc === 0) return fail(Status.INVALID_FIELD);
  const base = req.qword(PRP1);
  // A contiguous queue starts on a memory page boundary (§5.2.2/§5.2.3 PRP Entry 1).
  if (base === 0 || base % ctrl.regs.pageSize() !== 0) return fail(Status.PRP_OFFSET_INVALID);
  return 0;
}

/** Create I/O Completion Queue (opcode 05h). */
export function createIoCq(ctrl: NvmeController, req: Request): number {
  const cdw10 = req.cdw(10), cdw11 = req.cdw(11);
  const qid = cdw10 & 0xffff, qsize = cdw10 >>> 16;
  const pc = cdw11 & 1, ien = (cdw11 >>> 1) & 1, iv = cdw11 >>> 16;
  if (qid === 0 || qid > maxQid(ctrl, true) || ctrl.cqs[qid]) {
    return fail(Status.INVALID_QUEUE_IDENTIFIER);
  }
  const shape = checkQueueShape(ctrl, req, qsize, pc);
  if (shape) return shape;
  // With MSI-X every CQ names a vector the function has; without it only vector 0 exists.
  const vectors = ctrl.port.msixEnabled ? ctrl.options.msixVectors : 1;
  if (ien && iv >= vectors) return fail(Status.INVALID_INTERRUPT_VECTOR);
  const base = req.qword(PRP1);
  ctrl.createCq(qid, base, qsize + 1, ien === 1, iv);
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
    return fail(Status.INVALID_QUEUE_IDENTIFIER);
  }
  const shape = checkQueueShape(ctrl, req, qsize, pc);
  if (shape) return shape;
  const base = req.qword(PRP1);
  ctrl.createSq(qid, base, qsize + 1, cqid, qprio);
  const t = ctrl.port.trace;
  if (t.enabled) {
    t.emit({ type: "create_sq", addr: base, sqid: qid, cqid, qsize, qflags: cdw11 & 0xffff });
  }
  return 0;
}

/** Delete I/O Submission Queue (opcode 00h). */
export function deleteIoSq(ctrl: NvmeController, req: Request): number {
  const qid = req.cdw(10) & 0xffff;
  if (qid === 0 || !ctrl.sqs[qid]) return fail(Status.INVALID_QUEUE_IDENTIFIER);
  ctrl.deleteSq(qid);
  const t = ctrl.port.trace;
  if (t.enabled) t.emit({ type: "del_sq", qid });
  return 0;
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
