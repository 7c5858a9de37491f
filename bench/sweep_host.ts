/**
 * A {@linkcode HostPort} that charges the cost model's host-side events as virtual time: the
 * driver under test talks to it exactly as to the machine's own port, and while `charging` is on
 *
 * - every BAR0 MMIO access (doorbells included) stalls the host for `mmioExitNs` — a VM exit;
 * - every interrupt the host takes costs `interruptNs`, plus `wakeupNs` when the host was asleep
 *   waiting for it (`waitForInterrupt`), not when it found it pending (`takeInterrupt`).
 *
 * Charged time passes on the machine's scheduler, so the controller keeps working meanwhile
 * (fetching, finishing media work, posting completions, raising interrupts): a long exit lets
 * completions pile up and be reaped together, exactly the batching a slow host sees. Charging is
 * off during bring-up so only the measured workload pays.
 *
 * @example
 * ```ts
 * import { Machine } from "../platform/machine.ts";
 * import { NvmeController } from "../controller/controller.ts";
 * import { ChargingHostPort } from "./sweep_host.ts";
 * import { DEFAULT_COST_MODEL } from "./cost_model.ts";
 * const machine = new Machine();
 * const host = new ChargingHostPort(machine.attach(new NvmeController()), machine, DEFAULT_COST_MODEL);
 * host.charging = true;
 * const t = host.now();
 * host.read32(0x1c); // CSTS: one exit
 * if (host.now() - t !== DEFAULT_COST_MODEL.mmioExitNs || host.mmioAccesses !== 1) throw new Error();
 * ```
 *
 * @module
 */

import type { Counters } from "../platform/counters.ts";
import type { FindingsRegistry } from "../platform/findings.ts";
import type { Machine } from "../platform/machine.ts";
import type { DmaAccess } from "../platform/iommu.ts";
import { type HostPort, type InterruptMode, WAIT_TIMEOUT } from "../platform/ports.ts";
import type { TraceEmitterLike } from "../platform/trace.ts";
import type { HostTraceBody } from "../platform/trace_events.ts";
import type { CostModel } from "./cost_model.ts";

/** The machine's host port with the cost model's host-side charges; see the module docs. */
export class ChargingHostPort implements HostPort {
  /** Charge costs (off until the measured workload starts). */
  charging = false;
  /** MMIO accesses charged. */
  mmioAccesses = 0;
  /** Interrupts the host took while charging (each charged `interruptNs`). */
  interruptsTaken = 0;
  /** Virtual time charged in total (ns). */
  chargedNs = 0;

  readonly #inner: HostPort;
  readonly #machine: Machine;
  readonly #cost: CostModel;

  /** Wraps `inner`, the port `machine.attach()` returned, under `cost`. */
  constructor(inner: HostPort, machine: Machine, cost: CostModel) {
    this.#inner = inner;
    this.#machine = machine;
    this.#cost = cost;
  }

  /** Lets `ns` of virtual time pass as host work (device events due meanwhile run). */
  charge(ns: number): void {
    if (!this.charging || ns <= 0) return;
    const s = this.#machine.scheduler;
    this.chargedNs += ns;
    s.runUntil(s.now + ns);
  }

  #exit(): void {
    if (!this.charging) return;
    this.mmioAccesses++;
    this.charge(this.#cost.mmioExitNs);
  }

  /** Which implementation this is. */
  get platform(): string {
    return this.#inner.platform;
  }
  /** Counters of the simulation. */
  get counters(): Counters {
    return this.#inner.counters;
  }
  /** Host-side trace emitter. */
  get trace(): TraceEmitterLike<HostTraceBody> {
    return this.#inner.trace;
  }
  /** Findings registry. */
  get findings(): FindingsRegistry {
    return this.#inner.findings;
  }

