/**
 * The three interfaces the rest of the harness is written against:
 *
 * - {@linkcode HostPort}: what a driver may touch. Every method is synchronous so the same
 *   interface can be implemented over QEMU's qtest protocol; nothing in it is in-process-only.
 * - {@linkcode DevicePort}: what a controller model gets from the machine.
 * - {@linkcode NvmeFunction}: what a controller model implements.
 *
 * @example A controller attaches, schedules work from a doorbell write, DMAs and interrupts
 * ```ts
 * import type { DevicePort, NvmeFunction } from "./ports.ts";
 * import { nvmeIdentity } from "./identity.ts";
 *
 * class Echo implements NvmeFunction {
 *   readonly identity = nvmeIdentity();
 *   #port!: DevicePort;
 *   #buf = new Uint8Array(8);
 *   attach(port: DevicePort): void { this.#port = port; }
 *   mmioRead(_offset: number, _size: 4 | 8): number { return 0; }
 *   mmioWrite(_offset: number, _size: 4 | 8, value: number): void {
 *     // Never work inside the MMIO call: schedule it.
 *     this.#port.schedule(500, (addr: number) => this.#run(addr), value);
 *   }
 *   reset(): void {}
 *   #run(addr: number): void {
 *     if (this.#port.dmaRead(addr, this.#buf) && this.#port.dmaWrite(addr + 8, this.#buf)) {
 *       if (this.#port.msixEnabled) this.#port.msixNotify(0);
 *     }
 *   }
 * }
 * void Echo;
 * ```
 *
 * @module
 */

import type { Counters } from "./counters.ts";
import type { DmaAccess } from "./iommu.ts";
import type { FindingsRegistry } from "./findings.ts";
import type { PciIdentity } from "./identity.ts";
import type { EventCallback, EventHandle } from "./scheduler.ts";
import type { TraceEmitterLike } from "./trace.ts";
import type { DeviceTraceBody, HostTraceBody } from "./trace_events.ts";

/** Pseudo-vector naming the INTx pin in {@linkcode HostPort.waitForInterrupt}. */
export const INTX_VECTOR = 0x10000;
/** Returned by {@linkcode HostPort.waitForInterrupt} when the timeout passed. */
export const WAIT_TIMEOUT: number = -1;

/** How the host wants to be interrupted. */
export type InterruptMode = "msix" | "intx" | "none";

/** Why a function is reset by the platform (NVMe-level resets are the controller's own). */
export type ResetKind = "flr" | "power-loss";

/**
 * What a driver may touch. BAR0 offsets are relative to BAR0; memory addresses are host physical.
 *
 * @example Bring-up fragment against any HostPort
 * ```ts
 * import { type HostPort, WAIT_TIMEOUT } from "./ports.ts";
 * import { PciCommand, PciConfigOffset } from "./pci_config.ts";
 * function start(host: HostPort): bigint {
 *   const cmd = host.configRead(PciConfigOffset.COMMAND, 2);
 *   host.configWrite(PciConfigOffset.COMMAND, 2, cmd | PciCommand.MEMORY_SPACE | PciCommand.BUS_MASTER);
 *   host.setupInterrupts("msix");
 *   const asq = host.allocate(4096);
 *   host.write64(0x28, asq);
 *   if (host.waitForInterrupt([0], 1_000_000) === WAIT_TIMEOUT) host.poll();
 *   return host.read64(0x0); // CAP
 * }
 * void start;
 * ```
 */
export interface HostPort {
  /** Which implementation this is, e.g. "in-process" or "qemu". */
  readonly platform: string;

  // ---- BAR0 MMIO
  /** 32-bit MMIO read at a BAR0 offset. A refused access reads all-ones and records a finding. */
  read32(offset: number): number;
  /** 32-bit MMIO write at a BAR0 offset. */
  write32(offset: number, value: number): void;
  /** 64-bit MMIO read (the function may see it as two 32-bit halves, low dword first). */
  read64(offset: number): bigint;
  /** 64-bit MMIO write (`number` values must be below 2^53). */
  write64(offset: number, value: bigint | number): void;
  /** MMIO read of any width, for conformance cases that probe width rules. */
  mmioRead(offset: number, size: 1 | 2 | 4): number;
  /** MMIO write of any width, for conformance cases that probe width rules. */
  mmioWrite(offset: number, size: 1 | 2 | 4, value: number): void;

  // ---- PCI configuration space
  /** Configuration read of 1, 2 or 4 naturally aligned bytes. */
  configRead(offset: number, size: 1 | 2 | 4): number;
  /** Configuration write of 1, 2 or 4 naturally aligned bytes. */
  configWrite(offset: number, size: 1 | 2 | 4, value: number): void;

  // ---- host memory
  /** Allocates a DMA-able buffer (mapped for the device) and returns its physical address. */
  allocate(size: number, align?: number): number;
  /** Frees (and unmaps) a buffer returned by {@linkcode allocate}. */
  free(addr: number): void;
  /** Maps an extra range for device DMA (no-op without an IOMMU). */
  dmaMap(addr: number, length: number, access?: DmaAccess): void;
  /** Unmaps a range (no-op without an IOMMU). */
  dmaUnmap(addr: number, length: number): void;
  /** CPU read of host memory into `dst[dstOffset…]`. */
  memRead(addr: number, dst: Uint8Array, dstOffset?: number, length?: number): void;
  /** CPU write of `src[srcOffset…]` into host memory. */
  memWrite(addr: number, src: Uint8Array, srcOffset?: number, length?: number): void;
  /** CPU fill of host memory with a byte value. */
  memFill(addr: number, length: number, value: number): void;
  /** CPU read of a little-endian u32. */
  memReadU32(addr: number): number;
  /** CPU write of a little-endian u32. */
  memWriteU32(addr: number, value: number): void;
  /** CPU read of a little-endian u64 as a number (exact below 2^53). */
  memReadU64(addr: number): number;
  /** CPU write of a little-endian u64 from a number below 2^53. */
  memWriteU64(addr: number, value: number): void;

