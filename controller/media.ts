/**
 * The media of one namespace: sparse block storage with a volatile write cache.
 *
 * Two layers hold blocks keyed by LBA: the **durable** layer (what survives a power loss) and the
 * **volatile** layer (the write cache, Base 2.1 §5.1.25.1.4 Volatile Write Cache feature). A
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
 * Blocks are stored in granules of 4 KiB of LBA space (one block when blocks are 4 KiB or larger),
 * so an aligned 4 KiB read is one lookup and one copy (the granule and the read path are in
 * `_media_granule.ts`, the other algorithms over the two layers in `_media_layers.ts`). Hot paths copy into and out of caller
 * buffers at offsets and allocate nothing except a granule the first time one of its LBAs is
 * written (and one short-lived view per granule written or partly read).
 *
 * Metadata (LBA formats with MS > 0, `metadataSize`): each block's MS bytes live in its granule
 * beside its data (`_media_metadata.ts`), so they follow the data through the write cache, Flush,
 * power loss, Write Zeroes and deallocation (reading as zeros like the data), and Format NVM.
 * `write` takes the metadata with the data; `readMetadata` and `compareMetadata` read it.
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

import {
  CACHED_WRITE,
  isValidBlockSize,
  MediaRangeError,
  type MediaSink,
  type MediaStoreOptions,
  MIN_BLOCK_SIZE,
  READ_OK,
  type WriteOptions,
} from "./media_types.ts";
import {
  ABSENT,
  BAD,
  BufferSink,
  GRANULE_BYTES,
  type Layer,
  readRuns,
  ZEROED,
} from "./_media_granule.ts";
import {
  allocatedBlocks,
  compareRuns,
  dataBlocks,
  firstBad,
  mediaRangeError,
  mergeCache,
  setRange,
  writeRuns,
} from "./_media_layers.ts";
import { checkMetaBuffer, compareMeta, type MetaGeometry, readMeta } from "./_media_metadata.ts";

/** Largest Metadata Size (the LBA Format MS field is 16 bits). */
const MAX_METADATA_SIZE = 0xffff;

export {
  CACHED_WRITE,
  FUA_WRITE,
  isValidBlockSize,
  MediaRangeError,
  type MediaSink,
  type MediaStoreOptions,
  MIN_BLOCK_SIZE,
  READ_OK,
  type WriteOptions,
} from "./media_types.ts";

/** Sparse two-layer (durable + volatile write cache) block storage for one namespace. */
export class MediaStore {
  #blockSize = MIN_BLOCK_SIZE;
  #blockCount = 0;
  /** Blocks per granule: a power of two (GRANULE_BYTES / block size, at least 1). */
  #per = 1;
  /** Metadata bytes per block (MS) and blocks per granule, as the metadata helpers take them. */
  #geo: MetaGeometry = { per: 1, ms: 0 };
  #cacheEnabled: boolean;
  readonly #durable: Layer = new Map();
  readonly #volatile: Layer = new Map();
  readonly #bufferSink = new BufferSink();
  /** False until a Write Uncorrectable marks a block (since the last format): none are BAD. */
  #markedUncorrectable = false;

  /** Creates empty media (every block reads as zeros). */
  constructor(options: MediaStoreOptions) {
    this.#cacheEnabled = options.writeCacheEnabled ?? false;
    this.format(options.blockSize, options.blockCount, options.metadataSize ?? 0);
  }

  /** Block (LBA data) size in bytes. */
  get blockSize(): number {
    return this.#blockSize;
  }

