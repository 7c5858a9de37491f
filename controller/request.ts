/**
 * A command in flight inside the controller: the fetched SQE, where it came from, and its result.
 * Requests are pooled (allocated only when the pool grows), so the command path allocates nothing.
 *
 * @example
 * ```ts
 * import { RequestPool } from "./request.ts";
 * const pool = new RequestPool();
 * const r = pool.take();
 * r.cid = 7;
 * pool.give(r);
 * if (pool.take() !== r) throw new Error("reused");
 * ```
 *
 * @module
 */

import { Read } from "../spec/nvm_commands.ts";
import { SQE_SIZE, SubmissionQueueEntry } from "../spec/sqe.ts";
import { offsetOf, type UintField } from "../spec/struct.ts";
import type { EventHandle } from "../platform/scheduler.ts";
import type { SubmissionQueue } from "./queues.ts";

// SQE fields the command path reads straight from `Request.sqe` (Base 2.1 §4.1.1, Figure 92),
// their byte offsets taken once from the spec layouts so that no handler repeats a number.
const SQE_OPCODE_OFFSET = offsetOf(SubmissionQueueEntry, "opcode");
const SQE_CID_OFFSET = offsetOf(SubmissionQueueEntry, "cid");
const SQE_NSID_OFFSET = offsetOf(SubmissionQueueEntry, "nsid");
/** The SQE byte holding CDW0.PSDT (CDW0 bits 15:14), and PSDT's shift inside it (its top bits). */
const SQE_PSDT_OFFSET = offsetOf(SubmissionQueueEntry, "psdt");
const SQE_PSDT_SHIFT = (SubmissionQueueEntry.field("psdt") as UintField).bits?.[0] ?? 0;

/** Byte offset of MPTR (CDW4–5, the metadata pointer) in the SQE. */
export const SQE_MPTR_OFFSET: number = offsetOf(SubmissionQueueEntry, "mptr");
/** Byte offset of PRP Entry 1 (CDW6–7, Base 2.1 §4.3.1) in the SQE. */
export const SQE_PRP1_OFFSET: number = offsetOf(SubmissionQueueEntry, "prp1");
/** Byte offset of PRP Entry 2 (CDW8–9) in the SQE. */
export const SQE_PRP2_OFFSET: number = offsetOf(SubmissionQueueEntry, "prp2");
/**
 * Byte offset of SLBA (CDW10–11) in the NVM commands that address LBAs (Read, Write, Compare,
 * Write Zeroes, Write Uncorrectable, Verify: NVM CS 1.1 §3.3).
 */
export const SQE_SLBA_OFFSET: number = offsetOf(Read, "slba");

/** Handler result meaning "the handler will call `complete` later". */
export const PENDING: -1 = -1;

/** One command in flight. */
export class Request {
  /** The 64-byte SQE as fetched. */
  readonly sqe: Uint8Array = new Uint8Array(SQE_SIZE);
  /** A DataView over `sqe` for dword access. */
  readonly view: DataView = new DataView(this.sqe.buffer);
  /** The SQE as 16 words (the fetch DMA fills it through `DevicePort.dmaReadWords`). */
  readonly words: Uint32Array = new Uint32Array(this.sqe.buffer);
  /** The submission queue it was fetched from (null for a rejected duplicate CID). */
  sq: SubmissionQueue | null = null;
  /** Pending completion event when the latency model delays it. */
  timer: EventHandle | null = null;
  /** Submission queue id. */
  sqid = 0;
  /** Completion queue id. */
  cqid = 0;
  /** Command identifier. */
  cid = 0;
  /** Opcode. */
  opcode = 0;
  /** Namespace identifier. */
  nsid = 0;
  /** Completion DW0. */
  dw0 = 0;
  /** Completion DW1. */
  dw1 = 0;
  /** Status without the phase: `DNR<<14 | M<<13 | CRD<<11 | SCT<<8 | SC`. */
  status = 0;

  /** Copies the opcode, CID and NSID of the fetched SQE into `opcode`, `cid` and `nsid`. */
  readHeader(): void {
    this.opcode = this.sqe[SQE_OPCODE_OFFSET];
    this.cid = this.view.getUint16(SQE_CID_OFFSET, true);
    this.nsid = this.view.getUint32(SQE_NSID_OFFSET, true);
  }

  /** Command dword `n` (0..15) of the SQE. */
  cdw(n: number): number {
    return this.view.getUint32(n * 4, true);
  }

  /** CDW0.PSDT: PRPs or SGLs for the data (and metadata) pointers (a `Psdt` value, spec/sqe.ts). */
  psdt(): number {
    return this.sqe[SQE_PSDT_OFFSET] >>> SQE_PSDT_SHIFT;
  }

  /** A 64-bit SQE field at byte `offset` as a number (PRP entries, SLBA). */
  qword(offset: number): number {
    return this.view.getUint32(offset, true) + this.view.getUint32(offset + 4, true) * 2 ** 32;
  }
}

/** A free list of requests. */
export class RequestPool {
  #free: Request[] = [];

  /** A request with its result fields cleared. */
  take(): Request {
    const r = this.#free.pop() ?? new Request();
    r.dw0 = 0;
    r.dw1 = 0;
    r.status = 0;
    r.sq = null;
    r.timer = null;
    return r;
  }

  /** Returns a request to the pool. */
  give(r: Request): void {
    this.#free.push(r);
  }
}
