/**
 * The in-process {@linkcode HostPort}: a driver's view of one attached function.
 *
 * Every MMIO, configuration and host-memory access is first a preemption point (a seeded policy
 * may run device work before it; off by default). Device work otherwise runs only while the host
 * waits: `sleep`, `poll` and `waitForInterrupt` advance virtual time and run due events, stopping
 * as soon as a waited-for interrupt fires.
 *
 * @module
 */

import { InvalidArgumentError, WaitForeverError } from "./errors.ts";
import { type FindingsRegistry, PLATFORM_RULES } from "./findings.ts";
import { MSI_ADDRESS_BASE, MsixEntry } from "./msix.ts";
import {
  CONFIG_SPACE_BYTES,
  findCapability,
  MsixCapability,
  PciCapabilityId,
  PciCommand,
  PciConfigOffset,
} from "./pci_config.ts";
import type { PciFunctionSlot } from "./pci_function.ts";
import type { Counters } from "./counters.ts";
import type { DmaAccess } from "./iommu.ts";
import { type HostPort, type InterruptMode, WAIT_TIMEOUT } from "./ports.ts";
import type { PreemptionPoints } from "./preemption.ts";
import type { TraceEmitterLike } from "./trace.ts";
import type { HostTraceBody } from "./trace_events.ts";
import { MSIX_ENTRY_BYTES } from "./identity.ts";

const TWO_32 = 2 ** 32;

/** The host side of one attached function. Created by {@linkcode Machine.attach}. */
export class InProcessHostPort implements HostPort {
  /** "in-process". */
  readonly platform = "in-process";
  /** Simulation counters. */
  readonly counters: Counters;
  /** Host-side trace emitter. */
  readonly trace: TraceEmitterLike<HostTraceBody>;
  /** Findings registry. */
  readonly findings: FindingsRegistry;
  readonly #slot: PciFunctionSlot;
  readonly #pp: PreemptionPoints;

  /** Binds the port to its slot. */
  constructor(slot: PciFunctionSlot) {
    this.#slot = slot;
    this.#pp = slot.sim.preemption;
    this.counters = slot.sim.counters;
    this.trace = slot.hostTrace;
    this.findings = slot.sim.findings;
  }

  /** PCI function index this port drives. */
  get functionIndex(): number {
    return this.#slot.index;
  }

  // ---------------------------------------------------------------- BAR0

  /** 32-bit MMIO read. */
  read32(offset: number): number {
    this.#pp.point("mmio_read");
    return this.#slot.bar.read(offset, 4);
  }

  /** 32-bit MMIO write. */
  write32(offset: number, value: number): void {
    this.#pp.point("mmio_write");
    this.#slot.bar.write(offset, 4, value);
  }

  /** 64-bit MMIO read. */
  read64(offset: number): bigint {
    this.#pp.point("mmio_read");
    return this.#slot.bar.read64(offset);
  }

