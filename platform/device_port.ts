/**
 * The in-process {@linkcode DevicePort}: what a controller model attached to the machine uses.
 *
 * DMA checks, in order: Bus Master Enable (`dma.bus_master`), the physical address space
 * (`dma.range`), then the IOMMU map when enabled (`dma.unmapped`, `dma.permission`). A refused DMA
 * records a platform finding, counts a fault, returns false (reads fill the destination with
 * zeros) and never touches host memory. Accepted DMA counts bytes. Scheduled work is tagged with
 * the function index so a reset cancels it.
 *
 * @module
 */

import { DMA_FORBIDDEN, DMA_OK, DMA_UNMAPPED } from "./iommu.ts";
import { type FindingRule, PLATFORM_RULES } from "./findings.ts";
import { MSIX_BAD_VECTOR, MSIX_NOT_ENABLED } from "./msix.ts";
import type { PciFunctionSlot } from "./pci_function.ts";
import type { DevicePort } from "./ports.ts";
import type { Counters } from "./counters.ts";
import type { FindingsRegistry } from "./findings.ts";
import type { EventCallback, EventHandle } from "./scheduler.ts";
import type { TraceEmitterLike } from "./trace.ts";
import type { DeviceTraceBody, DmaFaultReason } from "./trace_events.ts";

const U32_BYTES = 4;
const ADVICE: Record<DmaFaultReason, string> = {
  unmapped: "the range is not mapped: a data pointer or queue address points outside the " +
    "buffers the host allocated or mapped",
  forbidden: "the host mapped this range for the other direction only",
  range: "the address is beyond the simulated physical address space",
  bus_master: "Bus Master Enable is clear: the host must set Command bit 2 before the device DMAs",
};
const U64_BYTES = 8;

/** The device side of one attached function. Created by the machine. */
export class InProcessDevicePort implements DevicePort {
  /** PCI function index. */
  readonly functionIndex: number;
  /** Simulation counters. */
  readonly counters: Counters;
  /** Device-side trace emitter. */
  readonly trace: TraceEmitterLike<DeviceTraceBody>;
  /** Findings registry. */
  readonly findings: FindingsRegistry;
  readonly #slot: PciFunctionSlot;

  /** Binds the port to its slot. */
  constructor(slot: PciFunctionSlot) {
    this.#slot = slot;
    this.functionIndex = slot.index;
    this.counters = slot.sim.counters;
    this.trace = slot.deviceTrace;
    this.findings = slot.sim.findings;
  }

  /** Current virtual time. */
  now(): number {
    return this.#slot.sim.scheduler.now;
  }

  /** Schedules device work `delayNs` from now, owned by this function. */
  schedule<T>(delayNs: number, fn: EventCallback<T>, arg?: T): EventHandle {
    return this.#slot.sim.scheduler.schedule(delayNs, fn, arg, this.#slot.index);
  }

  /** Cancels scheduled work. */
  cancel(handle: EventHandle): boolean {
    return this.#slot.sim.scheduler.cancel(handle);
  }

  /** True when MSI-X is enabled. */
  get msixEnabled(): boolean {
    return this.#slot.msix.enabled;
  }

  /** True when Bus Master Enable is set. */
  get busMasterEnabled(): boolean {
    return this.#slot.config.busMaster;
  }

  /** DMA read into `dst[dstOffset…]`. */
  dmaRead(
    addr: number,
    dst: Uint8Array,
    dstOffset = 0,
    length: number = dst.length - dstOffset,
  ): boolean {
    if (!this.#allowed(addr, length, false)) {
      dst.fill(0, dstOffset, dstOffset + length);
      return false;
    }
    this.#slot.sim.memory.read(addr, dst, dstOffset, length);
    return true;
  }

