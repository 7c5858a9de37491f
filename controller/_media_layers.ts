/**
 * Algorithms over the two granule layers of {@linkcode MediaStore} (media.ts) that are not on the
 * read path (that is `readRuns` in `_media_granule.ts`): writing runs, setting data-less states,
 * finding uncorrectable blocks, comparing, merging the write cache into the durable layer, and
 * counting. A private helper of media.ts: callers have checked ranges and buffers.
 *
 * @module
 */

import { ABSENT, BAD, DATA, Granule, type Layer, ZEROED } from "./_media_granule.ts";
import { type MetaGeometry, moveMeta, putMeta } from "./_media_metadata.ts";
import { MediaRangeError, READ_OK } from "./media_types.ts";

/**
 * Stores `count` blocks from `src[srcOff…]` at `lba` in `layer` as DATA, with their metadata from
 * `meta[metaOff…]` (zeros when null) when the format has metadata.
 */
export function writeRuns(
  layer: Layer,
  geo: MetaGeometry,
  bs: number,
  lba: number,
  count: number,
  src: Uint8Array,
  srcOff: number,
  meta: Uint8Array | null,
  metaOff: number,
): void {
  const per = geo.per, ms = geo.ms;
  for (let i = 0; i < count;) {
    const key = Math.floor((lba + i) / per);
    const first = lba + i - key * per;
    const n = Math.min(per - first, count - i);
    let g = layer.get(key);
    if (g === undefined) layer.set(key, g = new Granule(per));
    if (g.data === null) g.data = new Uint8Array(per * bs);
    const at = srcOff + i * bs;
    g.data.set(src.subarray(at, at + n * bs), first * bs);
    if (ms > 0) putMeta(g, geo, first, n, meta, metaOff + i * ms);
    for (let j = 0; j < n; j++) g.mark(first + j, DATA);
    i += n;
  }
}

/** Sets a data-less state (ABSENT, ZEROED or BAD) on `count` blocks of `layer` at `lba`. */
export function setRange(layer: Layer, per: number, lba: number, count: number, s: number): void {
  if (s === ABSENT && layer.size === 0) return;
  for (let i = 0; i < count;) {
    const key = Math.floor((lba + i) / per);
    const first = lba + i - key * per;
    const n = Math.min(per - first, count - i);
    let g = layer.get(key);
    if (g === undefined && s !== ABSENT) layer.set(key, g = new Granule(per));
    if (g !== undefined) {
      for (let j = 0; j < n; j++) g.mark(first + j, s);
      if (g.used === 0) layer.delete(key);
    }
    i += n;
  }
}

/**
 * The index (0-based within the range) of the first block a read would report uncorrectable, or
 * READ_OK: a BAD mark in the durable layer that the cache does not hide.
 */
export function firstBad(
  volatile: Layer,
  durable: Layer,
  per: number,
  lba: number,
  count: number,
): number {
  for (let i = 0; i < count;) {
    const key = Math.floor((lba + i) / per);
    const first = lba + i - key * per;
    const n = Math.min(per - first, count - i);
    // Marks live in the durable layer only, so a durable granule whose every non-absent block
    // holds data has none (one lookup per granule).
    const d = durable.get(key);
    if (d !== undefined && d.used !== d.dataBlocks) {
      const v = volatile.size > 0 ? volatile.get(key) : undefined;
      for (let j = 0; j < n; j++) {
        if (d.state[first + j] === BAD && (v === undefined || v.state[first + j] === ABSENT)) {
          return i + j;
        }
      }
    }
    i += n;
  }
  return READ_OK;
}

/** Whether the newest data of `count` blocks at `lba` equals `src[srcOff…]` (no data = zeros). */
export function compareRuns(
  volatile: Layer,
  durable: Layer,
  per: number,
  bs: number,
  lba: number,
  count: number,
  src: Uint8Array,
  srcOff: number,
): boolean {
  for (let i = 0, at = srcOff; i < count; i++, at += bs) {
    const key = Math.floor((lba + i) / per), b = lba + i - key * per;
    let g = volatile.get(key);
    if (g === undefined || g.state[b] === ABSENT) g = durable.get(key);
    if (g === undefined || g.state[b] !== DATA) {
      for (let j = 0; j < bs; j++) if (src[at + j] !== 0) return false;
    } else {
      const data = g.data as Uint8Array, from = b * bs;
      for (let j = 0; j < bs; j++) if (src[at + j] !== data[from + j]) return false;
    }
  }
  return true;
}

/**
 * Flush: moves every cached block into the durable layer (data and metadata; a zeroed block
 * clears the durable one) and empties the volatile layer.
 */
export function mergeCache(volatile: Layer, durable: Layer, geo: MetaGeometry, bs: number): void {
  const per = geo.per;
  for (const [key, v] of volatile) {
    const d = durable.get(key);
    if (d === undefined) {
      // Nothing durable here yet: the cached granule becomes the durable one.
      for (let b = 0; b < per; b++) if (v.state[b] === ZEROED) v.mark(b, ABSENT);
      if (v.used > 0) durable.set(key, v);
      continue;
    }
    for (let b = 0; b < per; b++) {
      const s = v.state[b];
      if (s === DATA) {
        if (d.data === null) d.data = new Uint8Array(per * bs);
        d.data.set((v.data as Uint8Array).subarray(b * bs, b * bs + bs), b * bs);
        if (geo.ms > 0) moveMeta(v, d, geo, b);
        d.mark(b, DATA);
      } else if (s === ZEROED) {
        d.mark(b, ABSENT);
      }
    }
    if (d.used === 0) durable.delete(key);
  }
  volatile.clear();
}

/** Blocks holding data in both layers (a block both durable and cached counts twice). */
export function dataBlocks(volatile: Layer, durable: Layer): number {
  let n = 0;
  for (const g of durable.values()) n += g.dataBlocks;
  for (const g of volatile.values()) n += g.dataBlocks;
  return n;
}

/** Blocks whose newest state holds data or an uncorrectable mark (NUSE). */
export function allocatedBlocks(volatile: Layer, durable: Layer, per: number): number {
  let n = 0;
  for (const g of volatile.values()) n += g.dataBlocks;
  for (const [key, d] of durable) {
    const v = volatile.get(key);
    for (let b = 0; b < per; b++) {
      if (d.state[b] !== ABSENT && (v === undefined || v.state[b] === ABSENT)) n++;
    }
  }
  return n;
}

/**
 * The error for a media call outside the namespace or past its buffer (`MediaStore` checks
 * inline and builds the message here, out of the hot path).
 */
export function mediaRangeError(
  what: string,
  lba: number,
  count: number,
  blockCount: number,
  bs: number,
  buf: Uint8Array | null,
  off: number,
): MediaRangeError {
  if (
    !Number.isSafeInteger(lba) || !Number.isSafeInteger(count) || lba < 0 || count < 0 ||
    lba + count > blockCount
  ) {
    return new MediaRangeError(
      `${what} of ${count} blocks at LBA ${lba} is outside 0..${blockCount - 1}: ` +
        "check the range (LBA Out of Range) before calling the media",
    );
  }
  return new MediaRangeError(
    `${what} of ${count} × ${bs}-byte blocks needs ${count * bs} bytes at offset ${off}, ` +
      `buffer has ${buf?.length ?? 0}: pass a larger buffer`,
  );
}
