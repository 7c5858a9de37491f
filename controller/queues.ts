/**
 * Submission and Completion Queue state on the controller side (Base 2.1 §3.3.1): ring indices,
 * the phase tag, and CQE posting with back-pressure — a CQE is never written into a slot the host
 * has not released, so a full CQ holds completions back instead of overwriting (§3.3.1.2.1).
 *
 * A queue is either physically contiguous (slot `i` at `base + i × entry size`) or, when CAP.CQR
 * is 0 and the host created it with CDW11.PC = 0, spread over the memory pages of a PRP list
 * (§5.2.1, §5.2.2): slot `i` is then in page `⌊i × entry size / page size⌋` of
 * {@linkcode QueuePageList}. Entry sizes (64 and 16 bytes) divide every memory page size, so an
 * entry never straddles two pages.
 *
 * @example A contiguous CQ
 * ```ts
 * import { CompletionQueue } from "./queues.ts";
 * const cq = new CompletionQueue(1, 0x10000, 4, true, 1);
 * if (cq.phase !== 1 || cq.isFull()) throw new Error();
 * ```
 *
 * @example An SQ over two non-adjacent 4 KiB pages: slot 64 starts the second page
 * ```ts
 * import { SubmissionQueue } from "./queues.ts";
 * const pages = { addresses: Float64Array.of(0x9000, 0x3000), pageSize: 4096 };
 * const sq = new SubmissionQueue(1, 0x9000, 128, 1, 0, pages);
 * for (let i = 0; i < 64; i++) sq.advanceHead();
 * if (sq.headAddress() !== 0x3000) throw new Error();
 * ```
 *
 * @module
 */

import { CQE_SIZE, CQE_STATUS_OFFSET } from "../spec/cqe.ts";
import { SQE_SIZE } from "../spec/sqe.ts";
import { ringFull, ringNext } from "../spec/ring.ts";
import { OutstandingCommands } from "./outstanding.ts";

/** A CQE in 32-bit words. */
const CQE_WORDS = CQE_SIZE / 4;

export { OutstandingCommands } from "./outstanding.ts";

/**
 * What posting a CQE needs from the machine: a DMA write that returns false when refused.
 * `DevicePort` (platform/ports.ts) satisfies it as it is; tests pass a recorder.
 */
export interface DmaWriter {
  /** Writes `length` bytes of `src[srcOffset…]` to host `addr`; false when the DMA is refused. */
  dmaWrite(addr: number, src: Uint8Array, srcOffset?: number, length?: number): boolean;
  /** Optional: writes `count` 32-bit words of `src[index…]` (`DevicePort.dmaWriteWords`). */
  dmaWriteWords?(addr: number, src: Uint32Array, index: number, count: number): boolean;
}

/**
 * The memory pages of a physically non-contiguous queue (CAP.CQR = 0, CDW11.PC = 0): the page
 * addresses the queue's PRP list named, in queue order, and the memory page size (CC.MPS).
 */
export interface QueuePageList {
  /** Host address of each memory page of the queue (each a multiple of `pageSize`). */
  readonly addresses: Float64Array;
  /** Memory page size in bytes: `2^(12 + CC.MPS)`. */
  readonly pageSize: number;
}

/** Thrown when a page list cannot hold the queue it is given for (a harness bug). */
export class QueueLayoutError extends RangeError {
  /** Creates the error; the message says what the page list lacks. */
  constructor(message: string) {
    super(message);
    this.name = "QueueLayoutError";
  }
}

/** Slot addressing shared by both queue kinds: contiguous, or through a page list. */
class SlotMap {
  readonly #base: number;
  readonly #entrySize: number;
  readonly #pages: Float64Array | null;
  readonly #slotsPerPage: number;

