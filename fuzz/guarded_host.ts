/**
 * A {@linkcode HostPort} that stands between a driver model under test and the machine: it
 * passes every access through, counts them, and throws {@linkcode HangError} when the driver uses
 * up its budget — virtual time past a deadline, or more host accesses than a case can need. That
 * is how a fuzz case bounds a driver that never returns (spinning on `poll()`, sleeping forever,
 * re-reading a register): the hang surfaces as an exception inside the driver's own call stack,
 * and the property reports it. (A loop that touches no HostPort at all cannot be bounded
 * in-process.)
 *
 * Optionally it distorts the driver's MMIO writes ({@linkcode MmioDistortion}): seeded driver bugs
 * such as "CQ head doorbell never written" or "SQ tail one too far" are expressed here, without
 * touching the driver's source, so the properties can be shown to catch them.
 *
 * @example A driver that sleeps past the deadline hangs
 * ```ts
 * import { Machine } from "../platform/machine.ts";
 * import { NvmeController } from "../controller/controller.ts";
 * import { GuardedHostPort } from "./guarded_host.ts";
 * import { HangError } from "./property.ts";
 * const host = new GuardedHostPort(new Machine().attach(new NvmeController()), {
 *   deadlineNs: 1e9,
 * });
 * try {
 *   host.sleep(2e9);
 *   throw new Error("not reached");
 * } catch (e) {
 *   if (!(e instanceof HangError)) throw e;
 * }
 * ```
 *
 * @module
 */

import { ForwardingHostPort } from "../platform/forwarding_ports.ts";
import type { DmaAccess } from "../platform/iommu.ts";
import type { HostPort, InterruptMode } from "../platform/ports.ts";
import { HangError } from "./property.ts";

/** Rewrites or drops a driver's 32-bit MMIO write: return the value to write, or null to drop. */
export type MmioDistortion = (offset: number, value: number) => number | null;

/** Budgets and distortions of a {@linkcode GuardedHostPort}. */
export interface GuardOptions {
  /** Absolute virtual time (ns) the driver may not pass (default: 1 hour from now). */
  readonly deadlineNs?: number;
  /** Host accesses allowed in all (default 50 million). */
  readonly maxAccesses?: number;
  /** Distorts 32-bit MMIO writes (seeded driver bugs); default none. */
  readonly mmioWrite?: MmioDistortion;
}

/** Virtual time a case may use by default: one hour. */
const DEFAULT_BUDGET_NS = 3600e9;
/** Host accesses a case may make by default. */
const DEFAULT_MAX_ACCESSES = 50_000_000;

/** The guarded port: every method counts as an access (the observation getters do not). */
export class GuardedHostPort extends ForwardingHostPort {
  /** Absolute virtual-time deadline (ns); raise it for a longer phase with {@linkcode extend}. */
  deadlineNs: number;
  /** Host accesses so far. */
  accesses = 0;
  readonly #maxAccesses: number;
  readonly #distort: MmioDistortion | null;

  /** Wraps `inner`. */
  constructor(inner: HostPort, options: GuardOptions = {}) {
    super(inner);
    this.deadlineNs = options.deadlineNs ?? inner.now() + DEFAULT_BUDGET_NS;
    this.#maxAccesses = options.maxAccesses ?? DEFAULT_MAX_ACCESSES;
    this.#distort = options.mmioWrite ?? null;
  }

  /** Moves the deadline to `ns` of virtual time from now. */
  extend(ns: number): void {
    this.deadlineNs = this.inner.now() + ns;
  }

