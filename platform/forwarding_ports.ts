/**
 * Pass-through bases for port wrappers: {@linkcode ForwardingHostPort} and
 * {@linkcode ForwardingDevicePort} implement {@linkcode HostPort} and {@linkcode DevicePort} by
 * delegating every member to a protected `inner` port, so a wrapper that charges, counts, guards
 * or tampers with a few accesses overrides only those (with `override`) and inherits the rest.
 *
 * They are plain classes with plain methods — no Proxy, no per-call allocation — because they
 * sit on the round-trip path of the benchmarks and fuzzers.
 *
 * {@linkcode ForwardingDevicePort} deliberately does **not** expose the optional word fast paths
 * (`dmaReadWords`, `dmaWriteWords`): the controller then moves SQEs and CQEs through `dmaRead`
 * and `dmaWrite` (see their docs in {@linkcode DevicePort}), where a subclass intercepting DMA
 * sees every fetch and every completion. A subclass that wants the fast path declares the
 * method itself, forwarding to `this.inner`.
 *
 * @example A host port that counts MMIO writes and passes everything else through
 * ```ts
 * import { Machine } from "./machine.ts";
 * import { ForwardingHostPort } from "./forwarding_ports.ts";
 * import { nvmeIdentity } from "./identity.ts";
 * import type { NvmeFunction } from "./ports.ts";
 *
 * class CountingHostPort extends ForwardingHostPort {
 *   writes = 0;
 *   override write32(offset: number, value: number): void {
 *     this.writes++;
 *     this.inner.write32(offset, value);
 *   }
 * }
 * const fn: NvmeFunction = {
 *   identity: nvmeIdentity(),
 *   attach() {},
 *   mmioRead: () => 0,
 *   mmioWrite() {},
 *   reset() {},
 * };
 * const machine = new Machine();
 * const host = new CountingHostPort(machine.attach(fn));
 * host.configWrite(0x04, 2, 0x0006); // memory space + bus master: not counted
 * host.write32(0x14, 0);
 * if (host.writes !== 1 || host.counters !== machine.counters) throw new Error();
 * ```
 *
 * @module
 */

import type { Counters } from "./counters.ts";
import type { FindingsRegistry } from "./findings.ts";
import type { DmaAccess } from "./iommu.ts";
import type { DevicePort, HostPort, InterruptMode } from "./ports.ts";
import type { EventCallback, EventHandle } from "./scheduler.ts";
import type { TraceEmitterLike } from "./trace.ts";
import type { DeviceTraceBody, HostTraceBody } from "./trace_events.ts";

/** A {@linkcode HostPort} that forwards every member to `inner`; extend it and override what
 * the wrapper intercepts (see the module docs). */
export class ForwardingHostPort implements HostPort {
  /** The wrapped port every member forwards to. */
  protected readonly inner: HostPort;

  /** Wraps `inner`. */
  constructor(inner: HostPort) {
    this.inner = inner;
  }

  /** The wrapped port's platform name. */
  get platform(): string {
    return this.inner.platform;
  }
  /** Counters of the simulation. */
  get counters(): Counters {
    return this.inner.counters;
  }
  /** Host-side trace emitter. */
  get trace(): TraceEmitterLike<HostTraceBody> {
    return this.inner.trace;
  }
  /** Findings registry. */
  get findings(): FindingsRegistry {
    return this.inner.findings;
  }

  /** 32-bit MMIO read. */
  read32(offset: number): number {
    return this.inner.read32(offset);
  }
  /** 32-bit MMIO write. */
  write32(offset: number, value: number): void {
    this.inner.write32(offset, value);
  }
  /** 64-bit MMIO read. */
  read64(offset: number): bigint {
    return this.inner.read64(offset);
  }
  /** 64-bit MMIO write. */
  write64(offset: number, value: bigint | number): void {
    this.inner.write64(offset, value);
  }
  /** MMIO read of any width. */
  mmioRead(offset: number, size: 1 | 2 | 4): number {
    return this.inner.mmioRead(offset, size);
  }
  /** MMIO write of any width. */
  mmioWrite(offset: number, size: 1 | 2 | 4, value: number): void {
    this.inner.mmioWrite(offset, size, value);
  }

  /** Configuration read. */
  configRead(offset: number, size: 1 | 2 | 4): number {
    return this.inner.configRead(offset, size);
  }
  /** Configuration write. */
  configWrite(offset: number, size: 1 | 2 | 4, value: number): void {
    this.inner.configWrite(offset, size, value);
  }

