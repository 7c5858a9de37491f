/**
 * {@linkcode HostPort} over QEMU's qtest protocol: BAR0 accesses are `readl`/`writel`/… at the
 * BAR's guest physical address, configuration space goes through ECAM (see `pci.ts`), host memory
 * is guest RAM (an allocator above the MSI-X words; bulk data with `b64read`/`b64write`), MSI-X is
 * the RAM-word trick and INTx the intercepted IOAPIC input (see `interrupts.ts`).
 *
 * **Time is wall-clock.** Debian's QEMU 7.2 has no qtest accelerator (`-accel qtest` fails,
 * reference §11), so `clock_step` does not exist and the guest's virtual clock is frozen; QEMU 7.2's
 * NVMe device needs no clock anyway (SQ processing and CQE posting are bottom halves, §7), only
 * main-loop iterations, which every qtest round trip gives it. So `now()` is wall-clock ns since
 * the session started, `poll()` is one round trip, and `sleep(ns)` makes round trips (resting the
 * CPU in between for long sleeps) until `ns` passed.
 *
 * Findings are host-side only: configuration accesses that are misaligned or out of range, and
 * BAR0 accesses that are out of range (refused), of a width other than 4/8 or misaligned
 * (recorded, then forwarded, so QEMU's own answer is what a case sees).
 *
 * @module
 */

import { RangeAllocator } from "../allocator.ts";
import { Counters } from "../counters.ts";
import { InvalidArgumentError, WaitForeverError } from "../errors.ts";
import { FindingsRegistry } from "../findings.ts";
import { MSIX_ENTRY_BYTES } from "../identity.ts";
import type { DmaAccess } from "../iommu.ts";
import { MsixEntry } from "../msix.ts";
import {
  BAR_FLAG_MASK,
  findCapability,
  MsixCapability,
  PciCapabilityId,
  PciCommand,
  PciConfigOffset,
} from "../pci_config.ts";
import { type HostPort, type InterruptMode, INTX_VECTOR, WAIT_TIMEOUT } from "../ports.ts";
import { Trace, type TraceEmitterLike } from "../trace.ts";
import type { DeviceTraceBody, HostTraceBody } from "../trace_events.ts";
import { checkConfig, checkMmio } from "./_access_checks.ts";
import type { QtestClient } from "./client.ts";
import { msixTag, QtestInterrupts } from "./interrupts.ts";
import type { QtestPci } from "./pci.ts";
import { sleepSyncMs } from "./process.ts";
import { QemuTraceBridge } from "./qemu_trace_bridge.ts";

const TWO_32 = 2 ** 32;
/** Bulk memory moves at most this many bytes per qtest command. */
const CHUNK_BYTES = 1 << 20;
/** Sleeps longer than this rest the CPU between round trips. */
const REST_ABOVE_NS = 2_000_000;
/** Longest single rest, so device progress is noticed promptly. */
const REST_MAX_MS = 5;
/** Waits spin this many round trips before resting between them. */
const WAIT_SPINS = 200;
const WAIT_REST_MS = 0.05;

/** Where things live in the qtest machine, found by the machine at start. */
export interface QtestLayout {
  /** devfn of the NVMe function on bus 0. */
  readonly devfn: number;
  /** BAR0 guest physical address. */
  readonly bar0: number;
  /** BAR0 size. */
  readonly bar0Size: number;
  /** CAP.DSTRD, for classifying doorbell accesses in the counters. */
  readonly dstrd: number;
  /** Guest address of the MSI-X word array. */
  readonly msixWords: number;
  /** MSI-X words reserved. */
  readonly msixWordCount: number;
  /** Allocator range for host buffers: [allocBase, allocLimit). */
  readonly allocBase: number;
  /** See `allocBase`. */
  readonly allocLimit: number;
  /** Longest `waitForInterrupt(…, Infinity)` in ms. */
  readonly maxWaitMs: number;
  /** True when QEMU reports the INTx input (`irq_intercept_in` succeeded). */
  readonly intx: boolean;
}

