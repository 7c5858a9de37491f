/**
 * The SPDK-like data-pointer builders: pure functions of a segment list, so they are tested on
 * their own against SPDK's own unit-test table (reference/linux-driver.md §11) and kept
 * independent of the controller's walkers (DESIGN: builders and walkers must not share code).
 *
 * Layout (as SPDK's `nvme_tracker`): every command owns one 4 KiB-aligned, 4 KiB tracker page,
 * and its PRP list or SGL segment sits inside it at byte offset 72. So:
 *
 * - **PRP** (Base 2.1 §4.3.1): one flat list, never chained. PRP1 is the first address (any dword
 *   aligned offset); every later entry is a memory page address. The list holds at most
 *   (4096 − 72) / 8 = 503 entries and ends exactly at the tracker page end, so PRP2 points to a
 *   list that is **not page aligned** (offset 48h) — legal, since a PRP List pointer may carry an
 *   offset. Exactly two entries: PRP2 is the second page itself, not a list. Segments after the
 *   first must start on a page boundary and segments before the last must end on one (SPDK
 *   asserts the latter in its callers; here it is a host error, never a wrong transfer).
 * - **SGL** (Base 2.1 §4.3.2): no size threshold (unlike Linux). Physically contiguous segments are
 *   merged; one descriptor goes into the SQE as a Data Block, more go into one Last Segment list
 *   of at most 250 descriptors in the tracker page. With SGLS bits 1:0 = 10b each Data Block
 *   must be dword aligned with dword granularity.
 *
 * @example The SPDK unit-test case "8 KiB at 0x100800": three entries, PRP2 is the list
 * ```ts
 * import { PrpBuilder } from "./prp_sgl.ts";
 * const b = new PrpBuilder();
 * if (!b.build([{ addr: 0x100800, length: 0x2000 }], 4096, 0xdead0048)) throw new Error(b.error);
 * if (b.count !== 3 || b.prp1 !== 0x100800 || b.prp2 !== 0xdead0048) throw new Error();
 * if (b.list[0] !== 0x101000 || b.list[1] !== 0x102000) throw new Error();
 * ```
 *
 * @module
 */

import type { DataSegment } from "../model.ts";

/** Bytes of one tracker page (SPDK's `nvme_tracker` is exactly 4 KiB and 4 KiB aligned). */
export const TRACKER_BYTES = 4096;
/** Byte offset of the PRP list / SGL segment inside a tracker page. */
export const TRACKER_LIST_OFFSET = 72;
/** PRP list entries a tracker holds: the list fills the page from offset 72 to its end. */
export const MAX_PRP_LIST_ENTRIES = (TRACKER_BYTES - TRACKER_LIST_OFFSET) / 8;
/** SGL descriptors a tracker holds (SPDK's `NVME_MAX_SGL_DESCRIPTORS`). */
export const MAX_SGL_DESCRIPTORS = 250;
/** A PRP entry's offset must have bits 1:0 clear (Base 2.1 §4.3.1). */
const DWORD = 4;
/** The SGL Data Block Length field is 32 bits. */
const MAX_SGL_LENGTH = 0xffff_ffff;

function hex(n: number): string {
  return "0x" + n.toString(16);
}

function badSegment(seg: DataSegment): boolean {
  return !Number.isSafeInteger(seg.addr) || seg.addr < 0 || !Number.isSafeInteger(seg.length) ||
    seg.length < 0;
}

/** Index of the last segment with data, or -1. */
function lastNonEmpty(segments: readonly DataSegment[]): number {
  for (let i = segments.length - 1; i >= 0; i--) if (segments[i].length > 0) return i;
  return -1;
}

/** Builds PRP1/PRP2 and the flat PRP list of one command. Reused: no allocation per command. */
export class PrpBuilder {
  /** PRP Entry 1. */
  prp1 = 0;
  /** PRP Entry 2: 0, the second page (two entries), or the list address. */
  prp2 = 0;
  /** Entries in all, PRP1 included. */
  count = 0;
  /** List entries (entry 2 onwards), valid up to `count - 1`. */
  readonly list: Float64Array = new Float64Array(MAX_PRP_LIST_ENTRIES);
  /** Why the last `build` failed. */
  error = "";

