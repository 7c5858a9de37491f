/**
 * Test helpers for the data-pointer walkers: an in-memory {@linkcode TestMemory} (a byte map that
 * faults on unmapped addresses), the obviously-correct PRP oracle {@linkcode prpOracle}, and a
 * plain {@linkcode coalesce}. None of this shares code with `prp_walker.ts` or `sgl_walker.ts`:
 * the oracle works from a description of the buffer (which physical page holds each memory page
 * of it), never from PRP entries or lists.
 *
 * @example
 * ```ts
 * import { prpOracle, TestMemory } from "./_data_pointer_oracle_test_helpers.ts";
 * const expected = prpOracle({ pageSize: 4096, offset: 0x800, length: 0x1000, pages: [0x1000, 0x7000] });
 * if (expected.length !== 2 || expected[1].addr !== 0x7000 || expected[1].len !== 0x800) {
 *   throw new Error();
 * }
 * const mem = new TestMemory();
 * mem.writeU64(0x100, 0x2000);
 * if (!mem.dmaRead(0x100, new Uint8Array(8)) || mem.dmaRead(0x108, new Uint8Array(8))) {
 *   throw new Error("0x108 was never written");
 * }
 * ```
 *
 * @module
 */

/** One expected segment: `len` bytes at `addr`, or `len` discarded bytes. */
export interface Seg {
  /** Start address (0 when discarded). */
  addr: number;
  /** Length in bytes. */
  len: number;
  /** True for discarded bytes (SGL Bit Bucket). */
  discard: boolean;
}

/** A buffer as the host sees it: `length` bytes from `offset` into a run of memory pages. */
export interface BufferDescription {
  /** Memory page size in bytes. */
  pageSize: number;
  /** Byte offset of the buffer into its first page. */
  offset: number;
  /** Length in bytes (at least 1). */
  length: number;
  /** Physical (page-aligned) address of each memory page the buffer touches, in order. */
  pages: readonly number[];
}

/** Number of memory pages a buffer touches. */
export function pagesTouched(d: Omit<BufferDescription, "pages">): number {
  return Math.ceil((d.offset + d.length) / d.pageSize);
}

/**
 * The segments a controller must DMA for a buffer, computed page by page from the buffer's own
 * description: in page `k`, the bytes from `k === 0 ? offset : 0` up to the page end or the
 * buffer end. Then adjacent runs are merged.
 */
export function prpOracle(d: BufferDescription): Seg[] {
  const segs: Seg[] = [];
  const end = d.offset + d.length; // the buffer's end, counted from the start of page 0
  for (let k = 0; k * d.pageSize < end; k++) {
    const from = k === 0 ? d.offset : 0;
    const to = Math.min(d.pageSize, end - k * d.pageSize);
    segs.push({ addr: d.pages[k] + from, len: to - from, discard: false });
  }
  return coalesce(segs);
}

/** The same bytes, byte by byte: address of buffer byte `i` (for small buffers). */
export function prpOracleByteAddress(d: BufferDescription, i: number): number {
  const v = d.offset + i;
  return d.pages[Math.floor(v / d.pageSize)] + (v % d.pageSize);
}

/** Merges each segment into the previous one when it continues it (same kind, contiguous). */
export function coalesce(segs: readonly Seg[]): Seg[] {
  const out: Seg[] = [];
  for (const s of segs) {
    if (s.len === 0) continue;
    const last = out[out.length - 1];
    if (
      last !== undefined && last.discard === s.discard &&
      (s.discard || last.addr + last.len === s.addr)
    ) {
      last.len += s.len;
    } else {
      out.push({ addr: s.discard ? 0 : s.addr, len: s.len, discard: s.discard });
    }
  }
  return out;
}

/**
 * Host memory for tests: a map from byte address to byte value, written by the test. A DMA read
 * that touches any byte never written fails (returns false, fills zeros), like a refused DMA.
 * It never throws, except past `maxReads` reads (a guard that turns a runaway walker into a
 * failing test instead of a hang).
 */
export class TestMemory {
  /** Byte address → byte. */
  readonly bytes: Map<number, number> = new Map();
  /** Number of `dmaRead` calls so far. */
  reads = 0;
  /** Number of bytes read so far. */
  bytesRead = 0;

  /** Creates an empty memory; more than `maxReads` DMA reads throw. */
  constructor(readonly maxReads: number = 1_000_000) {}

  /** Writes `data` at `addr`. */
  write(addr: number, data: Uint8Array): void {
    for (let i = 0; i < data.length; i++) this.bytes.set(addr + i, data[i]);
  }

  /** Writes a little-endian u64 (`value` below 2^53) at `addr`. */
  writeU64(addr: number, value: number): void {
    const lo = value % 2 ** 32, hi = Math.floor(value / 2 ** 32);
    for (let i = 0; i < 4; i++) {
      this.bytes.set(addr + i, (lo >>> (8 * i)) & 0xff);
      this.bytes.set(addr + 4 + i, (hi >>> (8 * i)) & 0xff);
    }
  }

  /** Forgets `length` bytes at `addr` (reads touching them fault). */
  unmap(addr: number, length: number): void {
    for (let i = 0; i < length; i++) this.bytes.delete(addr + i);
  }

  /** The `DmaReader` method. */
  dmaRead(addr: number, dst: Uint8Array, dstOffset = 0, length = dst.length - dstOffset): boolean {
    if (++this.reads > this.maxReads) {
      throw new Error(`TestMemory: more than ${this.maxReads} DMA reads: the walker loops`);
    }
    this.bytesRead += length;
    for (let i = 0; i < length; i++) {
      const b = this.bytes.get(addr + i);
      if (b === undefined) {
        dst.fill(0, dstOffset, dstOffset + length);
        return false;
      }
      dst[dstOffset + i] = b;
    }
    return true;
  }
}
