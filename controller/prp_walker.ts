/**
 * The controller's PRP walker (Base 2.1 §4.3.1, Physical Region Page Entry and List): turns a
 * command's PRP Entry 1/2 and transfer length into the host memory segments the controller must
 * DMA, or the status it must post. Also walks the PRP list of a physically non-contiguous queue
 * (CAP.CQR = 0, Create I/O SQ/CQ with CDW11.PC = 0).
 *
 * This file also holds the two types both data-pointer walkers share: {@linkcode DmaReader} (what
 * a walker needs from the machine; a `DevicePort` is one as it stands) and {@linkcode SegmentList}
 * (the preallocated output). The SGL walker is `sgl_walker.ts`.
 *
 * Rules and the decisions taken where the specification leaves room:
 *
 * - PRP1 may carry an offset. Every PRP entry's offset is dword aligned (bits 1:0 are 00b); a
 *   controller may report PRP Offset Invalid when they are not, or operate as if they were 00b.
 *   We report {@linkcode Status.PRP_OFFSET_INVALID} by default; `ignoreDwordBits` selects the
 *   other behaviour. (QEMU 7.2 ignores the bits.)
 * - When the rest of the transfer fits in one memory page, PRP2 is that page's address and must
 *   have offset 0, else PRP Offset Invalid (QEMU does the same).
 * - Otherwise PRP2 is a PRP List pointer, which may have a non-zero offset: the list's entries
 *   start there and the list page ends at the memory page boundary. Decision: the pointer must be
 *   qword aligned (bit 2 clear as well), because a list of 8-byte entries at a non-qword offset
 *   would put its last entry across the page end; else PRP Offset Invalid.
 * - Each list entry is a page address (offset 0, else PRP Offset Invalid). When more data remains
 *   than the rest of a list page can describe, its last entry points to the next list page, which
 *   must also be page aligned (it is an entry of a PRP list) — the Linux and QEMU rule: a list
 *   page is chained only when its last slot is needed for more than one page of data.
 * - A DMA fault while reading a list is a Data Transfer Error.
 * - PRP2 is reserved, and not looked at, when the transfer fits in PRP1's page.
 * - The walker checks the data pointer only: MDTS, and whether the data pages themselves can be
 *   reached, belong to the caller (the data mover reports its own DMA faults).
 *
 * Addresses are numbers (exact below 2^53, as everywhere on the platform); list entries are
 * decoded from two little-endian dwords so that offset checks are exact for any 64-bit value.
 *
 * @example A transfer that needs a PRP list
 * ```ts
 * import { PrpWalker, SegmentList } from "./prp_walker.ts";
 * const entries = new DataView(new ArrayBuffer(16));
 * entries.setUint32(0, 0x2000, true);
 * entries.setUint32(8, 0x5000, true);
 * const reader = {
 *   dmaRead(addr: number, dst: Uint8Array, off = 0, len = dst.length - off): boolean {
 *     dst.set(new Uint8Array(entries.buffer, addr - 0x9000, len), off);
 *     return true;
 *   },
 * };
 * const out = new SegmentList();
 * const status = new PrpWalker(reader).walk(0x1800, 0x9000, 0x1800 + 0x1000, 4096, out);
 * if (status !== 0 || out.count !== 2 || out.addr[0] !== 0x1800 || out.len[0] !== 0x1800) {
 *   throw new Error("PRP1 to its page end and the first list entry coalesce");
 * }
 * if (out.addr[1] !== 0x5000 || out.len[1] !== 0x1000) throw new Error("the second list entry");
 * ```
 *
 * @module
 */

import { Status } from "../spec/status.ts";
import { SQE_PRP1_OFFSET, SQE_PRP2_OFFSET } from "./request.ts";

/**
 * What a data-pointer walker needs from the machine: a DMA read of host memory that returns false
 * when refused (IOMMU, range, Bus Master Enable). `DevicePort` (platform/ports.ts) satisfies this
 * as it is, so no adapter is needed; tests use a small in-memory map.
 *
 * @example
 * ```ts
 * import type { DmaReader } from "./prp_walker.ts";
 * const nothingMapped: DmaReader = { dmaRead: () => false };
 * if (nothingMapped.dmaRead(0, new Uint8Array(8))) throw new Error();
 * ```
 */
