/**
 * The simulated PCIe machine: host memory with an allocator and an IOMMU, one virtual clock and
 * event scheduler, counters, a trace hub, a findings registry, preemption points, and one or more
 * attached PCI functions. `attach(fn)` gives the function its {@linkcode DevicePort} and returns
 * the {@linkcode HostPort} a driver uses.
 *
 * @example A function attached, a DMA buffer, a scheduled interrupt, a host wait
 * ```ts
 * import { Machine } from "./machine.ts";
 * import { nvmeIdentity } from "./identity.ts";
 * import type { DevicePort, NvmeFunction } from "./ports.ts";
 *
 * class Ping implements NvmeFunction {
 *   readonly identity = nvmeIdentity();
 *   port!: DevicePort;
 *   attach(port: DevicePort): void { this.port = port; }
 *   mmioRead(): number { return 0; }
 *   mmioWrite(): void { this.port.schedule(1000, () => this.port.msixNotify(0)); }
 *   reset(): void {}
 * }
 * const m = new Machine();
 * const host = m.attach(new Ping());
 * host.configWrite(0x04, 2, 0x6); // Memory Space + Bus Master
 * host.setupInterrupts("msix");
 * host.write32(0x1000, 1);
 * if (host.waitForInterrupt([0], 10_000) !== 0 || host.now() !== 1000) throw new Error();
 * ```
 *
 * @module
 */

import { alignUp, RangeAllocator } from "./allocator.ts";
import { Counters } from "./counters.ts";
import { AttachError, InvalidArgumentError } from "./errors.ts";
import { FindingsRegistry } from "./findings.ts";
import { InProcessDevicePort } from "./device_port.ts";
import { InProcessHostPort } from "./host_port.ts";
import { Iommu } from "./iommu.ts";
import { DEFAULT_ADDRESS_SPACE_BYTES, HostMemory } from "./memory.ts";
import { PciFunctionSlot, type SimulationContext } from "./pci_function.ts";
import type { NvmeFunction } from "./ports.ts";
import {
  PreemptionPoints,
  type PreemptionPolicy,
  SeededPreemption,
  type SeededPreemptionOptions,
} from "./preemption.ts";
import { Scheduler } from "./scheduler.ts";
import { Trace, type TraceEmitter } from "./trace.ts";
import type { PlatformTraceBody } from "./trace_events.ts";

/** Default lowest address of DMA-able allocations: 4 GiB, so 64-bit addresses get exercised. */
export const DEFAULT_ALLOC_BASE = 2 ** 32;
/** Where firmware starts assigning BAR0s (the 32-bit PCI hole, as on q35). */
export const DEFAULT_BAR0_BASE = 0xe000_0000;
/** Virtual time one `poll()` lets pass, by default. */
export const DEFAULT_POLL_QUANTUM_NS = 100;

/** Options of a {@linkcode Machine}. Every field has a default. */
export interface MachineOptions {
  /** Physical address space size in bytes (default 1 TiB; sparse, so size is free). */
  readonly memoryBytes?: number;
  /** Lowest address the allocator hands out (default 4 GiB, or half the space if smaller). */
  readonly allocBase?: number;
  /** One past the highest address the allocator hands out (default `memoryBytes`). */
  readonly allocLimit?: number;
  /** Enforce the IOMMU map on device DMA (default true). */
  readonly iommu?: boolean;
  /** Preemption at host accesses: a seed (with optional probability/mode) or a policy.
   * Default: off. */
  readonly preemption?: SeededPreemptionOptions | PreemptionPolicy;
  /** Virtual time one `poll()` lets pass (default 100 ns). */
  readonly pollQuantumNs?: number;
  /** Keep at most this many findings in full (default 10000). */
  readonly findingsLimit?: number;
}

/** Per-function options for {@linkcode Machine.attach}: what firmware does before the driver. */
export interface AttachOptions {
  /** BAR0 address (default: next free address from 0xE0000000, aligned to the BAR size). */
  readonly bar0Address?: number;
  /** Set Memory Space Enable (default true). */
  readonly memorySpace?: boolean;
  /** Set Bus Master Enable (default false: the driver sets it). */
  readonly busMaster?: boolean;
}

/** One simulation. */
export class Machine implements SimulationContext {
  /** Virtual clock and event queue. */
  readonly scheduler: Scheduler;
  /** Host physical memory. */
  readonly memory: HostMemory;
  /** DMA-able buffer allocator. */
  readonly allocator: RangeAllocator;
  /** IOMMU map. */
  readonly iommu: Iommu;
  /** Counters. */
  readonly counters: Counters;
  /** Trace hub: add sinks here. */
  readonly trace: Trace;
  /** Findings registry. */
  readonly findings: FindingsRegistry;
  /** Host preemption points. */
  readonly preemption: PreemptionPoints;
  /** Virtual time one `poll()` lets pass. */
  readonly pollQuantumNs: number;
  #slots: PciFunctionSlot[] = [];
  #hostPorts: InProcessHostPort[] = [];
  #devicePorts: InProcessDevicePort[] = [];
  #nextBar = DEFAULT_BAR0_BASE;
  readonly #platformTrace: TraceEmitter<PlatformTraceBody>;