  // ---- interrupts
  /** Programs MSI-X (every vector unmasked, MSI-X enabled, INTx disabled), INTx, or neither.
   * Returns the number of usable vectors (MSI-X table size, 1 for INTx, 0 for none). */
  setupInterrupts(mode: InterruptMode): number;
  /** Waits until one of `vectors` (MSI-X vector numbers or {@linkcode INTX_VECTOR}; null = any)
   * fires or `timeoutNs` passes; device work runs meanwhile. Returns the vector (its latch is
   * consumed; INTx is a level and stays until the device lowers it) or {@linkcode WAIT_TIMEOUT}. */
  waitForInterrupt(vectors: readonly number[] | null, timeoutNs: number): number;
  /** Consumes a latched interrupt of `vector` without waiting; true when it had fired. */
  takeInterrupt(vector: number): boolean;

  // ---- clock
  /** Current time in nanoseconds (virtual in-process; wall clock over qtest). */
  now(): number;
  /** Lets `ns` pass; device work due meanwhile runs. */
  sleep(ns: number): void;
  /** One polling step: a poll quantum passes and due device work runs. */
  poll(): void;

  // ---- observation
  /** Counters of the simulation this port belongs to. */
  readonly counters: Counters;
  /** Host-side trace emitter. */
  readonly trace: TraceEmitterLike<HostTraceBody>;
  /** Findings registry (host-obligation checkers record here too). */
  readonly findings: FindingsRegistry;
}

/**
 * What a controller model gets. DMA goes through Bus Master Enable and the IOMMU: a refused DMA
 * records a finding, returns false (reads fill zeros) and never touches host memory.
 */
export interface DevicePort {
  /** PCI function index of this device in its machine. */
  readonly functionIndex: number;
  /** Current virtual time in nanoseconds. */
  now(): number;
  /** Schedules device work `delayNs` from now. Pass a stable `fn` plus `arg` to avoid a closure. */
  schedule<T>(delayNs: number, fn: EventCallback<T>, arg?: T): EventHandle;
  /** Cancels scheduled work; false when it already ran. */
  cancel(handle: EventHandle): boolean;

  /** DMA read of host memory into `dst[dstOffset…]`; false (and zeros) when refused. */
  dmaRead(addr: number, dst: Uint8Array, dstOffset?: number, length?: number): boolean;
  /** DMA write of `src[srcOffset…]` to host memory; false (and nothing written) when refused. */
  dmaWrite(addr: number, src: Uint8Array, srcOffset?: number, length?: number): boolean;
  /**
   * Optional fast path for small aligned structures (SQEs, CQEs): DMA read of `count` 32-bit
   * little-endian words into `dst[index…]`, with the same checks and accounting as `dmaRead`.
   * A port without it is used through `dmaRead`.
   */
  dmaReadWords?(addr: number, dst: Uint32Array, index: number, count: number): boolean;
  /** Optional fast path: DMA write of `count` words from `src[index…]` (see `dmaReadWords`). */
  dmaWriteWords?(addr: number, src: Uint32Array, index: number, count: number): boolean;
  /** DMA read of a u32; 0 when refused (see `counters.dmaFaults`). */
  dmaReadU32(addr: number): number;
  /** DMA read of a u64 as a number; 0 when refused. */
  dmaReadU64(addr: number): number;
  /** DMA write of a u32; false when refused. */
  dmaWriteU32(addr: number, value: number): boolean;
  /** DMA write of a u64 from a number below 2^53; false when refused. */
  dmaWriteU64(addr: number, value: number): boolean;

  /** True when the host enabled MSI-X. */
  readonly msixEnabled: boolean;
  /** True when the host set Bus Master Enable. */
  readonly busMasterEnabled: boolean;
  /** Signals MSI-X `vector` (delivered, or pending when masked). */
  msixNotify(vector: number): void;
  /** Drives the INTx pin level (the controller decides when, per INTMS and its vectors). */
  setIntx(level: boolean): void;

  /** Counters: call `counters.command(...)`, `counters.completion()`, `counters.coalesced()`. */
  readonly counters: Counters;
  /** Device-side trace emitter (QEMU trace point names). */
  readonly trace: TraceEmitterLike<DeviceTraceBody>;
  /** Findings registry: device findings, and host findings the controller checks. */
  readonly findings: FindingsRegistry;
}

/**
 * What a controller model implements. The bus validates every access first (Memory Space Enable,
 * range, alignment, width 4 or 8) and routes MSI-X table/PBA accesses itself, so the handlers see
 * only 4-byte-aligned dword accesses to the register and doorbell areas. A 64-bit access arrives as
 * two calls with `size` 8, low dword (`offset`) first, then high (`offset + 4`): the function
 * decides whether a 64-bit access is legal for that register (record `mmio.width` if not). Handlers
 * must not run device work inline: schedule it.
 */
export interface NvmeFunction {
  /** PCI identity; read once when attached. */
  readonly identity: PciIdentity;
  /** Receives the port, once, when the machine attaches the function. */
  attach(port: DevicePort): void;
  /** Returns the dword at `offset`; `size` is the access width (4, or 8 for half of a qword). */
  mmioRead(offset: number, size: 4 | 8): number;
  /** Takes the dword `value` at `offset`; `size` as for {@linkcode mmioRead}. */
  mmioWrite(offset: number, size: 4 | 8, value: number): void;
  /** Resets the function's state; scheduled work was already canceled by the machine. */
  reset(kind: ResetKind): void;
}
