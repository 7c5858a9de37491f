/**
 * One attached PCI function: its configuration space, BAR0 bus, MSI-X table, INTx line and the
 * host-side interrupt latch, wired to the shared parts of the simulation. The machine creates a
 * slot per attached {@linkcode NvmeFunction} and hands out the slot's ports.
 *
 * Interrupt delivery, as the host sees it: an MSI-X message (Bus Master Enable set, vector and
 * function unmasked) latches its vector until the host consumes it with a wait or
 * `takeInterrupt`; when the programmed address is outside the x86 MSI window the data is also
 * written to host memory at that address (QEMU's "RAM word" technique works unchanged). INTx is a
 * level the host sees while the device drives it high and Interrupt Disable is clear.
 *
 * @module
 */

import type { RangeAllocator } from "./allocator.ts";
import { Bar0Bus } from "./bar.ts";
import type { Counters } from "./counters.ts";
import { type FindingsRegistry, PLATFORM_RULES } from "./findings.ts";
import { type Bar0Layout, bar0Layout, type PciIdentity, validateIdentity } from "./identity.ts";
import { IntxLine } from "./intx.ts";
import type { Iommu } from "./iommu.ts";
import type { HostMemory } from "./memory.ts";
import { MSI_ADDRESS_BASE, MSI_ADDRESS_WINDOW_BYTES, MsixTable } from "./msix.ts";
import { PciCommand, PciConfigSpace } from "./pci_config.ts";
import { INTX_VECTOR, type NvmeFunction, type ResetKind } from "./ports.ts";
import type { PreemptionPoints } from "./preemption.ts";
import type { Scheduler } from "./scheduler.ts";
import type { Trace, TraceEmitter } from "./trace.ts";
import type { DeviceTraceBody, HostTraceBody, PlatformTraceBody } from "./trace_events.ts";

/** The shared parts of one simulation, as a function slot needs them. */
export interface SimulationContext {
  /** Virtual clock and event queue. */
  readonly scheduler: Scheduler;
  /** Host physical memory. */
  readonly memory: HostMemory;
  /** Allocator of DMA-able buffers. */
  readonly allocator: RangeAllocator;
  /** IOMMU map. */
  readonly iommu: Iommu;
  /** Counters. */
  readonly counters: Counters;
  /** Trace hub. */
  readonly trace: Trace;
  /** Findings registry. */
  readonly findings: FindingsRegistry;
  /** Preemption points of the host side. */
  readonly preemption: PreemptionPoints;
  /** Virtual time one `poll()` lets pass. */
  readonly pollQuantumNs: number;
}

/** What firmware does to a function before the OS runs. */
export interface FirmwareSetup {
  /** BAR0 address to assign. */
  readonly bar0Address: number;
  /** Set Memory Space Enable (default true, as a BIOS does for a boot device). */
  readonly memorySpace?: boolean;
  /** Set Bus Master Enable (default false: a driver enables it, like Linux's pci_set_master). */
  readonly busMaster?: boolean;
}

/** One attached function and everything per-function. */
export class PciFunctionSlot {
  /** PCI function index in the machine. */
  readonly index: number;
  /** The function model. */
  readonly fn: NvmeFunction;
  /** Its identity (validated). */
  readonly identity: PciIdentity;
  /** Its BAR0 layout. */
  readonly layout: Bar0Layout;
  /** Shared simulation parts. */
  readonly sim: SimulationContext;
  /** Configuration space. */
  readonly config: PciConfigSpace;
  /** MSI-X table and PBA. */
  readonly msix: MsixTable;
  /** INTx pin. */
  readonly intx: IntxLine;
  /** BAR0 bus. */
  readonly bar: Bar0Bus;
  /** Host-side trace emitter for this function. */
  readonly hostTrace: TraceEmitter<HostTraceBody>;
  /** Device-side trace emitter for this function. */
  readonly deviceTrace: TraceEmitter<DeviceTraceBody>;
  /** Platform trace emitter for this function. */
  readonly platformTrace: TraceEmitter<PlatformTraceBody>;
  /** Latched MSI-X vectors not yet consumed by the host (1 = fired). */
  readonly latched: Uint8Array;
  /** Number of set entries in {@linkcode latched}. */
  latchedCount = 0;
  readonly #firmware: FirmwareSetup;

