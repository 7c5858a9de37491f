/**
 * Sparse host physical memory: a 4 KiB-paged address space whose pages are created on the first
 * write. Reads of untouched pages return zeros and create nothing, so a 1 TiB address space costs
 * only the pages a run writes.
 *
 * Hot paths never allocate: copies go into/out of caller-provided `Uint8Array`s with offset and
 * length, integer accessors use each page's `DataView`, and recently used pages are cached (16
 * slots, direct-mapped by page number) so finding one usually costs one comparison.
 *
 * @example
 * ```ts
 * import { HostMemory, PAGE_SIZE } from "./memory.ts";
 * const mem = new HostMemory();
 * mem.writeU32(5 * PAGE_SIZE - 2, 0xaabbccdd); // crosses a page boundary
 * if (mem.readU32(5 * PAGE_SIZE - 2) !== 0xaabbccdd || mem.pageCount !== 2) throw new Error();
 * ```
 *
 * @module
 */

import { AddressRangeError, InvalidArgumentError } from "./errors.ts";

/** Page size of host memory in bytes. */
export const PAGE_SIZE = 4096;
/** log2 of {@linkcode PAGE_SIZE}. */
export const PAGE_SHIFT = 12;
/** Default size of the physical address space: 1 TiB. */
export const DEFAULT_ADDRESS_SPACE_BYTES = 2 ** 40;
/** Copies up to this many bytes within a page use a byte loop (no subarray view is created). */
const SMALL_COPY_BYTES = 64;
const TWO_32 = 2 ** 32;
/** Entries of the page cache (a power of two). */
const PAGE_CACHE_SLOTS = 16;
const PAGE_CACHE_MASK = PAGE_CACHE_SLOTS - 1;

/** Word copies through `Uint32Array` views are little-endian only on a little-endian host. */
const LITTLE_ENDIAN = new Uint8Array(Uint32Array.of(1).buffer)[0] === 1;
const WORD = 4;

interface Page {
  readonly bytes: Uint8Array;
  readonly view: DataView;
  readonly words: Uint32Array;
}

function newPage(): Page {
  const bytes = new Uint8Array(PAGE_SIZE);
  return { bytes, view: new DataView(bytes.buffer), words: new Uint32Array(bytes.buffer) };
}

/** Options of {@linkcode HostMemory}. */
export interface HostMemoryOptions {
  /** Size of the physical address space in bytes (default 1 TiB); a multiple of the page size. */
  readonly sizeBytes?: number;
}

/** Sparse, page-granular host physical memory. Addresses are numbers below 2^53. */
export class HostMemory {
  /** Size of the physical address space in bytes. */
  readonly sizeBytes: number;
  #pages = new Map<number, Page>();
  /**
   * A small direct-mapped cache of materialised pages by page number (low bits index it): a
   * command touches its SQ page, its data pages and its CQ page in turn, and each stays cached.
   */
  #cachePn = new Float64Array(PAGE_CACHE_SLOTS).fill(-1);
  #cachePage: (Page | undefined)[] = new Array(PAGE_CACHE_SLOTS).fill(undefined);

  /** Creates an all-zero address space. */
  constructor(options: HostMemoryOptions = {}) {
    const size = options.sizeBytes ?? DEFAULT_ADDRESS_SPACE_BYTES;
    if (!Number.isSafeInteger(size) || size <= 0 || size % PAGE_SIZE !== 0) {
      throw new InvalidArgumentError(
        `HostMemory: sizeBytes ${size} must be a positive multiple of ${PAGE_SIZE} below 2^53`,
      );
    }
    this.sizeBytes = size;
  }

  /** Number of pages materialised so far (each costs {@linkcode PAGE_SIZE} bytes). */
  get pageCount(): number {
    return this.#pages.size;
  }

  /** True when the page holding `addr` has been written. */
  isTouched(addr: number): boolean {
    return this.#pages.has(Math.floor(addr / PAGE_SIZE));
  }