  constructor(base: number, size: number, entrySize: number, pages?: QueuePageList) {
    this.#base = base;
    this.#entrySize = entrySize;
    this.#pages = pages ? pages.addresses : null;
    this.#slotsPerPage = pages ? pages.pageSize / entrySize : 0;
    if (!pages) return;
    if (!Number.isInteger(this.#slotsPerPage) || this.#slotsPerPage < 1) {
      throw new QueueLayoutError(
        `page size ${pages.pageSize} is not a multiple of the ${entrySize}-byte entry`,
      );
    }
    const needed = Math.ceil(size / this.#slotsPerPage);
    if (pages.addresses.length < needed) {
      throw new QueueLayoutError(
        `${size} entries of ${entrySize} bytes need ${needed} pages of ${pages.pageSize} bytes, ` +
          `the page list has ${pages.addresses.length}: walk the whole PRP list first`,
      );
    }
  }

  address(slot: number): number {
    const pages = this.#pages;
    if (pages === null) return this.#base + slot * this.#entrySize;
    const n = this.#slotsPerPage;
    const page = Math.floor(slot / n);
    return pages[page] + (slot - page * n) * this.#entrySize;
  }
}

/** A Submission Queue as the controller sees it. */
export class SubmissionQueue {
  /** Head: next entry the controller fetches. */
  head = 0;
  /** Tail: last value the host wrote to the tail doorbell. */
  tail = 0;
  /**
   * Commands fetched from this SQ and not yet completed, by CID (CID conflict checks, Abort):
   * the controller stores each one's request object.
   */
  readonly outstanding: OutstandingCommands = new OutstandingCommands();
  readonly #slots: SlotMap;
  #deleting = false;

  /**
   * Creates an SQ.
   * @param id Queue identifier (0 = admin).
   * @param base Host address of slot 0 (the first page's address for a page-list queue).
   * @param size Number of slots (QSIZE + 1).
   * @param cqid The completion queue it posts to.
   * @param priority Weighted round robin class (QPRIO: 0 urgent … 3 low); 0 when the host
   *   created the queue under round robin (CC.AMS = 0), where QPRIO is ignored (§5.2.2).
   * @param pages The queue's memory pages when it is not physically contiguous (PC = 0).
   */
  constructor(
    readonly id: number,
    readonly base: number,
    readonly size: number,
    readonly cqid: number,
    readonly priority = 0,
    pages?: QueuePageList,
  ) {
    this.#slots = new SlotMap(base, size, SQE_SIZE, pages);
  }

  /**
   * True when entries remain between head and tail and the queue may be fetched from (not once
   * its deletion has begun).
   */
  hasWork(): boolean {
    return !this.#deleting && this.head !== this.tail;
  }

  /** Host address of the slot at `head`. */
  headAddress(): number {
    return this.#slots.address(this.head);
  }

  /** Consumes the entry at `head`. */
  advanceHead(): void {
    this.head = ringNext(this.head, this.size);
  }

  /** True once {@linkcode beginDeletion} was called: the queue is no longer fetched from. */
  get deleting(): boolean {
    return this.#deleting;
  }

  /**
   * Delete I/O Submission Queue with commands in flight (Base 2.1 §5.2.4): stops fetching and
   * calls `onDrained` once every command already fetched from this queue has completed (at once
   * when none is outstanding). The caller removes the queue and completes the Delete then.
   */
  beginDeletion(onDrained: () => void): void {
    this.#deleting = true;
    if (this.outstanding.size === 0) onDrained();
    else this.outstanding.onDrained(onDrained);
  }
}

/** A Completion Queue as the controller sees it. */
export class CompletionQueue {
  /** Head: last value the host wrote to the head doorbell. */
  head = 0;
  /** Tail: next slot the controller writes. */
  tail = 0;
  /** Phase tag written into new entries; inverts every time the tail wraps (§4.2.4). */
  phase = 1;
  /** SQs bound to this CQ (a CQ cannot be deleted while any remain). */
  readonly sqs: Set<number> = new Set();
  /** Commands fetched for this CQ whose completion is not yet posted (reserve a slot each). */
  inFlight = 0;
  readonly #slots: SlotMap;

  /**
   * Creates a CQ.
   * @param id Queue identifier (0 = admin).
   * @param base Host address of slot 0 (the first page's address for a page-list queue).
   * @param size Number of slots (QSIZE + 1).
   * @param interruptsEnabled CDW11.IEN.
   * @param vector CDW11.IV: the MSI-X vector.
   * @param pages The queue's memory pages when it is not physically contiguous (PC = 0).
   */
  constructor(
    readonly id: number,
    readonly base: number,
    readonly size: number,
    readonly interruptsEnabled: boolean,
    readonly vector: number,
    pages?: QueuePageList,
  ) {
    this.#slots = new SlotMap(base, size, CQE_SIZE, pages);
  }

  /** True when posting one more entry would overwrite one the host has not consumed. */
  isFull(): boolean {
    return ringFull(this.head, this.tail, this.size);
  }

  /** Number of posted entries the host has not released. */
  unconsumed(): number {
    return this.tail >= this.head ? this.tail - this.head : this.tail + this.size - this.head;
  }

  /** Host address of the slot at `tail` (where the next CQE goes). */
  tailAddress(): number {
    return this.#slots.address(this.tail);
  }

  /**
   * Writes one CQE at the tail with the current phase and advances the tail. The caller checked
   * `isFull()` first. The entry goes out in one DMA: a host cannot observe a DMA half done in
   * this machine (device work runs between host accesses), and the status word with the phase
   * tag is the last thing copied anyway.
   * `words`, a `Uint32Array` over `scratch`, selects the port's word DMA when it has one.
   * Returns false when the DMA was refused (the entry is then lost, as on real hardware).
   */
  post(port: DmaWriter, scratch: Uint8Array, status: number, words?: Uint32Array): boolean {
    const phased = ((status << 1) | this.phase) & 0xffff;
    scratch[CQE_STATUS_OFFSET] = phased & 0xff;
    scratch[CQE_STATUS_OFFSET + 1] = phased >>> 8;
    const ok = words !== undefined && port.dmaWriteWords
      ? port.dmaWriteWords(this.tailAddress(), words, 0, CQE_WORDS)
      : port.dmaWrite(this.tailAddress(), scratch, 0, CQE_SIZE);
    this.tail = ringNext(this.tail, this.size);
    if (this.tail === 0) this.phase ^= 1;
    return ok;
  }
}
