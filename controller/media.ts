/**
 * The media of one namespace: sparse block storage with a volatile write cache.
 *
 * Two layers hold blocks keyed by LBA: the **durable** layer (what survives a power loss) and the
 * **volatile** layer (the write cache, Base 2.1 §5.1.25.1.6 Volatile Write Cache feature). A
 * block that neither layer holds reads as zeros, so a 1 TiB namespace costs only the blocks that
 * were written. Reads see the newest data: the volatile block when there is one, else the
 * durable one.
 *
 * | operation                    | goes to                                                    |
 * | ---------------------------- | ---------------------------------------------------------- |
 * | `write`, `writeZeroes`       | volatile when the cache is enabled and FUA is 0, else durable |
 * | `flush`                      | moves every volatile block to the durable layer            |
 * | `powerLoss`                  | drops the volatile layer; durable data is untouched        |
 * | `deallocate`                 | durable at once (and discards any cached copy)             |
 * | `markUncorrectable`          | durable at once (and discards any cached copy)             |
 *
 * Deallocated, never-written and Write Zeroes blocks hold no memory and read as all bytes 00h:
 * the namespace reports DLFEAT bits 2:0 = 001b ("read returns all zeros") and DLFEAT bit 3 (Write
 * Zeroes deallocates), which is what NVM Command Set 1.1 §3.3.8 asks of a controller that reads
 * deallocated blocks as zeros. A block marked uncorrectable (Write Uncorrectable) reads as zeros
 * and is reported by {@linkcode MediaStore.read}'s return value, so the command layer posts
 * Unrecovered Read Error (`Status.UNRECOVERED_READ_ERROR`, 281h); a later durable write clears
 * the mark.
 *
 * Hot paths copy into and out of caller buffers at offsets and allocate nothing except a new
 * block the first time an LBA is written (and one short-lived view per block written).
 * Metadata (LBA formats with MS > 0) is not stored here.
 *
 * @example
 * ```ts
 * import { MediaStore } from "./media.ts";
 * const media = new MediaStore({ blockSize: 512, blockCount: 2 ** 31 }); // 1 TiB
 * media.setWriteCacheEnabled(true);
 * media.write(7, 1, new Uint8Array(512).fill(0xab), 0);
 * media.powerLoss(); // the write was only in the cache
 * const out = new Uint8Array(512);
 * media.read(7, 1, out, 0);
 * if (out[0] !== 0 || media.bytesStored() !== 0) throw new Error("the cached write is gone");
 * ```
 *
 * @module
 */

/** Smallest block (LBA data) size: 512 bytes (LBADS 9, NVM Command Set 1.1 §4.1.5.1). */
export const MIN_BLOCK_SIZE = 512;

/** {@linkcode MediaStore.read} returns this when every block read was correctable. */
export const READ_OK: number = -1;

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

// Sentinels stored in a layer instead of a data block. Compared by identity, never read.
/** The block reads as zeros (Write Zeroes through the cache shadows older durable data). */
const ZERO = new Uint8Array(0);
/** The block is marked uncorrectable (Write Uncorrectable); only ever in the durable layer. */
const UNCORRECTABLE = new Uint8Array(0);

type Layer = Map<number, Uint8Array>;

/** Checks a block size: a power of two of at least 512 bytes. */
export function isValidBlockSize(blockSize: number): boolean {
  return Number.isSafeInteger(blockSize) && blockSize >= MIN_BLOCK_SIZE &&
    (blockSize & (blockSize - 1)) === 0;
}

/** Sparse two-layer (durable + volatile write cache) block storage for one namespace. */
export class MediaStore {
  #blockSize = MIN_BLOCK_SIZE;
  #blockCount = 0;
  #cacheEnabled: boolean;
  readonly #durable: Layer = new Map();
  readonly #volatile: Layer = new Map();

  /** Creates empty media (every block reads as zeros). */
  constructor(options: MediaStoreOptions) {
    this.#cacheEnabled = options.writeCacheEnabled ?? false;
    this.format(options.blockSize, options.blockCount);
  }

  /** Block (LBA data) size in bytes. */
  get blockSize(): number {
    return this.#blockSize;
  }

  /** Number of blocks; valid LBAs are `0..blockCount-1`. */
  get blockCount(): number {
    return this.#blockCount;
  }

  /** Whether the volatile write cache is enabled. */
  get writeCacheEnabled(): boolean {
    return this.#cacheEnabled;
  }