/** The qtest HostPort. Created by {@linkcode startQemu} (see `machine.ts`). */
export class QtestHostPort implements HostPort {
  /** "qemu". */
  readonly platform = "qemu";
  /** Counters (MMIO by register class, configuration, memory, waits, interrupts seen). */
  readonly counters: Counters = new Counters();
  /** The trace hub: attach a sink (`traceHub.addSink`) to turn tracing on. */
  readonly traceHub: Trace;
  /** Host-side trace emitter. */
  readonly trace: TraceEmitterLike<HostTraceBody>;
  /** Device-side emitter (its `enabled` follows the hub). QEMU's own trace lines reach the hub
   * through the bridge, typed and marked with `qemu` (see `qemu_trace_bridge.ts`). */
  readonly deviceTrace: TraceEmitterLike<DeviceTraceBody>;
  /** Host-side findings. */
  readonly findings: FindingsRegistry;
  /** Interrupt latches and INTx level. */
  readonly interrupts: QtestInterrupts;
  /** QEMU trace lines source: new lines since its previous call (set by the machine when QEMU
   * tracing is on). */
  qemuTraceLines: () => readonly string[] = () => [];
  readonly #q: QtestClient;
  readonly #pci: QtestPci;
  readonly #layout: QtestLayout;
  readonly #allocator: RangeAllocator;
  readonly #t0 = performance.now();
  readonly #bridge: QemuTraceBridge;
  #bar0: number;

  /** Binds the port to a started machine. */
  constructor(client: QtestClient, pci: QtestPci, layout: QtestLayout) {
    this.#q = client;
    this.#pci = pci;
    this.#layout = layout;
    this.#bar0 = layout.bar0;
    this.#allocator = new RangeAllocator(layout.allocBase, layout.allocLimit);
    const t0 = this.#t0;
    const clock = {
      get now(): number {
        return Math.round((performance.now() - t0) * 1e6);
      },
    };
    this.traceHub = new Trace(clock);
    // Wall-clock µs since the epoch at hub time 0, the origin QEMU's log timestamps map onto.
    const epochUs = (performance.timeOrigin + t0) * 1_000;
    this.#bridge = new QemuTraceBridge(this.traceHub, () => this.qemuTraceLines(), epochUs);
    this.trace = this.#bridge.wrapHostEmitter(this.traceHub.emitter("host", 0));
    this.deviceTrace = this.traceHub.emitter("device", 0);
    this.findings = new FindingsRegistry(clock);
    this.interrupts = new QtestInterrupts(client, layout.msixWords, layout.msixWordCount);
  }

  /** The qtest client (for tests and tools that need a raw command). */
  get client(): QtestClient {
    return this.#q;
  }