  /** 32-bit MMIO read (one exit). */
  read32(offset: number): number {
    const v = this.#inner.read32(offset);
    this.#exit();
    return v;
  }
  /** 32-bit MMIO write (one exit). */
  write32(offset: number, value: number): void {
    this.#exit();
    this.#inner.write32(offset, value);
  }
  /** 64-bit MMIO read (one exit: one instruction). */
  read64(offset: number): bigint {
    const v = this.#inner.read64(offset);
    this.#exit();
    return v;
  }
  /** 64-bit MMIO write (one exit). */
  write64(offset: number, value: bigint | number): void {
    this.#exit();
    this.#inner.write64(offset, value);
  }
  /** MMIO read of any width (one exit). */
  mmioRead(offset: number, size: 1 | 2 | 4): number {
    const v = this.#inner.mmioRead(offset, size);
    this.#exit();
    return v;
  }
  /** MMIO write of any width (one exit). */
  mmioWrite(offset: number, size: 1 | 2 | 4, value: number): void {
    this.#exit();
    this.#inner.mmioWrite(offset, size, value);
  }

  /** Configuration read (not charged: bring-up only). */
  configRead(offset: number, size: 1 | 2 | 4): number {
    return this.#inner.configRead(offset, size);
  }
  /** Configuration write (not charged: bring-up only). */
  configWrite(offset: number, size: 1 | 2 | 4, value: number): void {
    this.#inner.configWrite(offset, size, value);
  }

  /** Allocates a DMA-able buffer. */
  allocate(size: number, align?: number): number {
    return this.#inner.allocate(size, align);
  }
  /** Frees a buffer. */
  free(addr: number): void {
    this.#inner.free(addr);
  }
  /** Maps an extra range for device DMA. */
  dmaMap(addr: number, length: number, access?: DmaAccess): void {
    this.#inner.dmaMap(addr, length, access);
  }
  /** Unmaps a range. */
  dmaUnmap(addr: number, length: number): void {
    this.#inner.dmaUnmap(addr, length);
  }
  /** CPU read of host memory (ordinary memory: no exit). */
  memRead(addr: number, dst: Uint8Array, dstOffset?: number, length?: number): void {
    this.#inner.memRead(addr, dst, dstOffset, length);
  }
  /** CPU write of host memory. */
  memWrite(addr: number, src: Uint8Array, srcOffset?: number, length?: number): void {
    this.#inner.memWrite(addr, src, srcOffset, length);
  }
  /** CPU fill of host memory. */
  memFill(addr: number, length: number, value: number): void {
    this.#inner.memFill(addr, length, value);
  }
  /** CPU u32 read. */
  memReadU32(addr: number): number {
    return this.#inner.memReadU32(addr);
  }
  /** CPU u32 write. */
  memWriteU32(addr: number, value: number): void {
    this.#inner.memWriteU32(addr, value);
  }
  /** CPU u64 read. */
  memReadU64(addr: number): number {
    return this.#inner.memReadU64(addr);
  }
  /** CPU u64 write. */
  memWriteU64(addr: number, value: number): void {
    this.#inner.memWriteU64(addr, value);
  }

  /** Programs interrupts. */
  setupInterrupts(mode: InterruptMode): number {
    return this.#inner.setupInterrupts(mode);
  }
  /** Waits for an interrupt; a wake-up is charged `interruptNs + wakeupNs`. */
  waitForInterrupt(vectors: readonly number[] | null, timeoutNs: number): number {
    const v = this.#inner.waitForInterrupt(vectors, timeoutNs);
    if (v !== WAIT_TIMEOUT && this.charging) {
      this.interruptsTaken++;
      this.charge(this.#cost.interruptNs + this.#cost.wakeupNs);
    }
    return v;
  }
  /** Takes a pending interrupt; taking one is charged `interruptNs`. */
  takeInterrupt(vector: number): boolean {
    const taken = this.#inner.takeInterrupt(vector);
    if (taken && this.charging) {
      this.interruptsTaken++;
      this.charge(this.#cost.interruptNs);
    }
    return taken;
  }

  /** Current virtual time. */
  now(): number {
    return this.#inner.now();
  }
  /** Lets `ns` pass. */
  sleep(ns: number): void {
    this.#inner.sleep(ns);
  }
  /** One poll iteration: the machine's poll quantum, which the sweep sets to `pollNs`. */
  poll(): void {
    this.#inner.poll();
  }
}