  /** Metadata bytes per block (MS); 0 when the format has no metadata. */
  get metadataSize(): number {
    return this.#geo.ms;
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
   * Erases everything (both layers, data and metadata) and sets a new block size and,
   * optionally, block count and metadata size (each defaults to the current one). Throws
   * {@linkcode MediaRangeError} for a block size that is not a power of two ≥ 512, a count that
   * is not a non-negative safe integer or a metadata size outside 0..65535.
   */
  format(
    blockSize: number,
    blockCount: number = this.#blockCount,
    metadataSize: number = this.#geo.ms,
  ): void {
    if (!isValidBlockSize(blockSize)) {
      throw new MediaRangeError(
        `block size ${blockSize} is invalid: use a power of two of at least ${MIN_BLOCK_SIZE}`,
      );
    }
    if (!Number.isSafeInteger(blockCount) || blockCount < 0) {
      throw new MediaRangeError(`block count ${blockCount} is invalid: use 0..2^53-1`);
    }
    if (!Number.isInteger(metadataSize) || metadataSize < 0 || metadataSize > MAX_METADATA_SIZE) {
      throw new MediaRangeError(`metadata size ${metadataSize} is invalid: use 0..65535`);
    }
    this.#durable.clear();
    this.#volatile.clear();
    this.#markedUncorrectable = false;
    this.#blockSize = blockSize;
    this.#blockCount = blockCount;
    this.#per = Math.max(1, GRANULE_BYTES / blockSize);
    this.#geo = { per: this.#per, ms: metadataSize };
  }

  /**
   * Copies `count` blocks starting at `lba` into `dst` at `dstOff` (newest data; zeros for
   * blocks never written, deallocated or zeroed). Returns {@linkcode READ_OK} (-1), or the index
   * (0-based within the range) of the first uncorrectable block, whose bytes read as zeros.
   */
  read(lba: number, count: number, dst: Uint8Array, dstOff: number): number {
    this.#check(lba, count, dst, dstOff, "read");
    const sink = this.#bufferSink;
    sink.reset(dst, dstOff);
    const bad = readRuns(
      this.#volatile,
      this.#durable,
      this.#per,
      this.#blockSize,
      lba,
      count,
      sink,
    );
    sink.release();
    return bad;
  }

  /**
   * Reads `count` blocks at `lba` as {@linkcode read} does, handing the bytes to `sink` run by run
   * instead of copying them into a buffer: a caller that moves the data on (the controller's DMA
   * to host memory) copies each byte once. Uncorrectable blocks are zeros; the result is as
   * {@linkcode read}'s. The sink must not call back into the store.
   */
  readInto(lba: number, count: number, sink: MediaSink): number {
    this.#check(lba, count, null, 0, "read");
    return readRuns(this.#volatile, this.#durable, this.#per, this.#blockSize, lba, count, sink);
  }

  /**
   * Writes `count` blocks from `src` at `srcOff` starting at `lba`. The data goes to the volatile
   * layer when the write cache is enabled and `fua` is not set, otherwise straight to the durable
   * layer (and any older cached copy is discarded). A durable write clears an uncorrectable mark.
   * With metadata (MS > 0) the blocks' metadata comes from `meta` at `metaOff` (MS bytes per
   * block), or is zeros when `meta` is null; without metadata `meta` is ignored.
   */
  write(
    lba: number,
    count: number,
    src: Uint8Array,
    srcOff: number,
    options: WriteOptions = CACHED_WRITE,
    meta: Uint8Array | null = null,
    metaOff = 0,
  ): void {
    this.#check(lba, count, src, srcOff, "write");
    const geo = this.#geo, ms = geo.ms;
    if (ms > 0 && meta !== null) checkMetaBuffer(this.#geo, count, meta, metaOff, "write");
    const durable = !this.#cacheEnabled || options.fua === true;
    const layer = durable ? this.#durable : this.#volatile;
    writeRuns(layer, geo, this.#blockSize, lba, count, src, srcOff, ms > 0 ? meta : null, metaOff);
    if (durable) this.#setRange(this.#volatile, lba, count, ABSENT);
  }

  /**
   * Write Zeroes: the blocks read as zeros and hold no memory. Through the cache (a zero marker
   * in the volatile layer) when it is enabled and `fua` is not set, else durable at once.
   */
  writeZeroes(lba: number, count: number, options: WriteOptions = CACHED_WRITE): void {
    this.#check(lba, count, null, 0, "write zeroes");
    if (!this.#cacheEnabled || options.fua === true) {
      this.#setRange(this.#durable, lba, count, ABSENT);
      this.#setRange(this.#volatile, lba, count, ABSENT);
    } else {
      this.#setRange(this.#volatile, lba, count, ZEROED);
    }
  }

  /**
   * Deallocates blocks (Dataset Management AD, Write Zeroes DEAC): they read as all zeros
   * (DLFEAT 001b) and hold no memory. Takes effect durably at once, discarding cached copies.
   */
  deallocate(lba: number, count: number): void {
    this.#check(lba, count, null, 0, "deallocate");
    this.#setRange(this.#durable, lba, count, ABSENT);
    this.#setRange(this.#volatile, lba, count, ABSENT);
  }

  /**
   * Write Uncorrectable: marks blocks so that reads report them (see {@linkcode read}) until
   * they are written again. Durable at once, discarding cached copies.
   */
  markUncorrectable(lba: number, count: number): void {
    this.#check(lba, count, null, 0, "mark uncorrectable");
    if (count > 0) this.#markedUncorrectable = true;
    this.#setRange(this.#durable, lba, count, BAD);
    this.#setRange(this.#volatile, lba, count, ABSENT);
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
    if (!this.#markedUncorrectable) return READ_OK; // the read path's usual case: no lookups
    return firstBad(this.#volatile, this.#durable, this.#per, lba, count);
  }

  /**
   * Compares `count` blocks at `lba` (newest data) with `src` at `srcOff`; true when every byte
   * matches. An uncorrectable block compares as zeros: check {@linkcode firstUncorrectable}
   * first to post Unrecovered Read Error instead of Compare Failure.
   */
  compare(lba: number, count: number, src: Uint8Array, srcOff: number): boolean {
    this.#check(lba, count, src, srcOff, "compare");
    return compareRuns(
      this.#volatile,
      this.#durable,
      this.#per,
      this.#blockSize,
      lba,
      count,
      src,
      srcOff,
    );
  }

  /**
   * Copies the newest metadata of `count` blocks at `lba` (MS bytes each) into `dst` at `dstOff`:
   * zeros for blocks that hold no data (never written, deallocated, zeroed, uncorrectable).
   * Does nothing when the format has no metadata.
   */
  readMetadata(lba: number, count: number, dst: Uint8Array, dstOff: number): void {
    this.#check(lba, count, null, 0, "read metadata");
    if (this.#geo.ms === 0) return;
    checkMetaBuffer(this.#geo, count, dst, dstOff, "read metadata");
    readMeta(this.#volatile, this.#durable, this.#geo, lba, count, dst, dstOff);
  }

  /**
   * Compares the newest metadata of `count` blocks at `lba` with `src` at `srcOff`; true when
   * every byte matches (always true when the format has no metadata).
   */
  compareMetadata(lba: number, count: number, src: Uint8Array, srcOff: number): boolean {
    this.#check(lba, count, null, 0, "compare metadata");
    if (this.#geo.ms === 0) return true;
    checkMetaBuffer(this.#geo, count, src, srcOff, "compare metadata");
    return compareMeta(this.#volatile, this.#durable, this.#geo, lba, count, src, srcOff);
  }

  /** Flush: makes every cached block durable (the volatile layer becomes empty). */
  flush(): void {
    if (this.#volatile.size > 0) {
      mergeCache(this.#volatile, this.#durable, this.#geo, this.#blockSize);
    }
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
   * Bytes of block data and metadata the store holds in both layers (markers for zeroed or
   * uncorrectable blocks count nothing). A block that is both durable and cached counts twice.
   * Counts the blocks holding data; a granule's buffers may hold up to one granule more for its
   * unwritten blocks.
   */
  bytesStored(): number {
    return dataBlocks(this.#volatile, this.#durable) * (this.#blockSize + this.#geo.ms);
  }

  /**
   * Number of allocated blocks (NUSE): blocks whose newest state holds data or an uncorrectable
   * mark. Deallocated, zeroed and never-written blocks are not allocated. Costs O(stored blocks).
   */
  allocatedBlocks(): number {
    return allocatedBlocks(this.#volatile, this.#durable, this.#per);
  }

  /** Sets a data-less state (ABSENT, ZEROED or BAD) on `count` blocks of `layer` at `lba`. */
  #setRange(layer: Layer, lba: number, count: number, s: number): void {
    setRange(layer, this.#per, lba, count, s);
  }

  #check(lba: number, count: number, buf: Uint8Array | null, off: number, what: string): void {
    if (
      !(Number.isSafeInteger(lba) && Number.isSafeInteger(count) && lba >= 0 && count >= 0 &&
        lba + count <= this.#blockCount) ||
      (buf !== null && !(Number.isSafeInteger(off) && off >= 0 &&
        off + count * this.#blockSize <= buf.length))
    ) {
      throw mediaRangeError(what, lba, count, this.#blockCount, this.#blockSize, buf, off);
    }
  }
}
