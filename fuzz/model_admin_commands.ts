/**
 * The admin commands of the model-based test (`model_commands.ts`): Create I/O CQ + SQ, Create
 * I/O SQ with a bad identifier, Delete I/O SQ + CQ, Get Features Number of Queues and Identify
 * Controller — each predicting the controller's answer from the model (Base 2.1 §5.2.1, §5.2.2,
 * §5.2.3, §5.2.4, §5.1.25.2.1, §5.1.13.2.1).
 *
 * @example
 * ```ts
 * import { CreateQueueCmd } from "./model_admin_commands.ts";
 * if (new CreateQueueCmd(3, 8).toString() !== "createQueue(pick 3, 8 entries)") throw new Error();
 * ```
 *
 * @module
 */

import { Cns } from "../spec/admin_commands.ts";
import { CQE_SIZE } from "../spec/cqe.ts";
import { FeatureId } from "../spec/features.ts";
import { IDENTIFY_DATA_SIZE, IdentifyController } from "../spec/identify_controller.ts";
import { AdminOpcode } from "../spec/opcodes.ts";
import { SQE_SIZE } from "../spec/sqe.ts";
import { Status } from "../spec/status.ts";
import { check } from "./property.ts";
import {
  completedOk,
  freeQueue,
  issued,
  type Model,
  type ModelCommand,
  noFindings,
  type Real,
} from "./model_state.ts";

/** CAP.MQES of the controller in the model-based test (queues of up to 32 entries). */
export const MODEL_MQES = 31;
const PAGE = 4096;
/** Create I/O CQ/SQ CDW10: QSIZE (0's based) in bits 31:16, QID in 15:0. */
const QSIZE_SHIFT = 16;
/** Create I/O SQ CDW11: CQID in bits 31:16; PC (physically contiguous) is bit 0. */
const CQID_SHIFT = 16;
const PC = 1;
/** Number of Queues: NSQA in bits 15:0 and NCQA in 31:16 of DW0, both 0's based. */
export const NSQA_MASK = 0xffff;

/** Create I/O CQ + SQ with id `qid` and `entries` entries. */
export class CreateQueueCmd implements ModelCommand {
  constructor(readonly pick: number, readonly entries: number) {}
  check(): boolean {
    return true;
  }
  qid(m: Model): number {
    // 0..granted+1: in use by the driver, created by us, free, or beyond the grant.
    return this.pick % (m.granted + 2);
  }
  run(m: Model, r: Real): void {
    const qid = this.qid(m);
    const what = `${this} → qid ${qid}`;
    const inUse = m.driverQids.has(qid) || m.created.has(qid);
    const idOk = qid >= 1 && qid <= m.granted && !inUse;
    const sizeOk = this.entries >= 2 && this.entries <= MODEL_MQES + 1;
    const mem = r.sim.host.allocate(Math.max(PAGE, this.entries * SQE_SIZE), PAGE);
    const cdw10 = (((this.entries - 1) << QSIZE_SHIFT) | qid) >>> 0;
    const cq = completedOk(r, what, {
      admin: true,
      opcode: AdminOpcode.CREATE_IO_CQ,
      cdw10,
      cdw11: PC, // polled: interrupts disabled, no vector to share
      data: [{ addr: mem, length: this.entries * CQE_SIZE }],
    });
    const want = !idOk ? Status.INVALID_QUEUE_IDENTIFIER : !sizeOk ? Status.INVALID_QUEUE_SIZE : 0;
    check(
      cq === want,
      `${what}: Create I/O CQ status 0x${cq.toString(16)}, model expects 0x${want.toString(16)}`,
    );
    if (cq !== 0) {
      r.sim.host.free(mem);
      noFindings(r, what);
      return;
    }
    // Queue bases are memory-page aligned (Base 2.1 §5.2.2, PRP Entry 1): the SQ gets its own.
    const sqAddr = r.sim.host.allocate(Math.max(PAGE, this.entries * SQE_SIZE), PAGE);
    const sq = completedOk(r, what, {
      admin: true,
      opcode: AdminOpcode.CREATE_IO_SQ,
      cdw10,
      cdw11: ((qid << CQID_SHIFT) | PC) >>> 0,
      data: [{ addr: sqAddr, length: this.entries * SQE_SIZE }],
    });
    check(sq === 0, `${what}: Create I/O SQ status 0x${sq.toString(16)} after its CQ was created`);
    m.created.add(qid);
    r.queueMemory.set(qid, [mem, sqAddr]);
    noFindings(r, what);
  }
  toString(): string {
    return `createQueue(pick ${this.pick}, ${this.entries} entries)`;
  }
}

/**
 * Create I/O SQ alone with an identifier that cannot be created (0, in use by the driver, beyond
 * the grant), bound to the driver's first CQ: Invalid Queue Identifier (Base 2.1 §5.2.2).
 */