  /** Whether the volatile layer holds data that a power loss would drop. */
  get hasVolatileData(): boolean {
    return this.#volatile.size > 0;
  }

  /**
   * Erases everything (both layers) and sets a new block size and, optionally, block count (the
   * count defaults to the current one). Throws {@linkcode MediaRangeError} for a block size that
   * is not a power of two ≥ 512 or a count that is not a non-negative safe integer.
   */
  format(blockSize: number, blockCount: number = this.#blockCount): void {
    if (!isValidBlockSize(blockSize)) {
      throw new MediaRangeError(
        `block size ${blockSize} is invalid: use a power of two of at least ${MIN_BLOCK_SIZE}`,
      );
    }
    if (!Number.isSafeInteger(blockCount) || blockCount < 0) {
      throw new MediaRangeError(`block count ${blockCount} is invalid: use 0..2^53-1`);
    }
    this.#durable.clear();
    this.#volatile.clear();
    this.#blockSize = blockSize;
    this.#blockCount = blockCount;
  }

  /**
   * Copies `count` blocks starting at `lba` into `dst` at `dstOff` (newest data; zeros for
   * blocks never written, deallocated or zeroed). Returns {@linkcode READ_OK} (-1), or the index
   * (0-based within the range) of the first uncorrectable block, whose bytes read as zeros.
   */
  read(lba: number, count: number, dst: Uint8Array, dstOff: number): number {
    this.#check(lba, count, dst, dstOff, "read");
    const bs = this.#blockSize;
    const cached = this.#volatile.size > 0;
    let bad = READ_OK;
    for (let i = 0, at = dstOff; i < count; i++, at += bs) {
      const key = lba + i;
      let b = cached ? this.#volatile.get(key) : undefined;
      if (b === undefined) b = this.#durable.get(key);
      if (b === undefined || b === ZERO) {
        dst.fill(0, at, at + bs);
      } else if (b === UNCORRECTABLE) {
        dst.fill(0, at, at + bs);
        if (bad === READ_OK) bad = i;
      } else {
        dst.set(b, at);
      }
    }
    return bad;
  }

  /**
   * Writes `count` blocks from `src` at `srcOff` starting at `lba`. The data goes to the volatile
   * layer when the write cache is enabled and `fua` is not set, otherwise straight to the durable
   * layer (and any older cached copy is discarded). A durable write clears an uncorrectable mark.
   */
  write(
    lba: number,
    count: number,
    src: Uint8Array,
    srcOff: number,
    options: WriteOptions = CACHED_WRITE,
  ): void {
    this.#check(lba, count, src, srcOff, "write");
    const durable = !this.#cacheEnabled || options.fua === true;
    const layer = durable ? this.#durable : this.#volatile;
    const dropCached = durable && this.#volatile.size > 0;
    const bs = this.#blockSize;
    for (let i = 0, at = srcOff; i < count; i++, at += bs) {
      const key = lba + i;
      let b = layer.get(key);
      if (b === undefined || b.length === 0) {
        b = new Uint8Array(bs);
        layer.set(key, b);
      }
      b.set(src.subarray(at, at + bs));
      if (dropCached) this.#volatile.delete(key);
    }
  }

  /**
   * Write Zeroes: the blocks read as zeros and hold no memory. Through the cache (a zero marker
   * in the volatile layer) when it is enabled and `fua` is not set, else durable at once.
   */
  writeZeroes(lba: number, count: number, options: WriteOptions = CACHED_WRITE): void {
    this.#check(lba, count, null, 0, "write zeroes");
    const durable = !this.#cacheEnabled || options.fua === true;
    for (let i = 0; i < count; i++) {
      const key = lba + i;
      if (durable) {
        this.#durable.delete(key);
        this.#volatile.delete(key);
      } else {
        this.#volatile.set(key, ZERO);
      }
    }
  }

  /**
   * Deallocates blocks (Dataset Management AD, Write Zeroes DEAC): they read as all zeros
   * (DLFEAT 001b) and hold no memory. Takes effect durably at once, discarding cached copies.
   */
  deallocate(lba: number, count: number): void {
    this.#check(lba, count, null, 0, "deallocate");
    for (let i = 0; i < count; i++) {
      this.#durable.delete(lba + i);
      this.#volatile.delete(lba + i);
    }
  }

