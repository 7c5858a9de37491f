/**
 * Per-block metadata of {@linkcode MediaStore} (media.ts): the metadata of a block lives in its
 * granule beside its data (`Granule.meta`, MS bytes per block) and is valid exactly when the
 * block's state is DATA, so it follows the data through the write cache, Flush, power loss,
 * Write Zeroes, deallocation and Format NVM with no bookkeeping of its own. A block that holds no
 * data reads its metadata as all bytes 00h, as its data does (DLFEAT 001b; NVM Command Set 1.1
 * §3.2.3.2.1 applies the deallocated-read value to a block's data and its metadata alike).
 * A private helper of media.ts.
 *
 * @module
 */

import { ABSENT, DATA, type Granule, type Layer } from "./_media_granule.ts";
import { MediaRangeError } from "./media_types.ts";

/** Geometry of the granules: blocks per granule and metadata bytes per block. */
export interface MetaGeometry {
  /** Blocks per granule. */
  readonly per: number;
  /** Metadata Size (MS) in bytes per block; > 0 when these helpers are used. */
  readonly ms: number;
}

/**
 * Stores the metadata of blocks `first..first+n` of `g` from `src` at `off`, or zeros when `src`
 * is null (a write that carried no metadata, e.g. Copy from blocks that never held any).
 */
export function putMeta(
  g: Granule,
  geo: MetaGeometry,
  first: number,
  n: number,
  src: Uint8Array | null,
  off: number,
): void {
  const ms = geo.ms;
  if (g.meta === null) g.meta = new Uint8Array(geo.per * ms);
  if (src === null) g.meta.fill(0, first * ms, (first + n) * ms);
  else g.meta.set(src.subarray(off, off + n * ms), first * ms);
}

/** Copies block `b`'s metadata from granule `from` to granule `to` (Flush of one block). */
export function moveMeta(from: Granule, to: Granule, geo: MetaGeometry, b: number): void {
  putMeta(to, geo, b, 1, from.meta, b * geo.ms);
}

/** The granule holding the newest metadata of block `b` of granule `key`, or null (zeros). */
function newest(volatile: Layer, durable: Layer, key: number, b: number): Granule | null {
  const v = volatile.get(key);
  const vs = v === undefined ? ABSENT : v.state[b];
  if (vs === DATA) return v as Granule;
  if (vs !== ABSENT) return null; // zeroed through the cache
  const d = durable.get(key);
  return d !== undefined && d.state[b] === DATA ? d : null;
}

/** Copies the newest metadata of `count` blocks at `lba` into `dst` at `off`. */
export function readMeta(
  volatile: Layer,
  durable: Layer,
  geo: MetaGeometry,
  lba: number,
  count: number,
  dst: Uint8Array,
  off: number,
): void {
  const { per, ms } = geo;
  for (let i = 0; i < count; i++) {
    const key = Math.floor((lba + i) / per), b = lba + i - key * per, at = off + i * ms;
    const g = newest(volatile, durable, key, b);
    if (g === null) dst.fill(0, at, at + ms);
    else dst.set((g.meta as Uint8Array).subarray(b * ms, b * ms + ms), at);
  }
}

/** Whether the newest metadata of `count` blocks at `lba` equals `src` at `off`. */
export function compareMeta(
  volatile: Layer,
  durable: Layer,
  geo: MetaGeometry,
  lba: number,
  count: number,
  src: Uint8Array,
  off: number,
): boolean {
  const { per, ms } = geo;
  for (let i = 0; i < count; i++) {
    const key = Math.floor((lba + i) / per), b = lba + i - key * per, at = off + i * ms;
    const g = newest(volatile, durable, key, b);
    for (let j = 0; j < ms; j++) {
      const stored = g === null ? 0 : (g.meta as Uint8Array)[b * ms + j];
      if (src[at + j] !== stored) return false;
    }
  }
  return true;
}

/** Throws {@linkcode MediaRangeError} unless `buf` holds `count` blocks' metadata at `off`. */
export function checkMetaBuffer(
  geo: MetaGeometry,
  count: number,
  buf: Uint8Array,
  off: number,
  what: string,
): void {
  const need = count * geo.ms;
  if (!Number.isSafeInteger(off) || off < 0 || off + need > buf.length) {
    throw new MediaRangeError(
      `${what} of ${count} blocks needs ${need} metadata bytes at offset ${off}, ` +
        `buffer has ${buf.length}: pass a larger buffer`,
    );
  }
}
