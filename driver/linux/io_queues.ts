/**
 * I/O queue setup of the Linux-like driver (`nvme_setup_io_queues`, `nvme_create_io_queues`,
 * `nvme_delete_io_queues`, `nvme_dbbuf_set`):
 *
 * - Set Features Number of Queues and use what was granted; interrupt vectors;
 * - I/O queues created CQ first then SQ in ascending QID (polled queues last, IEN=0); fewer
 *   queues on failure;
 * - Doorbell Buffer Config (OACS bit 8) after the I/O queues exist, for I/O queues only.
 *
 * @module
 */

import { INTX_VECTOR } from "../../platform/ports.ts";
import { FeatureId } from "../../spec/features.ts";
import { AdminOpcode } from "../../spec/opcodes.ts";
import type { CAPValue } from "../../spec/value_types.ts";
import type { IoQueueInfo } from "../model.ts";
import { adminCommand as admin, type LinuxCore } from "./core.ts";
import { NvmeQueue } from "./queue.ts";

const QUEUE_CONTIGUOUS = 1;
const CQ_IRQ_ENABLED = 2;

interface QueuePlan {
  readonly maxQid: number;
  readonly rwQueues: number;
  readonly numVecs: number;
}

function planQueues(core: LinuxCore, n: number, msixVectors: number): QueuePlan {
  const poll = Math.min(core.options.pollQueues, Math.max(0, n - 1));
  const irqQueues = n - poll;
  const numVecs = msixVectors > 0 ? Math.min(msixVectors, 1 + irqQueues) : 1;
  const maxQid = Math.min(Math.max(numVecs - 1, 1) + poll, n);
  return { maxQid, rwQueues: poll === 0 ? maxQid : maxQid - poll, numVecs };
}

function createQueue(core: LinuxCore, q: NvmeQueue): boolean {
  const depth0 = q.depth - 1;
  const cq = admin(core, `Create I/O CQ ${q.qid}`, {
    admin: true,
    opcode: AdminOpcode.CREATE_IO_CQ,
    cdw10: ((depth0 << 16) | q.qid) >>> 0,
    cdw11:
      ((q.polled ? 0 : q.vector) << 16 | QUEUE_CONTIGUOUS | (q.polled ? 0 : CQ_IRQ_ENABLED)) >>>
      0,
  }, q.cq);
  if (cq.status !== 0) return false;
  const sq = admin(core, `Create I/O SQ ${q.qid}`, {
    admin: true,
    opcode: AdminOpcode.CREATE_IO_SQ,
    cdw10: ((depth0 << 16) | q.qid) >>> 0,
    cdw11: ((q.qid << 16) | QUEUE_CONTIGUOUS) >>> 0,
  }, q.sq);
  if (sq.status !== 0) {
    admin(core, `Delete I/O CQ ${q.qid}`, {
      admin: true,
      opcode: AdminOpcode.DELETE_IO_CQ,
      cdw10: q.qid,
    });
    return false;
  }
  q.init();
  if (q.qid > 0 && core.dbbuf?.covers(q.qid)) {
    const b = core.dbbuf;
    q.dbbufSqDb = b.dbs + b.slot(q.qid, false);
    q.dbbufSqEi = b.eis + b.slot(q.qid, false);
    q.dbbufCqDb = b.dbs + b.slot(q.qid, true);
    q.dbbufCqEi = b.eis + b.slot(q.qid, true);
  }
  return true;
}

/** Deletes every I/O queue: all SQs first, then all CQs (`nvme_delete_io_queues`). */
export function deleteIoQueues(core: LinuxCore): void {
  for (const op of [AdminOpcode.DELETE_IO_SQ, AdminOpcode.DELETE_IO_CQ]) {
    let pending = 0;
    for (let i = core.io.length - 1; i >= 0; i--) {
      const cmd = { admin: true, opcode: op, cdw10: core.io[i].qid };
      const deadline = core.host.now() + core.options.adminTimeoutNs;
      while (!core.submitOn(core.admin!, cmd, () => pending--)) {
        if (!core.waitUntil(() => core.admin!.hasFreeTag, deadline)) return;
      }
      pending++;
    }
    if (!core.waitUntil(() => pending === 0, core.host.now() + core.options.adminTimeoutNs)) {
      core.warn("queue deletion timed out");
      return;
    }
  }
}