  /** Allocates a DMA-able buffer. */
  allocate(size: number, align?: number): number {
    return this.inner.allocate(size, align);
  }
  /** Frees a buffer. */
  free(addr: number): void {
    this.inner.free(addr);
  }
  /** Maps a range for device DMA. */
  dmaMap(addr: number, length: number, access?: DmaAccess): void {
    this.inner.dmaMap(addr, length, access);
  }
  /** Unmaps a range. */
  dmaUnmap(addr: number, length: number): void {
    this.inner.dmaUnmap(addr, length);
  }
  /** CPU read of host memory. */
  memRead(addr: number, dst: Uint8Array, dstOffset?: number, length?: number): void {
    this.inner.memRead(addr, dst, dstOffset, length);
  }
  /** CPU write of host memory. */
  memWrite(addr: number, src: Uint8Array, srcOffset?: number, length?: number): void {
    this.inner.memWrite(addr, src, srcOffset, length);
  }
  /** CPU fill of host memory. */
  memFill(addr: number, length: number, value: number): void {
    this.inner.memFill(addr, length, value);
  }
  /** CPU read of a u32. */
  memReadU32(addr: number): number {
    return this.inner.memReadU32(addr);
  }
  /** CPU write of a u32. */
  memWriteU32(addr: number, value: number): void {
    this.inner.memWriteU32(addr, value);
  }
  /** CPU read of a u64. */
  memReadU64(addr: number): number {
    return this.inner.memReadU64(addr);
  }
  /** CPU write of a u64. */
  memWriteU64(addr: number, value: number): void {
    this.inner.memWriteU64(addr, value);
  }

  /** Programs interrupts. */
  setupInterrupts(mode: InterruptMode): number {
    return this.inner.setupInterrupts(mode);
  }
  /** Waits for an interrupt. */
  waitForInterrupt(vectors: readonly number[] | null, timeoutNs: number): number {
    return this.inner.waitForInterrupt(vectors, timeoutNs);
  }
  /** Consumes a latched interrupt. */
  takeInterrupt(vector: number): boolean {
    return this.inner.takeInterrupt(vector);
  }

  /** Current time. */
  now(): number {
    return this.inner.now();
  }
  /** Lets `ns` pass. */
  sleep(ns: number): void {
    this.inner.sleep(ns);
  }
  /** One polling step. */
  poll(): void {
    this.inner.poll();
  }
}

/** A {@linkcode DevicePort} that forwards every member to `inner` except the optional word fast
 * paths, which it leaves out (see the module docs); extend it and override what the wrapper
 * intercepts. */
export class ForwardingDevicePort implements DevicePort {
  /** The wrapped port every member forwards to. */
  protected readonly inner: DevicePort;

  /** Wraps `inner`. */
  constructor(inner: DevicePort) {
    this.inner = inner;
  }

  /** PCI function index of the device. */
  get functionIndex(): number {
    return this.inner.functionIndex;
  }
  /** True when the host enabled MSI-X. */
  get msixEnabled(): boolean {
    return this.inner.msixEnabled;
  }
  /** True when the host set Bus Master Enable. */
  get busMasterEnabled(): boolean {
    return this.inner.busMasterEnabled;
  }
  /** Counters of the simulation. */
  get counters(): Counters {
    return this.inner.counters;
  }
  /** Device-side trace emitter. */
  get trace(): TraceEmitterLike<DeviceTraceBody> {
    return this.inner.trace;
  }
  /** Findings registry. */
  get findings(): FindingsRegistry {
    return this.inner.findings;
  }

  /** Current virtual time. */
  now(): number {
    return this.inner.now();
  }
  /** Schedules device work `delayNs` from now. */
  schedule<T>(delayNs: number, fn: EventCallback<T>, arg?: T): EventHandle {
    return this.inner.schedule(delayNs, fn, arg);
  }
  /** Cancels scheduled work. */
  cancel(handle: EventHandle): boolean {
    return this.inner.cancel(handle);
  }

  /** DMA read of host memory. */
  dmaRead(addr: number, dst: Uint8Array, dstOffset?: number, length?: number): boolean {
    return this.inner.dmaRead(addr, dst, dstOffset, length);
  }
  /** DMA write to host memory. */
  dmaWrite(addr: number, src: Uint8Array, srcOffset?: number, length?: number): boolean {
    return this.inner.dmaWrite(addr, src, srcOffset, length);
  }
  /** DMA read of a u32. */
  dmaReadU32(addr: number): number {
    return this.inner.dmaReadU32(addr);
  }
  /** DMA read of a u64. */
  dmaReadU64(addr: number): number {
    return this.inner.dmaReadU64(addr);
  }
  /** DMA write of a u32. */
  dmaWriteU32(addr: number, value: number): boolean {
    return this.inner.dmaWriteU32(addr, value);
  }
  /** DMA write of a u64. */
  dmaWriteU64(addr: number, value: number): boolean {
    return this.inner.dmaWriteU64(addr, value);
  }

  /** Signals MSI-X `vector`. */
  msixNotify(vector: number): void {
    this.inner.msixNotify(vector);
  }
  /** Drives the INTx pin level. */
  setIntx(level: boolean): void {
    this.inner.setIntx(level);
  }
}