export interface DmaReader {
  /** Reads `length` bytes at `addr` into `dst[dstOffset…]`; false when the DMA is refused. */
  dmaRead(addr: number, dst: Uint8Array, dstOffset?: number, length?: number): boolean;
}

/** Options of {@linkcode SegmentList}. */
export interface SegmentListOptions {
  /**
   * Merge a pushed segment into the previous one when it continues it (default true). Pass false
   * for a queue's PRP list, so that `addr[k]` is the address of the queue's memory page `k`.
   */
  readonly coalesce?: boolean;
}

/** Largest length one segment holds (its `len` is a u32). */
const MAX_SEGMENT_LENGTH = 0xffff_ffff;
/** Capacity of a new {@linkcode SegmentList} unless told otherwise. */
const DEFAULT_SEGMENT_CAPACITY = 16;

/**
 * The host memory segments of one transfer, in transfer order, in preallocated typed arrays:
 * segment `i` is `len[i]` bytes at `addr[i]`, or `len[i]` bytes to throw away when `discard[i]`
 * is 1 (an SGL Bit Bucket on a read). Reused across commands; capacity grows only when needed.
 * Zero-length pushes are dropped; contiguous pushes merge unless `coalesce` is false.
 *
 * @example
 * ```ts
 * import { SegmentList } from "./prp_walker.ts";
 * const s = new SegmentList();
 * s.push(0x1000, 0x800);
 * s.push(0x1800, 0x800); // continues the previous segment: merged
 * s.push(0, 16, true); // discarded bytes
 * if (s.count !== 2 || s.len[0] !== 0x1000 || s.discard[1] !== 1 || s.totalBytes !== 0x1010) {
 *   throw new Error();
 * }
 * ```
 */
export class SegmentList {
  /** Start address of each segment (0 for discarded bytes). */
  addr: Float64Array;
  /** Length in bytes of each segment. */
  len: Uint32Array;
  /** 1 when the segment's bytes are discarded (SGL Bit Bucket), else 0. */
  discard: Uint8Array;
  /** Number of valid segments. */
  count = 0;
  /** Sum of `len[0..count)`. */
  totalBytes = 0;
  /** Whether contiguous segments merge (see {@linkcode SegmentListOptions.coalesce}). */
  readonly coalesce: boolean;

  /** Creates an empty list with room for `capacity` segments. */
  constructor(capacity: number = DEFAULT_SEGMENT_CAPACITY, options: SegmentListOptions = {}) {
    const n = Math.max(1, capacity);
    this.addr = new Float64Array(n);
    this.len = new Uint32Array(n);
    this.discard = new Uint8Array(n);
    this.coalesce = options.coalesce ?? true;
  }

  /** Empties the list (keeps its capacity). */
  clear(): void {
    this.count = 0;
    this.totalBytes = 0;
  }

  /** Appends `len` bytes at `addr` (or `len` discarded bytes), merging when it continues. */
  push(addr: number, len: number, discard = false): void {
    if (len === 0) return;
    const d = discard ? 1 : 0;
    const n = this.count;
    this.totalBytes += len;
    if (this.coalesce && n > 0) {
      const k = n - 1;
      if (
        this.discard[k] === d && this.len[k] + len <= MAX_SEGMENT_LENGTH &&
        (d === 1 || this.addr[k] + this.len[k] === addr)
      ) {
        this.len[k] += len;
        return;
      }
    }
    if (n === this.addr.length) this.#grow();
    this.addr[n] = d === 1 ? 0 : addr;
    this.len[n] = len;
    this.discard[n] = d;
    this.count = n + 1;
  }

  /** A copy of the segments as plain objects (for tests, traces and messages; allocates). */
  toArray(): { addr: number; len: number; discard: boolean }[] {
    const r = [];
    for (let i = 0; i < this.count; i++) {
      r.push({ addr: this.addr[i], len: this.len[i], discard: this.discard[i] === 1 });
    }
    return r;
  }

