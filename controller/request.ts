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

import { SQE_SIZE } from "../spec/sqe.ts";
import type { EventHandle } from "../platform/scheduler.ts";
import type { SubmissionQueue } from "./queues.ts";

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

  /** Command dword `n` (0..15) of the SQE. */
  cdw(n: number): number {
    return this.view.getUint32(n * 4, true);
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
