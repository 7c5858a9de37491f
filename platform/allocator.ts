/**
 * A simple first-fit allocator over a physical address range, for DMA-able host buffers.
 * `allocate(size, align)` returns an address; `free(address)` returns the range, coalescing it
 * with its free neighbours. Freeing an address twice or one that was never returned is an error.
 *
 * The allocator only hands out addresses: it never touches memory, so reserving a huge range is
 * free (see {@linkcode HostMemory} for the sparse backing store).
 *
 * @example
 * ```ts
 * import { RangeAllocator } from "./allocator.ts";
 * const a = new RangeAllocator(0x10000, 0x100000);
 * const x = a.allocate(100, 4096);
 * const y = a.allocate(100, 64);
 * if (x % 4096 !== 0 || y % 64 !== 0 || y < x + 100) throw new Error();
 * a.free(x);
 * ```
 *
 * @module
 */

import { InvalidArgumentError, InvalidFreeError, OutOfHostMemoryError } from "./errors.ts";
import { PAGE_SIZE } from "./memory.ts";

/** Rounds `value` up to a multiple of `align` (a power of two). Exact below 2^53. */
export function alignUp(value: number, align: number): number {
  return Math.ceil(value / align) * align;
}

/** True when `n` is a power of two ≥ 1 and a safe integer. */
export function isPowerOfTwo(n: number): boolean {
  return Number.isSafeInteger(n) && n >= 1 && 2 ** Math.round(Math.log2(n)) === n;
}

/** First-fit allocator over `[base, limit)`. */
export class RangeAllocator {
  /** Lowest address handed out. */
  readonly base: number;
  /** One past the highest address handed out. */
  readonly limit: number;
  // Free ranges, disjoint, sorted by start, never adjacent (coalesced).
  #starts: number[] = [];
  #ends: number[] = [];
  #live = new Map<number, number>();
  #freed = new Set<number>();
  #allocatedBytes = 0;

  /** Creates an allocator with the whole `[base, limit)` free. */
  constructor(base: number, limit: number) {
    if (!Number.isSafeInteger(base) || !Number.isSafeInteger(limit) || base < 0 || limit <= base) {
      throw new InvalidArgumentError(
        `RangeAllocator: range [${base}, ${limit}) is empty or not integral; pass base < limit`,
      );
    }
    this.base = base;
    this.limit = limit;
    this.reset();
  }

  /** Returns the address of `size` bytes aligned to `align` (a power of two, default 4 KiB). */
  allocate(size: number, align: number = PAGE_SIZE): number {
    if (!Number.isSafeInteger(size) || size <= 0) {
      throw new InvalidArgumentError(`allocate: size ${size} must be a positive integer`);
    }
    if (!isPowerOfTwo(align)) {
      throw new InvalidArgumentError(`allocate: alignment ${align} must be a power of two`);
    }
    const starts = this.#starts;
    const ends = this.#ends;
    for (let i = 0; i < starts.length; i++) {
      const addr = alignUp(starts[i], align);
      if (addr + size > ends[i]) continue;
      const tailStart = addr + size;
      const tailEnd = ends[i];
      if (addr > starts[i]) {
        ends[i] = addr;
        if (tailStart < tailEnd) {
          starts.splice(i + 1, 0, tailStart);
          ends.splice(i + 1, 0, tailEnd);
        }
      } else if (tailStart < tailEnd) {
        starts[i] = tailStart;
      } else {
        starts.splice(i, 1);
        ends.splice(i, 1);
      }
      this.#live.set(addr, size);
      this.#freed.delete(addr);
      this.#allocatedBytes += size;
      return addr;
    }
    throw new OutOfHostMemoryError(
      `allocate: no free range of ${size} bytes aligned to ${align} in [0x${
        this.base.toString(16)
      }, 0x${this.limit.toString(16)}) (${this.#allocatedBytes} bytes in use); free buffers ` +
        "or configure a larger allocation range",
    );
  }

  /** Returns an allocation to the free ranges; returns its size. */
  free(addr: number): number {
    const size = this.#live.get(addr);
    if (size === undefined) {
      const what = this.#freed.has(addr)
        ? "was already freed (double free)"
        : "was never allocated";
      throw new InvalidFreeError(
        `free: address 0x${
          Number(addr).toString(16)
        } ${what}; free only addresses returned by allocate(), once`,
      );
    }
    this.#live.delete(addr);
    this.#freed.add(addr);
    this.#allocatedBytes -= size;
    this.#insertFree(addr, addr + size);
    return size;
  }

  /** Size of the live allocation at `addr`, or undefined. */
  sizeOf(addr: number): number | undefined {
    return this.#live.get(addr);
  }

  /** The live allocation containing `addr`, as `[start, size]`, or undefined. Not a hot path. */
  allocationContaining(addr: number): readonly [number, number] | undefined {
    for (const [start, size] of this.#live) {
      if (addr >= start && addr < start + size) return [start, size];
    }
    return undefined;
  }

  /** Live allocations as `[address, size]` pairs in address order. */
  allocations(): [number, number][] {
    return [...this.#live].sort((a, b) => a[0] - b[0]);
  }

  /** Free ranges as `[start, end)` pairs in address order (for tests and diagnostics). */
  freeRanges(): [number, number][] {
    return this.#starts.map((s, i) => [s, this.#ends[i]]);
  }

  /** Bytes currently allocated. */
  get allocatedBytes(): number {
    return this.#allocatedBytes;
  }

  /** Number of live allocations. */
  get allocationCount(): number {
    return this.#live.size;
  }

  /** Frees everything. */
  reset(): void {
    this.#starts = [this.base];
    this.#ends = [this.limit];
    this.#live.clear();
    this.#freed.clear();
    this.#allocatedBytes = 0;
  }

  #insertFree(start: number, end: number): void {
    const starts = this.#starts;
    const ends = this.#ends;
    // First free range starting after `start`.
    let lo = 0;
    let hi = starts.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (starts[mid] < start) lo = mid + 1;
      else hi = mid;
    }
    const i = lo;
    const joinPrev = i > 0 && ends[i - 1] === start;
    const joinNext = i < starts.length && starts[i] === end;
    if (joinPrev && joinNext) {
      ends[i - 1] = ends[i];
      starts.splice(i, 1);
      ends.splice(i, 1);
    } else if (joinPrev) {
      ends[i - 1] = end;
    } else if (joinNext) {
      starts[i] = start;
    } else {
      starts.splice(i, 0, start);
      ends.splice(i, 0, end);
    }
  }
}