  /** Counts one access; throws HangError past the access budget or the deadline. */
  #tick(what: string): void {
    if (++this.accesses > this.#maxAccesses) {
      throw new HangError(
        `driver made more than ${this.#maxAccesses} host accesses by ` +
          `${(this.inner.now() / 1e9).toFixed(3)} s of virtual time (last: ${what}): it is ` +
          `stuck, or polls too finely to simulate — shorten its timeouts with --driver-options`,
      );
    }
  }

  #checkTime(what: string): void {
    const now = this.inner.now();
    if (now > this.deadlineNs) {
      throw new HangError(
        `driver still waiting after ${(now / 1e9).toFixed(3)} s of virtual time ` +
          `(deadline ${(this.deadlineNs / 1e9).toFixed(3)} s, in ${what})`,
      );
    }
  }

  /** 32-bit MMIO read. */
  override read32(offset: number): number {
    this.#tick("read32");
    return this.inner.read32(offset);
  }
  /** 32-bit MMIO write, distorted when a distortion is set. */
  override write32(offset: number, value: number): void {
    this.#tick("write32");
    if (this.#distort) {
      const v = this.#distort(offset, value);
      if (v === null) return;
      this.inner.write32(offset, v);
      return;
    }
    this.inner.write32(offset, value);
  }
  /** 64-bit MMIO read. */
  override read64(offset: number): bigint {
    this.#tick("read64");
    return this.inner.read64(offset);
  }
  /** 64-bit MMIO write. */
  override write64(offset: number, value: bigint | number): void {
    this.#tick("write64");
    this.inner.write64(offset, value);
  }
  /** MMIO read of any width. */
  override mmioRead(offset: number, size: 1 | 2 | 4): number {
    this.#tick("mmioRead");
    return this.inner.mmioRead(offset, size);
  }
  /** MMIO write of any width. */
  override mmioWrite(offset: number, size: 1 | 2 | 4, value: number): void {
    this.#tick("mmioWrite");
    this.inner.mmioWrite(offset, size, value);
  }
  /** Configuration read. */
  override configRead(offset: number, size: 1 | 2 | 4): number {
    this.#tick("configRead");
    return this.inner.configRead(offset, size);
  }
  /** Configuration write. */
  override configWrite(offset: number, size: 1 | 2 | 4, value: number): void {
    this.#tick("configWrite");
    this.inner.configWrite(offset, size, value);
  }
  /** Allocates a DMA-able buffer. */
  override allocate(size: number, align?: number): number {
    this.#tick("allocate");
    return this.inner.allocate(size, align);
  }
  /** Frees a buffer. */
  override free(addr: number): void {
    this.#tick("free");
    this.inner.free(addr);
  }
  /** Maps a range for DMA. */
  override dmaMap(addr: number, length: number, access?: DmaAccess): void {
    this.#tick("dmaMap");
    this.inner.dmaMap(addr, length, access);
  }
  /** Unmaps a range. */
  override dmaUnmap(addr: number, length: number): void {
    this.#tick("dmaUnmap");
    this.inner.dmaUnmap(addr, length);
  }
  /** CPU read of host memory. */
  override memRead(addr: number, dst: Uint8Array, dstOffset?: number, length?: number): void {
    this.#tick("memRead");
    this.inner.memRead(addr, dst, dstOffset, length);
  }
  /** CPU write of host memory. */
  override memWrite(addr: number, src: Uint8Array, srcOffset?: number, length?: number): void {
    this.#tick("memWrite");
    this.inner.memWrite(addr, src, srcOffset, length);
  }
  /** CPU fill of host memory. */
  override memFill(addr: number, length: number, value: number): void {
    this.#tick("memFill");
    this.inner.memFill(addr, length, value);
  }
  /** CPU read of a u32. */
  override memReadU32(addr: number): number {
    this.#tick("memReadU32");
    return this.inner.memReadU32(addr);
  }
  /** CPU write of a u32. */
  override memWriteU32(addr: number, value: number): void {
    this.#tick("memWriteU32");
    this.inner.memWriteU32(addr, value);
  }
  /** CPU read of a u64. */
  override memReadU64(addr: number): number {
    this.#tick("memReadU64");
    return this.inner.memReadU64(addr);
  }
  /** CPU write of a u64. */
  override memWriteU64(addr: number, value: number): void {
    this.#tick("memWriteU64");
    this.inner.memWriteU64(addr, value);
  }
  /** Programs interrupts. */
  override setupInterrupts(mode: InterruptMode): number {
    this.#tick("setupInterrupts");
    return this.inner.setupInterrupts(mode);
  }
  /** Waits for an interrupt, never past the deadline. */
  override waitForInterrupt(vectors: readonly number[] | null, timeoutNs: number): number {
    this.#tick("waitForInterrupt");
    this.#checkTime("waitForInterrupt");
    const left = this.deadlineNs - this.inner.now();
    const v = this.inner.waitForInterrupt(vectors, Math.min(timeoutNs, left + 1));
    this.#checkTime("waitForInterrupt");
    return v;
  }
  /** Consumes a latched interrupt. */
  override takeInterrupt(vector: number): boolean {
    this.#tick("takeInterrupt");
    return this.inner.takeInterrupt(vector);
  }
  /** Current virtual time. */
  override now(): number {
    this.#tick("now");
    return this.inner.now();
  }
  /** Sleeps, never past the deadline. */
  override sleep(ns: number): void {
    this.#tick("sleep");
    this.#checkTime("sleep");
    const left = this.deadlineNs - this.inner.now();
    this.inner.sleep(Math.min(ns, left + 1));
    this.#checkTime("sleep");
  }
  /** One polling step. */
  override poll(): void {
    this.#tick("poll");
    this.inner.poll();
    this.#checkTime("poll");
  }
}