export class CreateSqBadIdCmd implements ModelCommand {
  constructor(readonly pick: number) {}
  qid(m: Model): number {
    const candidates = [0, m.granted + 1, ...m.driverQids, ...m.created];
    return candidates[this.pick % candidates.length];
  }
  check(m: Model): boolean {
    return m.driverQids.size > 0;
  }
  run(m: Model, r: Real): void {
    const qid = this.qid(m);
    const cqid = Math.min(...m.driverQids);
    const what = `${this} → qid ${qid} on CQ ${cqid}`;
    const mem = r.sim.host.allocate(PAGE, PAGE);
    const s = completedOk(r, what, {
      admin: true,
      opcode: AdminOpcode.CREATE_IO_SQ,
      cdw10: ((1 << QSIZE_SHIFT) | qid) >>> 0,
      cdw11: ((cqid << CQID_SHIFT) | PC) >>> 0,
      data: [{ addr: mem, length: 2 * SQE_SIZE }],
    });
    r.sim.host.free(mem);
    check(
      s === Status.INVALID_QUEUE_IDENTIFIER,
      `${what}: status 0x${s.toString(16)}, model expects Invalid Queue Identifier (0x101)`,
    );
    noFindings(r, what);
  }
  toString(): string {
    return `createSqWithBadId(pick ${this.pick})`;
  }
}

/** Delete I/O SQ then CQ `qid` — never one of the driver's own queues. */
export class DeleteQueueCmd implements ModelCommand {
  constructor(readonly pick: number) {}
  qid(m: Model): number {
    const candidates = [0, m.granted + 1, ...m.created];
    for (let q = 1; q <= m.granted; q++) if (!m.driverQids.has(q)) candidates.push(q);
    return candidates[this.pick % candidates.length];
  }
  check(): boolean {
    return true;
  }
  run(m: Model, r: Real): void {
    const qid = this.qid(m);
    const what = `${this} → qid ${qid}`;
    const exists = m.created.has(qid);
    const want = exists ? 0 : Status.INVALID_QUEUE_IDENTIFIER;
    for (const opcode of [AdminOpcode.DELETE_IO_SQ, AdminOpcode.DELETE_IO_CQ]) {
      const s = completedOk(r, what, { admin: true, opcode, cdw10: qid });
      check(
        s === want,
        `${what}: opcode 0x${opcode.toString(16)} status 0x${s.toString(16)}, model expects 0x${
          want.toString(16)
        }`,
      );
    }
    if (exists) {
      m.created.delete(qid);
      freeQueue(r, qid);
    }
    noFindings(r, what);
  }
  toString(): string {
    return `deleteQueue(pick ${this.pick})`;
  }
}

/** Get Features Number of Queues: the grant never changes (Base 2.1 §5.1.25.2.1). */
export class GetQueuesCmd implements ModelCommand {
  check(): boolean {
    return true;
  }
  run(m: Model, r: Real): void {
    issued(r, 1);
    const c = r.disk.exec({
      admin: true,
      opcode: AdminOpcode.GET_FEATURES,
      cdw10: FeatureId.NUMBER_OF_QUEUES,
    });
    check(c.status === 0 && c.hostError === null, `${this}: status 0x${c.status.toString(16)}`);
    const nsqa = (c.dw0 & NSQA_MASK) + 1;
    check(nsqa === m.granted, `${this}: ${nsqa} SQs granted, ${m.granted} at bring-up`);
    noFindings(r, this.toString());
  }
  toString(): string {
    return "getFeatures(Number of Queues)";
  }
}

/** Identify Controller: SN and MN as found at bring-up (Base 2.1 §5.1.13.2.1). */
export class IdentifyCmd implements ModelCommand {
  check(): boolean {
    return true;
  }
  run(_m: Model, r: Real): void {
    const buf = r.sim.host.allocate(IDENTIFY_DATA_SIZE, PAGE);
    issued(r, 1);
    const c = r.disk.exec({
      admin: true,
      opcode: AdminOpcode.IDENTIFY,
      cdw10: Cns.CONTROLLER,
      data: [{ addr: buf, length: IDENTIFY_DATA_SIZE }],
    });
    check(c.status === 0 && c.hostError === null, `${this}: status 0x${c.status.toString(16)}`);
    const raw = new Uint8Array(IDENTIFY_DATA_SIZE);
    r.sim.host.memRead(buf, raw);
    r.sim.host.free(buf);
    const id = IdentifyController.decode(raw);
    check(
      id.sn === r.identity.sn && id.mn === r.identity.mn,
      `${this}: SN/MN "${id.sn}"/"${id.mn}" changed since bring-up`,
    );
    noFindings(r, this.toString());
  }
  toString(): string {
    return "identify(controller)";
  }
}