  /** 64-bit MMIO write. */
  write64(offset: number, value: bigint | number): void {
    this.#pp.point("mmio_write");
    if (typeof value === "bigint") {
      this.#slot.bar.write64(
        offset,
        Number(value & 0xffffffffn),
        Number((value >> 32n) & 0xffffffffn),
      );
    } else {
      this.#slot.bar.write64(offset, value >>> 0, Math.floor(value / TWO_32) >>> 0);
    }
  }

  /** MMIO read of any width (1 and 2 are refused with `mmio.width`). */
  mmioRead(offset: number, size: 1 | 2 | 4): number {
    this.#pp.point("mmio_read");
    return this.#slot.bar.read(offset, size);
  }

  /** MMIO write of any width (1 and 2 are refused with `mmio.width`). */
  mmioWrite(offset: number, size: 1 | 2 | 4, value: number): void {
    this.#pp.point("mmio_write");
    this.#slot.bar.write(offset, size, value);
  }

  // ---------------------------------------------------------------- config

  /** Configuration read. Misaligned or out-of-range reads return all-ones and record a finding. */
  configRead(offset: number, size: 1 | 2 | 4): number {
    this.#pp.point("config_read");
    const slot = this.#slot;
    slot.sim.counters.configReads++;
    if (!this.#configOk(offset, size, false)) {
      return size === 4 ? 0xffffffff : (1 << (8 * size)) - 1;
    }
    const value = slot.config.read(offset, size);
    const t = slot.platformTrace;
    if (t.enabled) t.emit({ type: "config_read", offset, size, value });
    return value;
  }

  /** Configuration write. Misaligned or out-of-range writes are dropped with a finding. */
  configWrite(offset: number, size: 1 | 2 | 4, value: number): void {
    this.#pp.point("config_write");
    const slot = this.#slot;
    slot.sim.counters.configWrites++;
    if (!this.#configOk(offset, size, true)) return;
    const t = slot.platformTrace;
    if (t.enabled) t.emit({ type: "config_write", offset, size, value: value >>> 0 });
    slot.config.write(offset, size, value);
  }

  // ---------------------------------------------------------------- memory

  /** Allocates a DMA-able buffer, mapped read/write in the IOMMU. */
  allocate(size: number, align?: number): number {
    const sim = this.#slot.sim;
    const addr = sim.allocator.allocate(size, align);
    sim.iommu.map(addr, size);
    return addr;
  }

  /** Frees and unmaps a buffer. */
  free(addr: number): void {
    const sim = this.#slot.sim;
    const size = sim.allocator.free(addr);
    sim.iommu.unmap(addr, size);
  }

  /** Maps an extra range for device DMA. */
  dmaMap(addr: number, length: number, access?: DmaAccess): void {
    this.#slot.sim.iommu.map(addr, length, access);
  }

  /** Unmaps a range. */
  dmaUnmap(addr: number, length: number): void {
    this.#slot.sim.iommu.unmap(addr, length);
  }

  /** CPU read into `dst[dstOffset…]`. */
  memRead(addr: number, dst: Uint8Array, dstOffset?: number, length?: number): void {
    this.#pp.point("mem_read");
    this.counters.hostMemReads++;
    this.#slot.sim.memory.read(addr, dst, dstOffset, length);
  }

  /** CPU write from `src[srcOffset…]`. */
  memWrite(addr: number, src: Uint8Array, srcOffset?: number, length?: number): void {
    this.#pp.point("mem_write");
    this.counters.hostMemWrites++;
    this.#slot.sim.memory.write(addr, src, srcOffset, length);
  }

  /**
   * CPU write of `count` 32-bit little-endian words from `src[index…]` (an SQE as 16 words): the
   * in-process fast path; one access for preemption and counting, like `memWrite`.
   */
  memWriteWords(addr: number, src: Uint32Array, index: number, count: number): void {
    this.#pp.point("mem_write");
    this.counters.hostMemWrites++;
    this.#slot.sim.memory.writeWords(addr, src, index, count);
  }

  /** CPU read of `count` 32-bit words into `dst[index…]` (see `memWriteWords`). */
  memReadWords(addr: number, dst: Uint32Array, index: number, count: number): void {
    this.#pp.point("mem_read");
    this.counters.hostMemReads++;
    this.#slot.sim.memory.readWords(addr, dst, index, count);
  }

  /** CPU fill. */
  memFill(addr: number, length: number, value: number): void {
    this.#pp.point("mem_write");
    this.counters.hostMemWrites++;
    this.#slot.sim.memory.fill(addr, length, value);
  }

  /** CPU u32 read. */
  memReadU32(addr: number): number {
    this.#pp.point("mem_read");
    this.counters.hostMemReads++;
    return this.#slot.sim.memory.readU32(addr);
  }

  /** CPU u32 write. */
  memWriteU32(addr: number, value: number): void {
    this.#pp.point("mem_write");
    this.counters.hostMemWrites++;
    this.#slot.sim.memory.writeU32(addr, value);
  }

  /** CPU u64 read (number). */
  memReadU64(addr: number): number {
    this.#pp.point("mem_read");
    this.counters.hostMemReads++;
    return this.#slot.sim.memory.readU64(addr);
  }

  /** CPU u64 write (number below 2^53). */
  memWriteU64(addr: number, value: number): void {
    this.#pp.point("mem_write");
    this.counters.hostMemWrites++;
    this.#slot.sim.memory.writeU64(addr, value);
  }

  // ---------------------------------------------------------------- interrupts

  /** Programs MSI-X, INTx or neither through config space and the MSI-X table, like a driver. */
  setupInterrupts(mode: InterruptMode): number {
    const read = (o: number, s: 1 | 2 | 4) => this.configRead(o, s);
    const cap = findCapability(read, PciCapabilityId.MSIX);
    const ctrlAt = cap + MsixCapability.CONTROL;
    const command = this.configRead(PciConfigOffset.COMMAND, 2);
    const ctrl = cap === 0 ? 0 : this.configRead(ctrlAt, 2);
    const offMsix = ctrl & ~(MsixCapability.CONTROL_ENABLE | MsixCapability.CONTROL_FUNCTION_MASK);
    if (mode === "msix") {
      if (cap === 0) return 0;
      const vectors = (ctrl & MsixCapability.CONTROL_TABLE_SIZE) + 1;
      const table = this.configRead(cap + MsixCapability.TABLE, 4) & ~MsixCapability.BIR_MASK;
      // Mask the function while programming, as Linux does.
      this.configWrite(
        ctrlAt,
        2,
        offMsix | MsixCapability.CONTROL_ENABLE | MsixCapability.CONTROL_FUNCTION_MASK,
      );
      for (let v = 0; v < vectors; v++) {
        const e = table + v * MSIX_ENTRY_BYTES;
        this.write32(e + MsixEntry.ADDRESS_LO, MSI_ADDRESS_BASE);
        this.write32(e + MsixEntry.ADDRESS_HI, 0);
        this.write32(e + MsixEntry.DATA, v);
        this.write32(e + MsixEntry.VECTOR_CONTROL, 0);
      }
      this.configWrite(PciConfigOffset.COMMAND, 2, command | PciCommand.INTX_DISABLE);
      this.configWrite(ctrlAt, 2, offMsix | MsixCapability.CONTROL_ENABLE);
      return vectors;
    }
    if (cap !== 0) this.configWrite(ctrlAt, 2, offMsix);
    if (mode === "intx") {
      this.configWrite(PciConfigOffset.COMMAND, 2, command & ~PciCommand.INTX_DISABLE);
      return 1;
    }
    this.configWrite(PciConfigOffset.COMMAND, 2, command | PciCommand.INTX_DISABLE);
    return 0;
  }

  /** Waits for one of `vectors` (null = any), running device work, until `timeoutNs` passes. */
  waitForInterrupt(vectors: readonly number[] | null, timeoutNs: number): number {
    const slot = this.#slot;
    const sched = slot.sim.scheduler;
    const c = slot.sim.counters;
    if (!(timeoutNs >= 0)) {
      throw new InvalidArgumentError(
        `waitForInterrupt: timeout ${timeoutNs} ns must be >= 0 (Infinity waits for work)`,
      );
    }
    c.waits++;
    const deadline = sched.now + timeoutNs;
    for (;;) {
      const v = slot.takeFirst(vectors);
      if (v >= 0) {
        c.wakeups++;
        const t = slot.hostTrace;
        if (t.enabled) t.emit({ type: "wakeup", vector: v });
        return v;
      }
      if (sched.isIdle && deadline === Infinity) {
        throw new WaitForeverError(
          "waitForInterrupt: no timeout and no device work is scheduled, so no interrupt can " +
            "ever arrive; pass a finite timeoutNs or check that the device was told to work",
        );
      }
      if (sched.nextTime > deadline) {
        sched.runUntil(deadline);
        c.waitTimeouts++;
        return WAIT_TIMEOUT;
      }
      sched.runNext();
    }
  }

  /** Consumes a latched interrupt without waiting. */
  takeInterrupt(vector: number): boolean {
    return this.#slot.take(vector);
  }

  // ---------------------------------------------------------------- clock

  /** Current virtual time. */
  now(): number {
    return this.#slot.sim.scheduler.now;
  }

  /** Lets `ns` of virtual time pass, running device work due meanwhile. */
  sleep(ns: number): void {
    if (!(ns >= 0 && ns !== Infinity)) {
      throw new InvalidArgumentError(`sleep: ${ns} ns must be a finite number >= 0`);
    }
    const sim = this.#slot.sim;
    sim.counters.sleeps++;
    sim.scheduler.runUntil(sim.scheduler.now + ns);
  }

  /** One poll quantum passes; due device work runs. */
  poll(): void {
    const sim = this.#slot.sim;
    sim.counters.polls++;
    sim.scheduler.runUntil(sim.scheduler.now + sim.pollQuantumNs);
  }

  #configOk(offset: number, size: number, write: boolean): boolean {
    const inRange = Number.isInteger(offset) && offset >= 0 && offset + size <= CONFIG_SPACE_BYTES;
    if (inRange && offset % size === 0) return true;
    const slot = this.#slot;
    const what = `${size}-byte config ${write ? "write" : "read"} at 0x${
      Number(offset).toString(16)
    }`;
    if (!inRange) {
      slot.sim.findings.report(PLATFORM_RULES.configRange, `${what}: outside 0..0xfff`, slot.index);
    } else {
      slot.sim.findings.report(
        PLATFORM_RULES.configAlign,
        `${what}: not naturally aligned`,
        slot.index,
      );
    }
    return false;
  }
}
