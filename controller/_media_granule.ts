/**
 * The storage unit of {@linkcode MediaStore} (media.ts): a granule of 4 KiB of LBA space with a
 * state per block and, while any block holds data, one data buffer. A private helper of media.ts.
 *
 * @module
 */

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

/** Copies blocks `first..first+n` of `g` (all DATA) to `dst` at `at`; no view for a whole one. */
export function copyOut(
  g: Granule,
  first: number,
  n: number,
  bs: number,
  dst: Uint8Array,
  at: number,
): void {
  const data = g.data as Uint8Array;
  if (n * bs === data.length) dst.set(data, at);
  else dst.set(data.subarray(first * bs, (first + n) * bs), at);
}
