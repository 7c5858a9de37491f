/**
 * The storage unit of {@linkcode MediaStore} (media.ts): a granule of 4 KiB of LBA space with a
 * state per block and, while any block holds data, one data buffer. A private helper of media.ts.
 *
 * @module
 */

import { type MediaSink, READ_OK } from "./media_types.ts";

// Storage granules. A layer maps a granule number (`⌊lba / blocks per granule⌋`) to a
// `Granule` covering GRANULE_BYTES of LBA space (one block when blocks are that large or larger),
// so a 4 KiB read of 512-byte blocks costs one Map lookup and one copy instead of eight of each.
// A granule exists only while it holds at least one block that is not ABSENT, and its data
// buffer (and metadata buffer, for formats with metadata) only while at least one block holds
// DATA, so the store stays sparse. A block's metadata is valid exactly when its state is DATA.
export const GRANULE_BYTES = 4096;
/** Block states within a granule. */
export const ABSENT = 0; // not in this layer: the volatile layer falls through to the durable one
export const DATA = 1; // the block's bytes are in `Granule.data`
export const ZEROED = 2; // reads as zeros (Write Zeroes through the cache); only in the volatile layer
export const BAD = 3; // marked uncorrectable (Write Uncorrectable); only in the durable layer

/** `blocks` consecutive blocks of one layer: a state per block and, when needed, their data. */
export class Granule {
  readonly state: Uint8Array;
  /** Blocks whose state is not ABSENT (the granule is dropped from its layer at 0). */
  used = 0;
  /** Blocks whose state is DATA (`data` is released at 0). */
  dataBlocks = 0;
  data: Uint8Array | null = null;
  /** The blocks' metadata (MS bytes each) when the format has metadata; kept with `data`. */
  meta: Uint8Array | null = null;

  constructor(blocks: number) {
    this.state = new Uint8Array(blocks);
  }

  /** Sets block `i`'s state, keeping the counts (the caller allocated `data` before DATA). */
  mark(i: number, s: number): void {
    const old = this.state[i];
    if (old === s) return;
    this.state[i] = s;
    this.used += (s !== ABSENT ? 1 : 0) - (old !== ABSENT ? 1 : 0);
    this.dataBlocks += (s === DATA ? 1 : 0) - (old === DATA ? 1 : 0);
    if (this.dataBlocks === 0) this.data = this.meta = null;
  }
}

export type Layer = Map<number, Granule>;

/**
 * Delivers the newest data of `count` blocks at `lba` to `sink`, run by run in LBA order: one
 * `data` call per granule whose newest copy of the run is whole (a 4 KiB read of one granule is
 * one call with a view of the stored bytes, no copy), one `zeros` call per granule that neither
 * layer holds, and one call per block in a mixed granule. A block that holds no data (never
 * written, deallocated, zeroed, uncorrectable) is zeros. Returns READ_OK (-1) or the index
 * (0-based within the range) of the first uncorrectable block. The caller checked the range.
 */
export function readRuns(
  volatile: Layer,
  durable: Layer,
  per: number,
  bs: number,
  lba: number,
  count: number,
  sink: MediaSink,
): number {
  const cached = volatile.size > 0; // skip the volatile lookup when it is empty
  let bad = READ_OK;
  for (let i = 0; i < count;) {
    const key = Math.floor((lba + i) / per);
    const first = lba + i - key * per;
    const n = Math.min(per - first, count - i);
    const v = cached ? volatile.get(key) : undefined;
    const d = durable.get(key);
    // Fast paths: the newest data of the whole run sits in one granule, or in none.
    if (v !== undefined && v.dataBlocks === per) {
      sink.data(v.data as Uint8Array, first * bs, n * bs);
    } else if (v === undefined && d === undefined) {
      sink.zeros(n * bs);
    } else if (v === undefined && (d as Granule).dataBlocks === per) {
      sink.data((d as Granule).data as Uint8Array, first * bs, n * bs);
    } else {
      for (let j = 0; j < n; j++) {
        const b = first + j;
        const vs = v === undefined ? ABSENT : v.state[b];
        // A block the cache holds (data or zeroed) hides its durable state, an uncorrectable
        // mark included.
        const ds = vs !== ABSENT || d === undefined ? ABSENT : d.state[b];
        if (vs === DATA) sink.data((v as Granule).data as Uint8Array, b * bs, bs);
        else if (ds === DATA) sink.data((d as Granule).data as Uint8Array, b * bs, bs);
        else sink.zeros(bs);
        if (ds === BAD && bad === READ_OK) bad = i + j;
      }
    }
    i += n;
  }
  return bad;
}

const EMPTY = new Uint8Array(0);

/**
 * A {@linkcode MediaSink} that copies into a caller's buffer (`MediaStore.read`): aim it with
 * {@linkcode BufferSink.reset}, then it fills forward from there. One per store, reused.
 */
export class BufferSink implements MediaSink {
  #dst: Uint8Array = EMPTY;
  #at = 0;

  /** Points the sink at `dst[at…]`. */
  reset(dst: Uint8Array, at: number): void {
    this.#dst = dst;
    this.#at = at;
  }

  /** Copies the run (no view when it is all of `src`). */
  data(src: Uint8Array, srcOff: number, length: number): void {
    if (srcOff === 0 && length === src.length) this.#dst.set(src, this.#at);
    else this.#dst.set(src.subarray(srcOff, srcOff + length), this.#at);
    this.#at += length;
  }

  /** Zero-fills the run. */
  zeros(length: number): void {
    this.#dst.fill(0, this.#at, this.#at + length);
    this.#at += length;
  }

  /** Drops the reference to the last buffer. */
  release(): void {
    this.#dst = EMPTY;
  }
}