  /** Builds an empty machine. */
  constructor(options: MachineOptions = {}) {
    const size = options.memoryBytes ?? DEFAULT_ADDRESS_SPACE_BYTES;
    this.scheduler = new Scheduler();
    this.memory = new HostMemory({ sizeBytes: size });
    this.allocator = new RangeAllocator(
      options.allocBase ?? Math.min(DEFAULT_ALLOC_BASE, size / 2),
      options.allocLimit ?? size,
    );
    this.iommu = new Iommu(options.iommu ?? true);
    this.counters = new Counters();
    this.trace = new Trace(this.scheduler);
    this.findings = new FindingsRegistry(this.scheduler, { limit: options.findingsLimit });
    const p = options.preemption;
    const policy = p === undefined ? undefined : "decide" in p ? p : new SeededPreemption(p);
    this.preemption = new PreemptionPoints(this.scheduler, this.counters, policy);
    this.pollQuantumNs = options.pollQuantumNs ?? DEFAULT_POLL_QUANTUM_NS;
    if (!(this.pollQuantumNs > 0)) {
      throw new InvalidArgumentError(`Machine: pollQuantumNs ${this.pollQuantumNs} must be > 0`);
    }
    this.#platformTrace = this.trace.emitter("platform", -1);
    this.findings.onRecord = (f) => {
      const t = f.fn >= 0 && f.fn < this.#slots.length
        ? this.#slots[f.fn].platformTrace
        : this.#platformTrace;
      if (t.enabled) {
        t.emit({ type: "finding", id: f.id, severity: f.severity, message: f.message });
      }
    };
  }

  /** The preemption seed, when a seeded policy is in use (print it with a failure). */
  get seed(): number | undefined {
    const p = this.preemption.policy;
    return p instanceof SeededPreemption ? p.seed : undefined;
  }

  /** One line describing the configuration that matters for reproduction. */
  describe(): string {
    return [
      `machine functions=${this.#slots.length}`,
      `iommu=${this.iommu.enabled ? "on" : "off"}`,
      `poll=${this.pollQuantumNs}ns`,
      this.preemption.policy?.describe() ?? "preemption off",
    ].join(" ");
  }

  /** Attaches a function: builds its slot, gives it its DevicePort, returns its HostPort. */
  attach(fn: NvmeFunction, options: AttachOptions = {}): InProcessHostPort {
    if (this.#slots.some((s) => s.fn === fn)) {
      throw new AttachError("attach: this function is already attached; create a new instance");
    }
    const size = fn.identity.bar0Size;
    const bar0Address = options.bar0Address ?? alignUp(this.#nextBar, size);
    if (bar0Address % size !== 0) {
      throw new InvalidArgumentError(
        `attach: bar0Address 0x${bar0Address.toString(16)} must be aligned to the BAR size`,
      );
    }
    this.#nextBar = Math.max(this.#nextBar, bar0Address + size);
    const slot = new PciFunctionSlot(this.#slots.length, fn, this, {
      bar0Address,
      memorySpace: options.memorySpace,
      busMaster: options.busMaster,
    });
    const device = new InProcessDevicePort(slot);
    const host = new InProcessHostPort(slot);
    this.#slots.push(slot);
    this.#devicePorts.push(device);
    this.#hostPorts.push(host);
    fn.attach(device);
    return host;
  }

  /** Number of attached functions. */
  get functionCount(): number {
    return this.#slots.length;
  }

  /** The slot of function `index` (config space, MSI-X, INTx, BAR bus) for tests and tools. */
  slot(index: number): PciFunctionSlot {
    return this.#slots[this.#check(index)];
  }

  /** The HostPort of function `index`. */
  hostPort(index: number): InProcessHostPort {
    return this.#hostPorts[this.#check(index)];
  }

  /** The DevicePort of function `index`. */
  devicePort(index: number): InProcessDevicePort {
    return this.#devicePorts[this.#check(index)];
  }

  /** Function Level Reset of function `index` (same as writing Initiate FLR in config space). */
  functionLevelReset(index: number): void {
    this.#slots[this.#check(index)].reset("flr");
  }

  /** Simulated power loss of function `index`, or of every function. Host memory survives. */
  powerLoss(index?: number): void {
    if (index !== undefined) this.#slots[this.#check(index)].reset("power-loss");
    else for (const s of this.#slots) s.reset("power-loss");
  }

  /** Allocates a DMA-able buffer (mapped in the IOMMU), like `HostPort.allocate`. */
  allocate(size: number, align?: number): number {
    const addr = this.allocator.allocate(size, align);
    this.iommu.map(addr, size);
    return addr;
  }

  /** Frees and unmaps a buffer. */
  free(addr: number): void {
    this.iommu.unmap(addr, this.allocator.free(addr));
  }

  /** Runs device work until none is pending (or `maxEvents` ran); returns how many ran. */
  runUntilIdle(maxEvents?: number): number {
    return this.scheduler.runUntilIdle(maxEvents);
  }

  #check(index: number): number {
    if (!(Number.isInteger(index) && index >= 0 && index < this.#slots.length)) {
      throw new AttachError(
        `function ${index} is not attached (${this.#slots.length} attached); attach it first`,
      );
    }
    return index;
  }
}