  /**
   * Write Uncorrectable: marks blocks so that reads report them (see {@linkcode read}) until
   * they are written again. Durable at once, discarding cached copies.
   */
  markUncorrectable(lba: number, count: number): void {
    this.#check(lba, count, null, 0, "mark uncorrectable");
    for (let i = 0; i < count; i++) {
      this.#durable.set(lba + i, UNCORRECTABLE);
      this.#volatile.delete(lba + i);
    }
  }

  /** Whether a read of `lba` would report it uncorrectable. */
  isUncorrectable(lba: number): boolean {
    return this.firstUncorrectable(lba, 1) !== READ_OK;
  }

  /**
   * The index (0-based within the range) of the first uncorrectable block in `count` blocks at
   * `lba`, or {@linkcode READ_OK} (-1). Compare and Verify call this before touching data.
   */
  firstUncorrectable(lba: number, count: number): number {
    this.#check(lba, count, null, 0, "check");
    const cached = this.#volatile.size > 0;
    for (let i = 0; i < count; i++) {
      if (cached && this.#volatile.has(lba + i)) continue;
      if (this.#durable.get(lba + i) === UNCORRECTABLE) return i;
    }
    return READ_OK;
  }

  /**
   * Compares `count` blocks at `lba` (newest data) with `src` at `srcOff`; true when every byte
   * matches. An uncorrectable block compares as zeros: check {@linkcode firstUncorrectable}
   * first to post Unrecovered Read Error instead of Compare Failure.
   */
  compare(lba: number, count: number, src: Uint8Array, srcOff: number): boolean {
    this.#check(lba, count, src, srcOff, "compare");
    const bs = this.#blockSize;
    const cached = this.#volatile.size > 0;
    for (let i = 0, at = srcOff; i < count; i++, at += bs) {
      let b = cached ? this.#volatile.get(lba + i) : undefined;
      if (b === undefined) b = this.#durable.get(lba + i);
      if (b === undefined || b.length === 0) {
        for (let j = 0; j < bs; j++) if (src[at + j] !== 0) return false;
      } else {
        for (let j = 0; j < bs; j++) if (src[at + j] !== b[j]) return false;
      }
    }
    return true;
  }

  /** Flush: makes every cached block durable (the volatile layer becomes empty). */
  flush(): void {
    if (this.#volatile.size === 0) return;
    for (const [key, b] of this.#volatile) {
      if (b === ZERO) this.#durable.delete(key);
      else this.#durable.set(key, b);
    }
    this.#volatile.clear();
  }

  /** Simulated power loss: drops what is only in the write cache. Durable data is untouched. */
  powerLoss(): void {
    this.#volatile.clear();
  }

  /**
   * Volatile Write Cache feature (FID 06h) WCE. Disabling the cache flushes it first, so no
   * accepted write is lost by the change.
   */
  setWriteCacheEnabled(enabled: boolean): void {
    if (!enabled) this.flush();
    this.#cacheEnabled = enabled;
  }

  /**
   * Bytes of block data the store holds in both layers (markers for zeroed or uncorrectable
   * blocks count nothing). A block that is both durable and cached counts twice.
   */
  bytesStored(): number {
    let n = 0;
    for (const b of this.#durable.values()) n += b.length;
    for (const b of this.#volatile.values()) n += b.length;
    return n;
  }

  /**
   * Number of allocated blocks (NUSE): blocks whose newest state holds data or an uncorrectable
   * mark. Deallocated, zeroed and never-written blocks are not allocated. Costs O(stored blocks).
   */
  allocatedBlocks(): number {
    let n = 0;
    for (const b of this.#volatile.values()) if (b !== ZERO) n++;
    for (const key of this.#durable.keys()) if (!this.#volatile.has(key)) n++;
    return n;
  }

  #check(lba: number, count: number, buf: Uint8Array | null, off: number, what: string): void {
    if (
      !Number.isSafeInteger(lba) || !Number.isSafeInteger(count) || lba < 0 || count < 0 ||
      lba + count > this.#blockCount
    ) {
      throw new MediaRangeError(
        `${what} of ${count} blocks at LBA ${lba} is outside 0..${this.#blockCount - 1}: ` +
          "check the range (LBA Out of Range) before calling the media",
      );
    }
    if (
      buf !== null && (!Number.isSafeInteger(off) || off < 0 ||
        off + count * this.#blockSize > buf.length)
    ) {
      throw new MediaRangeError(
        `${what} of ${count} × ${this.#blockSize}-byte blocks needs ${
          count * this.#blockSize
        } bytes at offset ${off}, buffer has ${buf.length}: pass a larger buffer`,
      );
    }
  }
}