  /** Builds the slot; the machine then attaches the function to a DevicePort. */
  constructor(index: number, fn: NvmeFunction, sim: SimulationContext, firmware: FirmwareSetup) {
    this.index = index;
    this.fn = fn;
    this.identity = fn.identity;
    validateIdentity(this.identity);
    this.layout = bar0Layout(this.identity);
    this.sim = sim;
    this.#firmware = firmware;
    this.hostTrace = sim.trace.emitter("host", index);
    this.deviceTrace = sim.trace.emitter("device", index);
    this.platformTrace = sim.trace.emitter("platform", index);
    this.latched = new Uint8Array(this.identity.msixVectors);
    this.msix = new MsixTable(this.identity.msixVectors, {
      deliver: (v, a, d) => this.#deliverMsix(v, a, d),
      pended: (v) => this.#pended(v),
    });
    this.intx = new IntxLine((asserted) => this.#intxChanged(asserted));
    this.config = new PciConfigSpace(this.identity, {
      commandChanged: (_old, now) => this.intx.setDisabled((now & PciCommand.INTX_DISABLE) !== 0),
      msixControlChanged: (enabled, masked) => this.msix.setControl(enabled, masked),
      functionLevelReset: () => this.reset("flr"),
    });
    this.bar = new Bar0Bus({
      fn,
      identity: this.identity,
      layout: this.layout,
      config: this.config,
      msix: this.msix,
      counters: sim.counters,
      findings: sim.findings,
      trace: this.deviceTrace,
      index,
    });
    this.#applyFirmware();
  }

  /** Resets the function: cancels its scheduled work, returns configuration space, MSI-X, INTx
   * and the host latch to their state right after attach (firmware setup re-applied), then calls
   * the function's reset hook. */
  reset(kind: ResetKind): void {
    this.sim.scheduler.cancelOwner(this.index);
    this.config.reset();
    this.msix.reset();
    this.intx.reset();
    this.latched.fill(0);
    this.latchedCount = 0;
    this.#applyFirmware();
    if (this.platformTrace.enabled) this.platformTrace.emit({ type: "reset", kind });
    this.fn.reset(kind);
  }

  /** The device drives its INTx level. */
  setIntx(level: boolean): void {
    const sim = this.sim;
    if (level && this.msix.enabled) {
      sim.findings.report(
        PLATFORM_RULES.intxWithMsix,
        "INTx asserted while MSI-X is enabled; signal MSI-X instead",
        this.index,
      );
      return;
    }
    if (level && !this.intx.level) sim.counters.interruptsRaised++;
    this.config.setInterruptStatus(level);
    this.intx.setLevel(level);
  }

  /** Consumes the latch of `vector` (MSI-X) or reports the INTx level; true when it fired. */
  take(vector: number): boolean {
    if (vector >= 0 && vector < this.latched.length) {
      if (this.latched[vector] === 0) return false;
      this.latched[vector] = 0;
      this.latchedCount--;
      return true;
    }
    return vector === INTX_VECTOR && this.intx.asserted;
  }

  /** The first of `vectors` (null = any) that fired, consumed; -1 when none. */
  takeFirst(vectors: readonly number[] | null): number {
    if (vectors === null) {
      if (this.intx.asserted) return INTX_VECTOR;
      if (this.latchedCount === 0) return -1;
      for (let v = 0; v < this.latched.length; v++) if (this.take(v)) return v;
      return -1;
    }
    for (let i = 0; i < vectors.length; i++) if (this.take(vectors[i])) return vectors[i];
    return -1;
  }

  #applyFirmware(): void {
    const fw = this.#firmware;
    this.config.assignBar0(fw.bar0Address);
    let bits = 0;
    if (fw.memorySpace ?? true) bits |= PciCommand.MEMORY_SPACE;
    if (fw.busMaster ?? false) bits |= PciCommand.BUS_MASTER;
    this.config.setCommandBits(bits);
  }

  #deliverMsix(vector: number, address: number, data: number): void {
    const sim = this.sim;
    if (!this.config.busMaster) {
      sim.findings.report(
        PLATFORM_RULES.msixBusMaster,
        `MSI-X vector ${vector} dropped: set Bus Master Enable (Command bit 2)`,
        this.index,
      );
      return;
    }
    sim.counters.interruptsDelivered++;
    if (this.latched[vector] === 0) {
      this.latched[vector] = 1;
      this.latchedCount++;
    }
    const inWindow = address >= MSI_ADDRESS_BASE &&
      address < MSI_ADDRESS_BASE + MSI_ADDRESS_WINDOW_BYTES;
    if (!inWindow && sim.memory.contains(address, 4)) sim.memory.writeU32(address, data);
    if (this.platformTrace.enabled) {
      this.platformTrace.emit({ type: "msix_message", vector, address, data });
    }
  }

  #pended(vector: number): void {
    this.sim.counters.interruptsMasked++;
    if (this.platformTrace.enabled) this.platformTrace.emit({ type: "msix_pending", vector });
  }

  #intxChanged(asserted: boolean): void {
    if (asserted) {
      this.sim.counters.interruptsDelivered++;
      this.sim.counters.intxAssertions++;
    }
    if (this.platformTrace.enabled) {
      this.platformTrace.emit({ type: "intx_level", level: asserted });
    }
  }
}