  /** DMA write from `src[srcOffset…]`. */
  dmaWrite(
    addr: number,
    src: Uint8Array,
    srcOffset = 0,
    length: number = src.length - srcOffset,
  ): boolean {
    if (!this.#allowed(addr, length, true)) return false;
    this.#slot.sim.memory.write(addr, src, srcOffset, length);
    return true;
  }

  /** DMA read of `count` 32-bit words into `dst[index…]` (zeros when refused). */
  dmaReadWords(addr: number, dst: Uint32Array, index: number, count: number): boolean {
    if (!this.#allowed(addr, count * U32_BYTES, false)) {
      dst.fill(0, index, index + count);
      return false;
    }
    this.#slot.sim.memory.readWords(addr, dst, index, count);
    return true;
  }

  /** DMA write of `count` 32-bit words from `src[index…]`. */
  dmaWriteWords(addr: number, src: Uint32Array, index: number, count: number): boolean {
    if (!this.#allowed(addr, count * U32_BYTES, true)) return false;
    this.#slot.sim.memory.writeWords(addr, src, index, count);
    return true;
  }

  /** DMA read of a u32 (0 when refused). */
  dmaReadU32(addr: number): number {
    return this.#allowed(addr, U32_BYTES, false) ? this.#slot.sim.memory.readU32(addr) : 0;
  }

  /** DMA read of a u64 as a number (0 when refused). */
  dmaReadU64(addr: number): number {
    return this.#allowed(addr, U64_BYTES, false) ? this.#slot.sim.memory.readU64(addr) : 0;
  }

  /** DMA write of a u32. */
  dmaWriteU32(addr: number, value: number): boolean {
    if (!this.#allowed(addr, U32_BYTES, true)) return false;
    this.#slot.sim.memory.writeU32(addr, value);
    return true;
  }

  /** DMA write of a u64 from a number below 2^53. */
  dmaWriteU64(addr: number, value: number): boolean {
    if (!this.#allowed(addr, U64_BYTES, true)) return false;
    this.#slot.sim.memory.writeU64(addr, value);
    return true;
  }

  /** Signals an MSI-X vector. */
  msixNotify(vector: number): void {
    const slot = this.#slot;
    slot.sim.counters.interruptsRaised++;
    const r = slot.msix.notify(vector);
    if (r === MSIX_NOT_ENABLED) {
      slot.sim.findings.report(
        PLATFORM_RULES.msixDisabled,
        `MSI-X vector ${vector} signalled while MSI-X is disabled; check msixEnabled or use INTx`,
        slot.index,
      );
    } else if (r === MSIX_BAD_VECTOR) {
      slot.sim.findings.report(
        PLATFORM_RULES.msixVector,
        `MSI-X vector ${vector} signalled; the table has ${slot.msix.vectorCount} vectors`,
        slot.index,
      );
    }
  }

  /** Drives the INTx level. */
  setIntx(level: boolean): void {
    this.#slot.setIntx(level);
  }

  #allowed(addr: number, length: number, write: boolean): boolean {
    const slot = this.#slot;
    const sim = slot.sim;
    if (!(length >= 0 && Number.isSafeInteger(length))) {
      return this.#fault(addr, length, write, "range", PLATFORM_RULES.dmaRange);
    }
    if (!slot.config.busMaster) {
      return this.#fault(addr, length, write, "bus_master", PLATFORM_RULES.dmaBusMaster);
    }
    if (!sim.memory.contains(addr, length)) {
      return this.#fault(addr, length, write, "range", PLATFORM_RULES.dmaRange);
    }
    const check = sim.iommu.check(addr, length, write);
    if (check === DMA_UNMAPPED) {
      return this.#fault(addr, length, write, "unmapped", PLATFORM_RULES.dmaUnmapped);
    }
    if (check === DMA_FORBIDDEN) {
      return this.#fault(addr, length, write, "forbidden", PLATFORM_RULES.dmaPermission);
    }
    const c = sim.counters;
    if (write) {
      c.dmaWrites++;
      c.dmaWriteBytes += length;
    } else {
      c.dmaReads++;
      c.dmaReadBytes += length;
    }
    if (slot.platformTrace.enabled) this.#traceDma(addr, length, write);
    return check === DMA_OK;
  }

  #traceDma(addr: number, length: number, write: boolean): void {
    this.#slot.platformTrace.emit({ type: write ? "dma_write" : "dma_read", addr, len: length });
  }

  #fault(
    addr: number,
    length: number,
    write: boolean,
    reason: DmaFaultReason,
    rule: FindingRule,
  ): false {
    const slot = this.#slot;
    slot.sim.counters.dmaFaults++;
    const t = slot.platformTrace;
    if (t.enabled) t.emit({ type: "dma_fault", addr, len: length, write, reason });
    slot.sim.findings.report(
      rule,
      `DMA ${write ? "write" : "read"} of ${length} bytes at 0x${
        Number(addr).toString(16)
      } refused: ${ADVICE[reason]}`,
      slot.index,
    );
    return false;
  }
}