  #grow(): void {
    const n = this.addr.length * 2;
    const addr = new Float64Array(n), len = new Uint32Array(n), discard = new Uint8Array(n);
    addr.set(this.addr);
    len.set(this.len);
    discard.set(this.discard);
    this.addr = addr;
    this.len = len;
    this.discard = discard;
  }
}

/** Size of one PRP entry in bytes (a 64-bit pointer, Base 2.1 §4.3.1). */
export const PRP_ENTRY_SIZE = 8;
/** PRP entries are dword aligned: offset bits 1:0 are 00b (Base 2.1 §4.3.1, PRP entry layout). */
const DWORD_SIZE = 4;
/** List entries fetched per DMA read: one 4 KiB chunk. */
const PRP_FETCH_ENTRIES = 512;
const TWO_POW_32 = 2 ** 32;

/** Options of {@linkcode PrpWalker}. */
export interface PrpWalkerOptions {
  /**
   * Operate as if offset bits 1:0 of PRP1 and of the PRP List pointer were 00b instead of
   * reporting PRP Offset Invalid (Base 2.1 §4.3.1 allows either; default false: report).
   */
  readonly ignoreDwordBits?: boolean;
}

/**
 * Walks PRP data pointers and queue PRP lists. One per controller: it owns a preallocated fetch
 * buffer, so a walk allocates nothing unless `out` must grow. `pageSize` is the memory page size
 * `2^(12 + CC.MPS)` bytes (`memoryPageSize(cc.mps)` in spec/registers.ts).
 *
 * @example The transfer fits in PRP1's page: PRP2 is reserved and ignored
 * ```ts
 * import { PrpWalker, SegmentList } from "./prp_walker.ts";
 * const walker = new PrpWalker({ dmaRead: () => false });
 * const out = new SegmentList();
 * if (walker.walk(0x10_0800, 0xdead, 0x800, 4096, out) !== 0 || out.count !== 1) throw new Error();
 * if (walker.walk(0x10_0802, 0, 0x10, 4096, out) !== 0x013) throw new Error("bits 1:0 set");
 * ```
 */
export class PrpWalker {
  /** List entries read by the last walk (a bound for tests: at most data pages + chain links). */
  entriesRead = 0;
  readonly #reader: DmaReader;
  readonly #ignoreDwordBits: boolean;
  readonly #fetch = new Uint8Array(PRP_FETCH_ENTRIES * PRP_ENTRY_SIZE);
  readonly #view = new DataView(this.#fetch.buffer);

  /** Creates a walker reading PRP lists through `reader` (a `DevicePort` will do). */
  constructor(reader: DmaReader, options: PrpWalkerOptions = {}) {
    this.#reader = reader;
    this.#ignoreDwordBits = options.ignoreDwordBits ?? false;
  }