function releaseIoQueues(core: LinuxCore): void {
  for (const q of core.io) q.free();
  core.io = [];
  core.defaultSet = [];
  core.readSet = [];
  core.pollSet = [];
}

/**
 * Number of Queues, then the I/O queues (fewer on failure) and their interrupt and poll sets;
 * returns what was created.
 */
export function setupIoQueues(core: LinuxCore, cap: CAPValue, msixVectors: number): IoQueueInfo[] {
  const o = core.options;
  const depth = Math.min(cap.mqes + 1, o.ioQueueDepth);
  let n = o.cpus + o.writeQueues + o.pollQueues;
  const c = admin(core, "Set Features Number of Queues", {
    admin: true,
    opcode: AdminOpcode.SET_FEATURES,
    cdw10: FeatureId.NUMBER_OF_QUEUES,
    cdw11: (((n - 1) << 16) | (n - 1)) >>> 0,
  });
  if (c.status !== 0) {
    core.warn(`Could not set queue count (${c.status.toString(16)})`);
    n = 0;
  } else {
    n = Math.min(n, Math.min(c.dw0 & 0xffff, c.dw0 >>> 16) + 1);
  }
  releaseIoQueues(core);
  for (;;) {
    if (n === 0) break;
    const plan = planQueues(core, n, msixVectors);
    let created = 0;
    for (let qid = 1; qid <= plan.maxQid; qid++) {
      const polled = qid > plan.rwQueues;
      const vector = polled ? 0 : (plan.numVecs === 1 ? 0 : qid);
      const q = new NvmeQueue(core.host, qid, depth, cap.dstrd, depth - 1, vector, polled);
      core.io.push(q);
      if (!createQueue(core, q)) {
        core.io.pop();
        q.free();
        break;
      }
      created++;
    }
    if (created === plan.maxQid) {
      assignSets(core, msixVectors > 0);
      break;
    }
    core.warn(`only ${created} of ${plan.maxQid} I/O queues created; retrying with fewer`);
    deleteIoQueues(core);
    releaseIoQueues(core);
    n = created;
  }
  return core.io.map((q) => ({ qid: q.qid, depth: q.depth, polled: q.polled, vector: q.vector }));
}

function assignSets(core: LinuxCore, msix: boolean): void {
  const irq = core.io.filter((q) => !q.polled);
  core.pollSet = core.io.filter((q) => q.polled);
  const w = core.options.writeQueues;
  if (w > 0 && irq.length > 1) {
    const nWrite = Math.min(w, irq.length - 1);
    core.defaultSet = irq.slice(0, nWrite);
    core.readSet = irq.slice(nWrite);
  } else {
    core.defaultSet = irq;
    core.readSet = [];
  }
  core.byVector = new Map();
  core.vectors = [];
  const add = (v: number, q: NvmeQueue) => {
    const key = msix ? v : INTX_VECTOR;
    if (!core.byVector.has(key)) {
      core.byVector.set(key, []);
      core.vectors.push(key);
    }
    core.byVector.get(key)!.push(q);
  };
  add(0, core.admin!);
  for (const q of irq) add(q.vector, q);
}

/** `nvme_dbbuf_set`: Doorbell Buffer Config for the I/O queues; false (buffers freed) on failure. */
export function dbbufSet(core: LinuxCore): boolean {
  const b = core.dbbuf;
  if (!b || core.io.length === 0) return false;
  const c = admin(
    core,
    "Doorbell Buffer Config",
    {
      admin: true,
      opcode: AdminOpcode.DOORBELL_BUFFER_CONFIG,
    },
    b.dbs,
    b.eis,
  );
  if (c.status === 0) return true;
  core.warn(`unable to set dbbuf (status 0x${c.status.toString(16)})`);
  for (const q of core.io) {
    q.dbbufSqDb =
      q.dbbufSqEi =
      q.dbbufCqDb =
      q.dbbufCqEi =
        0;
  }
  b.free();
  core.dbbuf = null;
  return false;
}