  /** True when `[addr, addr + length)` lies inside the address space. */
  contains(addr: number, length: number): boolean {
    return Number.isSafeInteger(addr) && addr >= 0 && length >= 0 &&
      addr + length <= this.sizeBytes;
  }

  /** Copies `length` bytes at `addr` into `dst[dstOffset…]`. Untouched memory reads as zero. */
  read(
    addr: number,
    dst: Uint8Array,
    dstOffset = 0,
    length: number = dst.length - dstOffset,
  ): void {
    this.#check(addr, length);
    this.#checkBuffer(dst, dstOffset, length);
    let pn = Math.floor(addr / PAGE_SIZE);
    // Offsets as int32 (the page offset of a 64-bit address is computed in doubles): V8 indexes
    // typed arrays with int32 three times faster than with doubles.
    let off = (addr - pn * PAGE_SIZE) | 0;
    dstOffset |= 0;
    while (length > 0) {
      const n = length < PAGE_SIZE - off ? length : PAGE_SIZE - off;
      const page = this.#page(pn, false);
      if (page === undefined) {
        dst.fill(0, dstOffset, dstOffset + n);
      } else if (n <= SMALL_COPY_BYTES) {
        const b = page.bytes;
        for (let i = 0; i < n; i++) dst[dstOffset + i] = b[off + i];
      } else if (n === PAGE_SIZE) {
        dst.set(page.bytes, dstOffset); // a whole page: no view needed
      } else {
        dst.set(page.bytes.subarray(off, off + n), dstOffset);
      }
      length -= n;
      dstOffset += n;
      pn++;
      off = 0;
    }
  }