  /**
   * Builds the entries for `segments` with memory page size `pageSize`; `listAddr` is where the
   * list will live (the tracker page + 72). False (with `error`) when the buffer cannot be
   * described: an address not dword aligned, an interior boundary off a page boundary, or more
   * than 503 list entries.
   */
  build(segments: readonly DataSegment[], pageSize: number, listAddr: number): boolean {
    this.count = 0;
    this.prp1 = 0;
    this.prp2 = 0;
    this.error = "";
    const last = lastNonEmpty(segments);
    let first = true;
    for (let i = 0; i <= last; i++) {
      const seg = segments[i];
      if (badSegment(seg)) return this.#fail(`segment ${i} is not a valid (address, length)`);
      if (seg.length === 0) continue;
      let addr = seg.addr, left = seg.length;
      if (addr % DWORD !== 0) return this.#fail(`segment ${i} at ${hex(addr)} not dword aligned`);
      if (!first && addr % pageSize !== 0) {
        return this.#fail(`segment ${i} at ${hex(addr)} does not start on a page boundary`);
      }
      if (i < last && (addr + left) % pageSize !== 0) {
        return this.#fail(`segment ${i} ends at ${hex(addr + left)}, not on a page boundary`);
      }
      first = false;
      while (left > 0) {
        let chunk: number;
        if (this.count === 0) {
          this.prp1 = addr;
          chunk = pageSize - (addr % pageSize);
        } else {
          if (this.count > MAX_PRP_LIST_ENTRIES) {
            return this.#fail(`out of PRP entries (a tracker holds ${MAX_PRP_LIST_ENTRIES})`);
          }
          this.list[this.count - 1] = addr;
          chunk = pageSize;
        }
        this.count++;
        if (chunk > left) chunk = left;
        addr += chunk;
        left -= chunk;
      }
    }
    if (this.count === 2) this.prp2 = this.list[0];
    else if (this.count > 2) this.prp2 = listAddr;
    return true;
  }

  #fail(message: string): false {
    this.error = message;
    return false;
  }
}

/** Builds the SGL descriptors of one command. Reused: no allocation per command. */
export class SglBuilder {
  /** Data Block addresses, valid up to `count`. */
  readonly addr: Float64Array = new Float64Array(MAX_SGL_DESCRIPTORS);
  /** Data Block lengths, valid up to `count`. */
  readonly length: Float64Array = new Float64Array(MAX_SGL_DESCRIPTORS);
  /** Data Block descriptors after merging. */
  count = 0;
  /** Why the last `build` failed. */
  error = "";

  /**
   * Merges physically contiguous segments into Data Blocks. False (with `error`) when more than
   * 250 remain, or when `dwordAligned` (SGLS bits 1:0 = 10b) and a block's address or length has
   * bits 1:0 set (the controller would answer SGL Data Block Granularity Invalid).
   */
  build(segments: readonly DataSegment[], dwordAligned: boolean): boolean {
    this.count = 0;
    this.error = "";
    for (let i = 0; i < segments.length; i++) {
      const seg = segments[i];
      if (badSegment(seg)) return this.#fail(`segment ${i} is not a valid (address, length)`);
      if (seg.length === 0) continue;
      if (dwordAligned && (seg.addr % DWORD !== 0 || seg.length % DWORD !== 0)) {
        return this.#fail(
          `segment ${i} (${hex(seg.addr)}, ${seg.length} bytes) not dword aligned and sized ` +
            "(the controller's SGLs require it)",
        );
      }
      const n = this.count;
      if (
        n > 0 && this.addr[n - 1] + this.length[n - 1] === seg.addr &&
        this.length[n - 1] + seg.length <= MAX_SGL_LENGTH
      ) {
        this.length[n - 1] += seg.length;
        continue;
      }
      if (seg.length > MAX_SGL_LENGTH) return this.#fail(`segment ${i} longer than 4 GiB - 1`);
      if (n === MAX_SGL_DESCRIPTORS) {
        return this.#fail(`more than ${MAX_SGL_DESCRIPTORS} SGL descriptors after merging`);
      }
      this.addr[n] = seg.addr;
      this.length[n] = seg.length;
      this.count = n + 1;
    }
    return true;
  }

  #fail(message: string): false {
    this.error = message;
    return false;
  }
}
