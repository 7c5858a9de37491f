/**
 * The IOMMU map: which host physical ranges a device may DMA, and in which direction. When the
 * IOMMU is enabled, a DMA outside the map is a fault (the machine records a finding and the
 * access never touches host memory); when disabled, every in-range address is DMA-able.
 *
 * The map is byte-granular (stricter than a page-table IOMMU, so a PRP that strays one byte past a
 * buffer is caught). Mapping a range overrides what was mapped there; unmapping removes it.
 *
 * @example
 * ```ts
 * import { DMA_OK, DMA_UNMAPPED, Iommu } from "./iommu.ts";
 * const iommu = new Iommu(true);
 * iommu.map(0x1000, 0x2000);
 * if (iommu.check(0x1800, 0x100, true) !== DMA_OK) throw new Error();
 * if (iommu.check(0x2f00, 0x200, false) !== DMA_UNMAPPED) throw new Error();
 * ```
 *
 * @module
 */

import { InvalidArgumentError } from "./errors.ts";

/** Direction a mapping allows, seen from the device: "read" = device reads host memory. */
export type DmaAccess = "read" | "write" | "rw";

/** Result of {@linkcode Iommu.check}: the access is allowed. */
export const DMA_OK = 0;
/** Result of {@linkcode Iommu.check}: part of the range is not mapped. */
export const DMA_UNMAPPED = 1;
/** Result of {@linkcode Iommu.check}: mapped, but not for this direction. */
export const DMA_FORBIDDEN = 2;
/** Any result of {@linkcode Iommu.check}. */
export type DmaCheck = typeof DMA_OK | typeof DMA_UNMAPPED | typeof DMA_FORBIDDEN;

const PERM_READ = 1;
/** Intervals remembered by {@linkcode Iommu.check}'s fast path. */
const RECENT_SLOTS = 4;
const PERM_WRITE = 2;
const PERMS: Record<DmaAccess, number> = { read: PERM_READ, write: PERM_WRITE, rw: 3 };
const ACCESS_NAMES = ["none", "read", "write", "rw"] as const;

/** One mapped range. */
export interface IommuRange {
  /** First byte. */
  readonly start: number;
  /** One past the last byte. */
  readonly end: number;
  /** Allowed direction. */
  readonly access: DmaAccess;
}

interface Interval {
  s: number;
  e: number;
  p: number;
}

/** A byte-granular map of DMA-able host ranges. */
export class Iommu {
  /** When false, {@linkcode check} allows everything. */
  enabled: boolean;
  // Disjoint, sorted, adjacent intervals with equal permissions merged.
  #iv: Interval[] = [];
  /**
   * Indexes of intervals that satisfied recent checks (-1 = empty), most recent first: a command
   * touches its SQ, its data buffer and its CQ in turn, each usually one interval, so each is
   * found here with one comparison pair instead of a binary search. Cleared by every map change.
   */
  #recent = new Int32Array(RECENT_SLOTS).fill(-1);

  /** Creates an empty map, enabled or not. */
  constructor(enabled = true) {
    this.enabled = enabled;
  }

  /** Makes `[addr, addr + length)` DMA-able for `access` (default both directions). */
  map(addr: number, length: number, access: DmaAccess = "rw"): void {
    this.#validate("map", addr, length);
    if (length > 0) this.#set(addr, addr + length, PERMS[access]);
  }

  /** Removes `[addr, addr + length)` from the map. */
  unmap(addr: number, length: number): void {
    this.#validate("unmap", addr, length);
    if (length > 0) this.#set(addr, addr + length, 0);
  }

  /** Removes every mapping. */
  clear(): void {
    this.#iv = [];
    this.#recent.fill(-1);
  }

