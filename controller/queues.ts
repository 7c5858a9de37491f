/**
 * Submission and Completion Queue state on the controller side (Base 2.1 §3.3.1): ring indices,
 * the phase tag, and CQE posting with back-pressure — a CQE is never written into a slot the host
 * has not released, so a full CQ holds completions back instead of overwriting (§3.3.1.5).
 *
 * @example
 * ```ts
 * import { CompletionQueue } from "./queues.ts";
 * const cq = new CompletionQueue(1, 0x10000, 4, true, 1);
 * if (cq.phase !== 1 || cq.isFull()) throw new Error();
 * ```
 *
 * @module
 */

import { CQE_SIZE, CQE_STATUS_OFFSET } from "../spec/cqe.ts";
import { SQE_SIZE } from "../spec/sqe.ts";
import { ringFull, ringNext } from "../spec/ring.ts";
import type { DevicePort } from "../platform/ports.ts";

/** A Submission Queue as the controller sees it. */
export class SubmissionQueue {
  /** Head: next entry the controller fetches. */
  head = 0;
  /** Tail: last value the host wrote to the tail doorbell. */
  tail = 0;
  /** Commands fetched from this SQ and not yet completed, by CID (for CID conflict checks). */
  readonly outstanding: Set<number> = new Set();

  /**
   * Creates an SQ.
   * @param id Queue identifier (0 = admin).
   * @param base Host address of slot 0 (physically contiguous).
   * @param size Number of slots (QSIZE + 1).
   * @param cqid The completion queue it posts to.
   * @param priority Weighted round robin class (0 urgent … 3 low).
   */
  constructor(
    readonly id: number,
    readonly base: number,
    readonly size: number,
    readonly cqid: number,
    readonly priority = 0,
  ) {}

  /** True when fetched entries remain between head and tail. */
  hasWork(): boolean {
    return this.head !== this.tail;
  }

  /** Host address of the slot at `head`. */
  headAddress(): number {
    return this.base + this.head * SQE_SIZE;
  }

  /** Consumes the entry at `head`. */
  advanceHead(): void {
    this.head = ringNext(this.head, this.size);
  }
}

/** A Completion Queue as the controller sees it. */
export class CompletionQueue {
  /** Head: last value the host wrote to the head doorbell. */
  head = 0;
  /** Tail: next slot the controller writes. */
  tail = 0;
  /** Phase tag written into new entries; inverts every time the tail wraps (§3.3.1.3). */
  phase = 1;
  /** SQs bound to this CQ (a CQ cannot be deleted while any remain). */
  readonly sqs: Set<number> = new Set();
  /** Commands fetched for this CQ whose completion is not yet posted (reserve a slot each). */
  inFlight = 0;

  /**
   * Creates a CQ.
   * @param id Queue identifier (0 = admin).
   * @param base Host address of slot 0.
   * @param size Number of slots (QSIZE + 1).
   * @param interruptsEnabled CDW11.IEN.
   * @param vector CDW11.IV: the MSI-X vector.
   */
  constructor(
    readonly id: number,
    readonly base: number,
    readonly size: number,
    readonly interruptsEnabled: boolean,
    readonly vector: number,
  ) {}

  /** True when posting one more entry would overwrite one the host has not consumed. */
  isFull(): boolean {
    return ringFull(this.head, this.tail, this.size);
  }

  /** Number of posted entries the host has not released. */
  unconsumed(): number {
    return this.tail >= this.head ? this.tail - this.head : this.tail + this.size - this.head;
  }

  /**
   * Writes one CQE at the tail with the current phase and advances the tail. The caller checked
   * `isFull()` first. The status word (with the phase tag) is written last, after the rest of
   * the entry, so a host polling the phase never sees a half-written entry.
   * Returns false when the DMA was refused (the entry is then lost, as on real hardware).
   */
  post(port: DevicePort, scratch: Uint8Array, status: number): boolean {
    const addr = this.base + this.tail * CQE_SIZE;
    const phased = ((status << 1) | this.phase) & 0xffff;
    scratch[CQE_STATUS_OFFSET] = 0;
    scratch[CQE_STATUS_OFFSET + 1] = 0;
    let ok = port.dmaWrite(addr, scratch, 0, CQE_STATUS_OFFSET);
    scratch[CQE_STATUS_OFFSET] = phased & 0xff;
    scratch[CQE_STATUS_OFFSET + 1] = phased >>> 8;
    ok = port.dmaWrite(addr + CQE_STATUS_OFFSET, scratch, CQE_STATUS_OFFSET, 2) && ok;
    this.tail = ringNext(this.tail, this.size);
    if (this.tail === 0) this.phase ^= 1;
    return ok;
  }
}