  /** Copies `length` bytes from `src[srcOffset…]` to `addr`. */
  write(
    addr: number,
    src: Uint8Array,
    srcOffset = 0,
    length: number = src.length - srcOffset,
  ): void {
    this.#check(addr, length);
    this.#checkBuffer(src, srcOffset, length);
    let pn = Math.floor(addr / PAGE_SIZE);
    let off = (addr - pn * PAGE_SIZE) | 0; // int32 offsets: see `read`
    srcOffset |= 0;
    while (length > 0) {
      const n = length < PAGE_SIZE - off ? length : PAGE_SIZE - off;
      const b = (this.#page(pn, true) as Page).bytes;
      if (n <= SMALL_COPY_BYTES) {
        for (let i = 0; i < n; i++) b[off + i] = src[srcOffset + i];
      } else if (srcOffset === 0 && n === src.length) {
        b.set(src, off); // all of `src` (a bounce buffer sized to the transfer): no view needed
      } else {
        b.set(src.subarray(srcOffset, srcOffset + n), off);
      }
      length -= n;
      srcOffset += n;
      pn++;
      off = 0;
    }
  }

  /**
   * Copies `count` little-endian 32-bit words at `addr` into `dst[index…]`: the fast path for
   * small aligned structures (an SQE is 16 words). Untouched memory reads as zero.
   */
  readWords(addr: number, dst: Uint32Array, index: number, count: number): void {
    this.#check(addr, count * WORD);
    this.#checkWords(dst, index, count);
    const pn = Math.floor(addr / PAGE_SIZE);
    const off = (addr - pn * PAGE_SIZE) | 0;
    const at = index | 0;
    if (LITTLE_ENDIAN && (off & (WORD - 1)) === 0 && off + count * WORD <= PAGE_SIZE) {
      const page = this.#page(pn, false);
      if (page === undefined) {
        dst.fill(0, at, at + count);
        return;
      }
      const w = page.words, o = off >> 2;
      for (let i = 0; i < count; i++) dst[at + i] = w[o + i];
      return;
    }
    for (let i = 0; i < count; i++) dst[at + i] = this.readU32(addr + i * WORD);
  }

  /** Copies `count` words from `src[index…]` to `addr`, little-endian (see `readWords`). */
  writeWords(addr: number, src: Uint32Array, index: number, count: number): void {
    this.#check(addr, count * WORD);
    this.#checkWords(src, index, count);
    const pn = Math.floor(addr / PAGE_SIZE);
    const off = (addr - pn * PAGE_SIZE) | 0;
    const at = index | 0;
    if (LITTLE_ENDIAN && (off & (WORD - 1)) === 0 && off + count * WORD <= PAGE_SIZE) {
      const w = (this.#page(pn, true) as Page).words, o = off >> 2;
      for (let i = 0; i < count; i++) w[o + i] = src[at + i];
      return;
    }
    for (let i = 0; i < count; i++) this.writeU32(addr + i * WORD, src[at + i]);
  }

  /** Sets `length` bytes at `addr` to `value`. Filling untouched pages with zero creates nothing. */
  fill(addr: number, length: number, value = 0): void {
    this.#check(addr, length);
    let pn = Math.floor(addr / PAGE_SIZE);
    let off = addr - pn * PAGE_SIZE;
    while (length > 0) {
      const n = length < PAGE_SIZE - off ? length : PAGE_SIZE - off;
      const page = this.#page(pn, value !== 0);
      if (page !== undefined) page.bytes.fill(value, off, off + n);
      length -= n;
      pn++;
      off = 0;
    }
  }

  /** Reads one byte. */
  readU8(addr: number): number {
    this.#check(addr, 1);
    return this.#byte(addr);
  }

  /** Reads a little-endian 16-bit value. */
  readU16(addr: number): number {
    this.#check(addr, 2);
    const pn = Math.floor(addr / PAGE_SIZE);
    const off = (addr - pn * PAGE_SIZE) | 0;
    if (off <= PAGE_SIZE - 2) {
      const page = this.#page(pn, false);
      return page === undefined ? 0 : page.view.getUint16(off, true);
    }
    return this.#byte(addr) | (this.#byte(addr + 1) << 8);
  }

  /** Reads a little-endian 32-bit value. */
  readU32(addr: number): number {
    this.#check(addr, 4);
    const pn = Math.floor(addr / PAGE_SIZE);
    const off = (addr - pn * PAGE_SIZE) | 0;
    if (off <= PAGE_SIZE - 4) {
      const page = this.#page(pn, false);
      return page === undefined ? 0 : page.view.getUint32(off, true);
    }
    return (this.#byte(addr) | (this.#byte(addr + 1) << 8) | (this.#byte(addr + 2) << 16) |
      (this.#byte(addr + 3) << 24)) >>> 0;
  }

  /** Reads a little-endian 64-bit value as a number (exact below 2^53, as addresses are). */
  readU64(addr: number): number {
    return this.readU32(addr) + this.readU32(addr + 4) * TWO_32;
  }

  /** Reads a little-endian 64-bit value exactly. */
  readU64Big(addr: number): bigint {
    return (BigInt(this.readU32(addr + 4)) << 32n) | BigInt(this.readU32(addr));
  }

  /** Writes one byte. */
  writeU8(addr: number, value: number): void {
    this.#check(addr, 1);
    this.#setByte(addr, value);
  }

  /** Writes a little-endian 16-bit value (truncated). */
  writeU16(addr: number, value: number): void {
    this.#check(addr, 2);
    const pn = Math.floor(addr / PAGE_SIZE);
    const off = (addr - pn * PAGE_SIZE) | 0;
    if (off <= PAGE_SIZE - 2) {
      (this.#page(pn, true) as Page).view.setUint16(off, value, true);
      return;
    }
    this.#setByte(addr, value);
    this.#setByte(addr + 1, value >>> 8);
  }

  /** Writes a little-endian 32-bit value (truncated). */
  writeU32(addr: number, value: number): void {
    this.#check(addr, 4);
    const pn = Math.floor(addr / PAGE_SIZE);
    const off = (addr - pn * PAGE_SIZE) | 0;
    if (off <= PAGE_SIZE - 4) {
      (this.#page(pn, true) as Page).view.setUint32(off, value >>> 0, true);
      return;
    }
    this.#setByte(addr, value);
    this.#setByte(addr + 1, value >>> 8);
    this.#setByte(addr + 2, value >>> 16);
    this.#setByte(addr + 3, value >>> 24);
  }

  /** Writes a non-negative integer below 2^53 as a little-endian 64-bit value. */
  writeU64(addr: number, value: number): void {
    this.writeU32(addr, value >>> 0);
    this.writeU32(addr + 4, Math.floor(value / TWO_32));
  }

  /** Writes a 64-bit value exactly (taken modulo 2^64). */
  writeU64Big(addr: number, value: bigint): void {
    this.writeU32(addr, Number(value & 0xffffffffn));
    this.writeU32(addr + 4, Number((value >> 32n) & 0xffffffffn));
  }

  /** Drops every page: all memory reads as zero again. */
  clear(): void {
    this.#pages.clear();
    this.#cachePn.fill(-1);
    this.#cachePage.fill(undefined);
  }

  #page(pn: number, create: boolean): Page | undefined {
    const slot = pn & PAGE_CACHE_MASK; // ToInt32 keeps the low bits of any safe integer
    if (this.#cachePn[slot] === pn) return this.#cachePage[slot];
    let page = this.#pages.get(pn);
    if (page === undefined) {
      if (!create) return undefined;
      page = newPage();
      this.#pages.set(pn, page);
    }
    this.#cachePn[slot] = pn;
    this.#cachePage[slot] = page;
    return page;
  }

  #byte(addr: number): number {
    const pn = Math.floor(addr / PAGE_SIZE);
    const page = this.#page(pn, false);
    return page === undefined ? 0 : page.bytes[(addr - pn * PAGE_SIZE) | 0];
  }

  #setByte(addr: number, value: number): void {
    const pn = Math.floor(addr / PAGE_SIZE);
    (this.#page(pn, true) as Page).bytes[(addr - pn * PAGE_SIZE) | 0] = value;
  }

  // The checks keep only the test inline: the error text is built in module functions, so the
  // hot accessors stay small enough for V8 to inline into their callers.
  #check(addr: number, length: number): void {
    if (
      !(addr >= 0 && length >= 0 && addr + length <= this.sizeBytes) || !Number.isSafeInteger(addr)
    ) {
      throw outsideAddressSpace(addr, length, this.sizeBytes);
    }
  }

  #checkWords(buf: Uint32Array, index: number, count: number): void {
    if (!(Number.isInteger(index) && index >= 0 && count >= 0 && index + count <= buf.length)) {
      throw wordsOutsideBuffer(buf, index, count);
    }
  }

  #checkBuffer(buf: Uint8Array, offset: number, length: number): void {
    if (!(offset >= 0 && offset + length <= buf.length)) {
      throw bytesOutsideBuffer(buf, offset, length);
    }
  }
}

function outsideAddressSpace(addr: number, length: number, size: number): AddressRangeError {
  return new AddressRangeError(
    `host memory: access of ${length} bytes at ${addr} is outside [0, 0x${
      size.toString(16)
    }); use addresses returned by allocate() or enlarge the address space (sizeBytes)`,
  );
}

function wordsOutsideBuffer(buf: Uint32Array, index: number, count: number): InvalidArgumentError {
  return new InvalidArgumentError(
    `host memory: words [${index}, ${index + count}) exceed the ${buf.length}-word buffer; ` +
      "pass a smaller count or a larger buffer",
  );
}

function bytesOutsideBuffer(buf: Uint8Array, offset: number, length: number): InvalidArgumentError {
  return new InvalidArgumentError(
    `host memory: buffer range [${offset}, ${offset + length}) exceeds buffer length ` +
      `${buf.length}; pass a smaller length or a larger buffer`,
  );
}