  /** Checks a device access of `length` bytes at `addr`; `write` = device writes host memory. */
  check(addr: number, length: number, write: boolean): DmaCheck {
    if (!this.enabled || length <= 0) return DMA_OK;
    const iv = this.#iv, recent = this.#recent;
    // Fast path: the range lies inside an interval that satisfied a recent check.
    for (let k = 0; k < RECENT_SLOTS; k++) {
      const j = recent[k];
      if (j < 0) break;
      const r = iv[j];
      if (addr >= r.s && addr + length <= r.e) {
        return (r.p & (write ? PERM_WRITE : PERM_READ)) === 0 ? DMA_FORBIDDEN : DMA_OK;
      }
    }
    let i = this.#find(addr);
    if (i < 0) return DMA_UNMAPPED;
    this.#remember(i);
    const need = write ? PERM_WRITE : PERM_READ;
    const end = addr + length;
    for (;;) {
      const r = iv[i];
      if ((r.p & need) === 0) return DMA_FORBIDDEN;
      if (r.e >= end) return DMA_OK;
      i++;
      if (i >= iv.length || iv[i].s !== r.e) return DMA_UNMAPPED;
    }
  }

  /** Puts interval `i` first in the recent list (dropping the oldest entry). */
  #remember(i: number): void {
    const recent = this.#recent;
    let k = 0;
    while (k < RECENT_SLOTS - 1 && recent[k] !== i && recent[k] >= 0) k++;
    for (; k > 0; k--) recent[k] = recent[k - 1];
    recent[0] = i;
  }

  /** True when the whole range is mapped for `access`. */
  isMapped(addr: number, length: number, access: DmaAccess = "read"): boolean {
    const saved = this.enabled;
    this.enabled = true;
    try {
      const need = PERMS[access];
      return (need & PERM_READ ? this.check(addr, length, false) === DMA_OK : true) &&
        (need & PERM_WRITE ? this.check(addr, length, true) === DMA_OK : true);
    } finally {
      this.enabled = saved;
    }
  }

  /** The mapped ranges in address order. */
  ranges(): IommuRange[] {
    return this.#iv.map((r) => ({
      start: r.s,
      end: r.e,
      access: ACCESS_NAMES[r.p] as DmaAccess,
    }));
  }

  /** Index of the interval containing `addr`, or -1. */
  #find(addr: number): number {
    const iv = this.#iv;
    let lo = 0;
    let hi = iv.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const r = iv[mid];
      if (addr < r.s) hi = mid - 1;
      else if (addr >= r.e) lo = mid + 1;
      else return mid;
    }
    return -1;
  }

  #set(start: number, end: number, perm: number): void {
    const iv = this.#iv;
    // First interval ending after `start`.
    let lo = 0;
    let hi = iv.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (iv[mid].e <= start) lo = mid + 1;
      else hi = mid;
    }
    let j = lo;
    const replacement: Interval[] = [];
    let right: Interval | undefined;
    while (j < iv.length && iv[j].s < end) {
      const r = iv[j];
      // Only the first overlapped interval can stick out on the left, only the last on the right.
      if (r.s < start) replacement.push({ s: r.s, e: start, p: r.p });
      if (r.e > end) right = { s: end, e: r.e, p: r.p };
      j++;
    }
    if (perm !== 0) replacement.push({ s: start, e: end, p: perm });
    if (right !== undefined) replacement.push(right);
    iv.splice(lo, j - lo, ...replacement);
    // Merge equal-permission neighbours around the edited region.
    const from = Math.max(0, lo - 1);
    const to = Math.min(iv.length - 1, lo + replacement.length);
    for (let k = to; k > from; k--) {
      if (iv[k - 1].e === iv[k].s && iv[k - 1].p === iv[k].p) {
        iv[k - 1].e = iv[k].e;
        iv.splice(k, 1);
      }
    }
    this.#recent.fill(-1);
  }

  #validate(op: string, addr: number, length: number): void {
    if (!Number.isSafeInteger(addr) || !Number.isSafeInteger(length) || addr < 0 || length < 0) {
      throw new InvalidArgumentError(
        `iommu.${op}: range (${addr}, ${length}) must be non-negative integers`,
      );
    }
  }
}