  /**
   * Fills `out` with the segments of a `length`-byte transfer described by PRP1/PRP2 and returns
   * {@linkcode Status.SUCCESS}, or returns the status to post (and leaves `out` empty).
   * A zero `length` transfers nothing and looks at neither entry.
   */
  walk(prp1: number, prp2: number, length: number, pageSize: number, out: SegmentList): number {
    out.clear();
    this.entriesRead = 0;
    if (length <= 0) return Status.SUCCESS;
    let first = prp1;
    if (first % DWORD_SIZE !== 0) {
      if (!this.#ignoreDwordBits) return Status.PRP_OFFSET_INVALID;
      first -= first % DWORD_SIZE;
    }
    const firstLen = Math.min(length, pageSize - (first % pageSize));
    out.push(first, firstLen);
    const rest = length - firstLen;
    if (rest === 0) return Status.SUCCESS;
    if (rest <= pageSize) {
      // PRP2 is the second page itself (Base 2.1 §4.3.1: "offset of 0h").
      if (prp2 % pageSize !== 0) return fail(out, Status.PRP_OFFSET_INVALID);
      out.push(prp2, rest);
      return Status.SUCCESS;
    }
    // A PRP List pointer: any offset, but qword aligned (see the module notes).
    let list = prp2;
    if (this.#ignoreDwordBits) list -= list % DWORD_SIZE;
    if (list % PRP_ENTRY_SIZE !== 0) return fail(out, Status.PRP_OFFSET_INVALID);
    return this.#walkList(list, rest, pageSize, out);
  }

  /**
   * {@linkcode walk} with PRP Entry 1 and 2 read from a 64-byte SQE (bytes 24..39), for callers
   * that hold the raw entry.
   */
  walkSqe(sqe: Uint8Array, length: number, pageSize: number, out: SegmentList): number {
    return this.walk(
      u64le(sqe, SQE_PRP1_OFFSET),
      u64le(sqe, SQE_PRP2_OFFSET),
      length,
      pageSize,
      out,
    );
  }

  /**
   * Walks the PRP list of a physically non-contiguous queue (CAP.CQR = 0; Create I/O SQ/CQ with
   * CDW11.PC = 0, where PRP1 is a PRP List pointer). Every entry, the first included, is a whole
   * memory page; the last page may be partly used. Decision: the list pointer must be page
   * aligned here (offset 0h), like a contiguous queue's base, else PRP Offset Invalid; chaining
   * follows the data rule. Pass an `out` built with `{ coalesce: false }` to get one segment per
   * queue page.
   */
  walkQueue(prp1: number, sizeBytes: number, pageSize: number, out: SegmentList): number {
    out.clear();
    this.entriesRead = 0;
    if (sizeBytes <= 0) return Status.SUCCESS;
    if (prp1 % pageSize !== 0) return Status.PRP_OFFSET_INVALID;
    return this.#walkList(prp1, sizeBytes, pageSize, out);
  }

  /** Appends `remaining` bytes described by the PRP list at `list` (qword aligned). */
  #walkList(list: number, remaining: number, pageSize: number, out: SegmentList): number {
    const view = this.#view;
    const pageMask = pageSize - 1;
    let listAddr = list;
    while (remaining > 0) {
      const slots = (pageSize - (listAddr % pageSize)) / PRP_ENTRY_SIZE;
      const needed = Math.ceil(remaining / pageSize);
      // More pages than slots left: the last slot points at the next list page.
      const chained = needed > slots;
      const toRead = chained ? slots : needed;
      let next = 0;
      for (let i = 0; i < toRead;) {
        const n = Math.min(toRead - i, PRP_FETCH_ENTRIES);
        if (
          !this.#reader.dmaRead(listAddr + i * PRP_ENTRY_SIZE, this.#fetch, 0, n * PRP_ENTRY_SIZE)
        ) {
          return fail(out, Status.DATA_TRANSFER_ERROR);
        }
        this.entriesRead += n;
        for (let j = 0; j < n; j++, i++) {
          const lo = view.getUint32(j * PRP_ENTRY_SIZE, true);
          const hi = view.getUint32(j * PRP_ENTRY_SIZE + 4, true);
          // List entries and next-list pointers alike have offset 0h (Base 2.1 §4.3.1).
          if ((lo & pageMask) !== 0) return fail(out, Status.PRP_OFFSET_INVALID);
          const entry = hi * TWO_POW_32 + lo;
          if (chained && i === toRead - 1) {
            next = entry;
          } else {
            const len = Math.min(remaining, pageSize);
            out.push(entry, len);
            remaining -= len;
          }
        }
      }
      listAddr = next;
    }
    return Status.SUCCESS;
  }
}

function fail(out: SegmentList, status: number): number {
  out.clear();
  return status;
}

/** A little-endian u64 at `bytes[offset…]` as a number (exact below 2^53). */
function u64le(bytes: Uint8Array, offset: number): number {
  const lo = (bytes[offset] | (bytes[offset + 1] << 8) | (bytes[offset + 2] << 16) |
    (bytes[offset + 3] << 24)) >>> 0;
  const hi = (bytes[offset + 4] | (bytes[offset + 5] << 8) | (bytes[offset + 6] << 16) |
    (bytes[offset + 7] << 24)) >>> 0;
  return hi * TWO_POW_32 + lo;
}
