/**
 * The vocabulary of the media API (media.ts): block size limits, the read result, write options
 * (FUA), the store's options and its misuse error.
 *
 * @example
 * ```ts
 * import { isValidBlockSize, MIN_BLOCK_SIZE } from "./media_types.ts";
 * if (!isValidBlockSize(MIN_BLOCK_SIZE) || isValidBlockSize(1000)) throw new Error();
 * ```
 *
 * @module
 */

/** Smallest block (LBA data) size: 512 bytes (LBADS 9, NVM Command Set 1.1 §4.1.5.1). */
export const MIN_BLOCK_SIZE = 512;

/** {@linkcode MediaStore.read} returns this when every block read was correctable. */
export const READ_OK: number = -1;

/**
 * Receives the data of {@linkcode MediaStore.readInto}: the read range's bytes in LBA order, as a
 * sequence of runs. A `data` run is a view of the store's own bytes, valid only during the call
 * (copy it, never keep or modify it); a `zeros` run stands for bytes that read as 00h. Runs are
 * whole blocks, at most one granule (4 KiB, or one block when blocks are larger) each.
 */
export interface MediaSink {
  /** The next `length` bytes of the read: `src[srcOff, srcOff + length)`. */
  data(src: Uint8Array, srcOff: number, length: number): void;
  /** The next `length` bytes of the read are zeros. */
  zeros(length: number): void;
}

/** Options of {@linkcode MediaStore.write} and {@linkcode MediaStore.writeZeroes}. */
export interface WriteOptions {
  /** Force Unit Access: the data is durable when the call returns (default false). */
  readonly fua?: boolean;
}

/** A write without FUA; hoist this constant instead of allocating `{}` per call. */
export const CACHED_WRITE: WriteOptions = Object.freeze({ fua: false });
/** A write with FUA set; hoist this constant instead of allocating `{ fua: true }` per call. */
export const FUA_WRITE: WriteOptions = Object.freeze({ fua: true });

/** Options of {@linkcode MediaStore}. */
export interface MediaStoreOptions {
  /** Block (LBA data) size in bytes: a power of two, at least 512. */
  readonly blockSize: number;
  /** Number of blocks (NSZE); LBAs are `0..blockCount-1`. At most 2^53 - 1. */
  readonly blockCount: number;
  /** Whether the volatile write cache starts enabled (default false). */
  readonly writeCacheEnabled?: boolean;
  /** Metadata bytes stored per block (the format's MS), 0..65535 (default 0: none). */
  readonly metadataSize?: number;
}

/**
 * Thrown for a misuse of the media API: an LBA range outside the namespace, a buffer too short
 * for the transfer, or an invalid block size. The command layer checks LBA ranges first (and
 * posts LBA Out of Range, `Status.LBA_OUT_OF_RANGE`), so this error means a harness bug.
 */
export class MediaRangeError extends RangeError {
  /** Creates the error. */
  constructor(message: string) {
    super(message);
    this.name = "MediaRangeError";
  }
}

/** Checks a block size: a power of two of at least 512 bytes. */
export function isValidBlockSize(blockSize: number): boolean {
  return Number.isSafeInteger(blockSize) && blockSize >= MIN_BLOCK_SIZE &&
    (blockSize & (blockSize - 1)) === 0;
}