  /** Where things live. */
  get layout(): QtestLayout {
    return { ...this.#layout, bar0: this.#bar0 };
  }

  // ---------------------------------------------------------------- BAR0

  /** 32-bit MMIO read (`readl`). */
  read32(offset: number): number {
    if (!this.#mmio(offset, 4, false)) return 0xffff_ffff;
    return this.#traced(this.#q.read(this.#bar0 + offset, 4));
  }

  /** 32-bit MMIO write (`writel`). */
  write32(offset: number, value: number): void {
    if (this.#mmio(offset, 4, true)) this.#traced(this.#q.write(this.#bar0 + offset, 4, value));
  }

  /** 64-bit MMIO read (`readq`; QEMU's memory core splits it into two dwords, low first). */
  read64(offset: number): bigint {
    if (!this.#mmio(offset, 8, false)) return 0xffff_ffff_ffff_ffffn;
    return this.#traced(this.#q.readq(this.#bar0 + offset));
  }

  /** 64-bit MMIO write (`writeq`). */
  write64(offset: number, value: bigint | number): void {
    if (typeof value === "number" && !(Number.isSafeInteger(value) && value >= 0)) {
      throw new InvalidArgumentError(`write64: ${value} must be an integer in 0..2^53`);
    }
    if (this.#mmio(offset, 8, true)) this.#traced(this.#q.writeq(this.#bar0 + offset, value));
  }

  /** MMIO read of 1, 2 or 4 bytes (`readb`/`readw`/`readl`). */
  mmioRead(offset: number, size: 1 | 2 | 4): number {
    if (!this.#mmio(offset, size, false)) return size === 4 ? 0xffff_ffff : (1 << (8 * size)) - 1;
    return this.#traced(this.#q.read(this.#bar0 + offset, size));
  }

  /** MMIO write of 1, 2 or 4 bytes. */
  mmioWrite(offset: number, size: 1 | 2 | 4, value: number): void {
    if (this.#mmio(offset, size, true)) {
      this.#traced(this.#q.write(this.#bar0 + offset, size, value));
    }
  }

  // ---------------------------------------------------------------- config

  /** Configuration read; misaligned or unreachable offsets read all-ones with a finding. */
  configRead(offset: number, size: 1 | 2 | 4): number {
    this.counters.configReads++;
    if (!this.#configOk(offset, size, false)) {
      return size === 4 ? 0xffff_ffff : (1 << (8 * size)) - 1;
    }
    return this.#pci.read(this.#layout.devfn, offset, size);
  }

  /** Configuration write; misaligned or unreachable offsets are dropped with a finding. */
  configWrite(offset: number, size: 1 | 2 | 4, value: number): void {
    this.counters.configWrites++;
    if (!this.#configOk(offset, size, true)) return;
    this.#pci.write(this.#layout.devfn, offset, size, value);
    if (offset < PciConfigOffset.BAR1 + 4 && offset + size > PciConfigOffset.BAR0) {
      this.#bar0Moved();
    }
  }

  // ---------------------------------------------------------------- memory (guest RAM)

  /** Allocates guest RAM for DMA (contents are whatever was there: fill it when it matters). */
  allocate(size: number, align?: number): number {
    return this.#allocator.allocate(size, align);
  }

  /** Frees an allocation. */
  free(addr: number): void {
    this.#allocator.free(addr);
  }

  /** No IOMMU in this machine: nothing to map. */
  dmaMap(_addr: number, _length: number, _access?: DmaAccess): void {}

  /** No IOMMU in this machine: nothing to unmap. */
  dmaUnmap(_addr: number, _length: number): void {}

  /** CPU read of guest RAM (`b64read`, 1 MiB per command). */
  memRead(addr: number, dst: Uint8Array, dstOffset = 0, length = dst.length - dstOffset): void {
    this.counters.hostMemReads++;
    for (let done = 0; done < length; done += CHUNK_BYTES) {
      const n = Math.min(CHUNK_BYTES, length - done);
      this.#q.b64read(addr + done, dst.subarray(dstOffset + done, dstOffset + done + n));
    }
  }

  /** CPU write of guest RAM (`b64write`, 1 MiB per command). */
  memWrite(addr: number, src: Uint8Array, srcOffset = 0, length = src.length - srcOffset): void {
    this.counters.hostMemWrites++;
    for (let done = 0; done < length; done += CHUNK_BYTES) {
      const n = Math.min(CHUNK_BYTES, length - done);
      this.#q.b64write(addr + done, src.subarray(srcOffset + done, srcOffset + done + n));
    }
  }

  /** CPU fill of guest RAM (`memset`). */
  memFill(addr: number, length: number, value: number): void {
    this.counters.hostMemWrites++;
    this.#q.memset(addr, length, value);
  }

  /** CPU u32 read (`readl`). */
  memReadU32(addr: number): number {
    this.counters.hostMemReads++;
    return this.#q.read(addr, 4);
  }

  /** CPU u32 write (`writel`). */
  memWriteU32(addr: number, value: number): void {
    this.counters.hostMemWrites++;
    this.#q.write(addr, 4, value);
  }

  /** CPU u64 read (`readq`) as a number (exact below 2^53). */
  memReadU64(addr: number): number {
    this.counters.hostMemReads++;
    return Number(this.#q.readq(addr));
  }

  /** CPU u64 write (`writeq`) of a number below 2^53. */
  memWriteU64(addr: number, value: number): void {
    this.counters.hostMemWrites++;
    this.#q.writeq(addr, value);
  }

  // ---------------------------------------------------------------- interrupts

  /**
   * MSI-X: masks the function, points every table entry at its RAM word with its tag, unmasks
   * every vector, sets Interrupt Disable and enables MSI-X (as Linux does). INTx: MSI-X off,
   * Interrupt Disable clear. Returns the vectors (table size), 1, or 0 (also for INTx when QEMU
   * refused `irq_intercept_in`, so INTx cannot be observed).
   */
  setupInterrupts(mode: InterruptMode): number {
    const read = (o: number, s: 1 | 2 | 4) => this.configRead(o, s);
    const cap = findCapability(read, PciCapabilityId.MSIX);
    const ctrlAt = cap + MsixCapability.CONTROL;
    const command = this.configRead(PciConfigOffset.COMMAND, 2);
    const ctrl = cap === 0 ? 0 : this.configRead(ctrlAt, 2);
    const offMsix = ctrl & ~(MsixCapability.CONTROL_ENABLE | MsixCapability.CONTROL_FUNCTION_MASK);
    if (mode === "msix") {
      if (cap === 0) return 0;
      const table = this.configRead(cap + MsixCapability.TABLE, 4);
      if ((table & MsixCapability.BIR_MASK) !== 0) return 0; // table outside BAR0: not handled
      const vectors = Math.min(
        (ctrl & MsixCapability.CONTROL_TABLE_SIZE) + 1,
        this.interrupts.maxVectors,
      );
      const base = table & ~MsixCapability.BIR_MASK;
      this.configWrite(
        ctrlAt,
        2,
        offMsix | MsixCapability.CONTROL_ENABLE | MsixCapability.CONTROL_FUNCTION_MASK,
      );
      this.interrupts.reset(vectors);
      for (let v = 0; v < vectors; v++) {
        const e = base + v * MSIX_ENTRY_BYTES;
        this.write32(e + MsixEntry.ADDRESS_LO, this.interrupts.wordAddress(v));
        this.write32(e + MsixEntry.ADDRESS_HI, 0);
        this.write32(e + MsixEntry.DATA, msixTag(v));
        this.write32(e + MsixEntry.VECTOR_CONTROL, 0);
      }
      this.configWrite(PciConfigOffset.COMMAND, 2, command | PciCommand.INTX_DISABLE);
      this.configWrite(ctrlAt, 2, offMsix | MsixCapability.CONTROL_ENABLE);
      return vectors;
    }
    this.interrupts.reset(0);
    if (cap !== 0) this.configWrite(ctrlAt, 2, offMsix);
    if (mode === "intx" && this.#layout.intx) {
      this.configWrite(PciConfigOffset.COMMAND, 2, command & ~PciCommand.INTX_DISABLE);
      return 1;
    }
    this.configWrite(PciConfigOffset.COMMAND, 2, command | PciCommand.INTX_DISABLE);
    return 0;
  }

  /** Scans for one of `vectors` (null: any) until it fires or `timeoutNs` of wall time passed.
   * `Infinity` waits up to the machine's `maxWaitMs`, then throws {@linkcode WaitForeverError}. */
  waitForInterrupt(vectors: readonly number[] | null, timeoutNs: number): number {
    if (!(timeoutNs >= 0)) {
      throw new InvalidArgumentError(`waitForInterrupt: timeout ${timeoutNs} ns must be >= 0`);
    }
    const c = this.counters;
    c.waits++;
    const forever = timeoutNs === Infinity;
    const deadline = this.now() + (forever ? this.#layout.maxWaitMs * 1e6 : timeoutNs);
    const intx = vectors === null || vectors.includes(INTX_VECTOR);
    for (let spins = 0;; spins++) {
      this.#pump();
      let v = this.interrupts.takeFirst(vectors);
      if (v < 0 && intx && this.interrupts.intxLevel) v = INTX_VECTOR;
      if (v >= 0) {
        c.wakeups++;
        if (this.trace.enabled) this.trace.emit({ type: "wakeup", vector: v });
        return v;
      }
      if (this.now() >= deadline) {
        if (forever) {
          throw new WaitForeverError(
            `waitForInterrupt: no interrupt within ${this.#layout.maxWaitMs} ms of wall time; ` +
              "pass a finite timeout or check that the device was told to work",
          );
        }
        c.waitTimeouts++;
        return WAIT_TIMEOUT;
      }
      if (spins >= WAIT_SPINS) sleepSyncMs(WAIT_REST_MS);
    }
  }

  /** Scans once, then consumes `vector`'s latch (INTx: reports the level, which stays). */
  takeInterrupt(vector: number): boolean {
    this.#pump();
    if (vector === INTX_VECTOR) return this.interrupts.intxLevel;
    return this.interrupts.take(vector);
  }

  // ---------------------------------------------------------------- clock

  /** Wall-clock ns since the session started. */
  now(): number {
    return Math.round((performance.now() - this.#t0) * 1e6);
  }

  /** Lets `ns` of wall time pass, with at least one round trip (QEMU's main loop runs). */
  sleep(ns: number): void {
    if (!(ns >= 0 && ns !== Infinity)) {
      throw new InvalidArgumentError(`sleep: ${ns} ns must be a finite number >= 0`);
    }
    this.counters.sleeps++;
    const deadline = this.now() + ns;
    for (;;) {
      this.#pump();
      const left = deadline - this.now();
      if (left <= 0) return;
      if (left > REST_ABOVE_NS) {
        sleepSyncMs(Math.min(REST_MAX_MS, (left - REST_ABOVE_NS / 2) / 1e6));
      }
    }
  }

  /** One round trip. */
  poll(): void {
    this.counters.polls++;
    this.#pump();
  }

  /** After a function reset (FLR): BAR0 is back where firmware put it, every latch is gone and
   * no MSI-X vector is scanned until `setupInterrupts` runs again. */
  functionWasReset(): void {
    this.#bar0 = this.#layout.bar0;
    this.interrupts.reset(0);
    this.interrupts.intxLevel = false;
  }

  /** Reads QEMU's trace lines written so far into the hub (while a sink is attached; otherwise
   * they are skipped). Call it before attaching a sink so the sink sees only later lines. */
  drainQemuTrace(): number {
    return this.#bridge.drain();
  }

  // ---------------------------------------------------------------- internals

  /** After a BAR0 access: QEMU logged it before replying, so its lines go in now, in order. */
  #traced<T>(value: T): T {
    if (this.traceHub.enabled) this.#bridge.drain();
    return value;
  }

  /** One round trip that also latches MSI-X messages, then reads QEMU's trace lines. */
  #pump(): void {
    this.interrupts.scan();
    this.counters.interruptsDelivered = this.interrupts.messages;
    this.counters.intxAssertions = this.interrupts.intxAssertions;
    this.#bridge.drain();
  }

  #mmio(offset: number, size: number, write: boolean): boolean {
    const l = this.#layout;
    return checkMmio(this.counters, this.findings, l.bar0Size, l.dstrd, offset, size, write);
  }

  #configOk(offset: number, size: number, write: boolean): boolean {
    return checkConfig(this.findings, this.#pci.reachableBytes, offset, size, write);
  }

  /** BAR0/BAR1 were written (e.g. sized and restored): follow the BAR whenever it holds an
   * address again, so MMIO goes where the function decodes it. */
  #bar0Moved(): void {
    const devfn = this.#layout.devfn;
    const lo = (this.#pci.read(devfn, PciConfigOffset.BAR0, 4) & ~BAR_FLAG_MASK) >>> 0;
    const hi = this.#pci.read(devfn, PciConfigOffset.BAR1, 4);
    const base = hi * TWO_32 + lo;
    if (base !== 0 && Number.isSafeInteger(base)) this.#bar0 = base;
  }
}
