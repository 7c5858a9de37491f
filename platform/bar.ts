/**
 * BAR0 MMIO dispatch for one function: access rules, counting, tracing and routing.
 *
 * Rules, in order: Memory Space Enable must be set (`mmio.decode_disabled`), the access must lie
 * in BAR0 (`mmio.range`), be 4 or 8 bytes wide (`mmio.width`) and naturally aligned
 * (`mmio.align`). A refused read returns all-ones, a refused write is dropped; both are counted
 * (each is still an MMIO exit) and recorded as host findings.
 *
 * Accepted accesses to the MSI-X table and PBA are handled here (the PBA is read-only); all others
 * go to the function as dwords (`size` 8 = half of a 64-bit access, low dword first). Counting
 * classifies offsets as SQ tail doorbell, CQ head doorbell or other, using CAP.DSTRD from the
 * identity and `decodeDoorbell` from the spec, precomputed into a table so the hot path is one
 * array load. The bus emits QEMU's `mmio_read` / `mmio_write` device events; doorbell events are
 * the controller's to emit (it knows whether the queue exists).
 *
 * @module
 */

import { decodeDoorbell } from "../spec/doorbell.ts";
import type { Counters } from "./counters.ts";
import { type FindingRule, type FindingsRegistry, PLATFORM_RULES } from "./findings.ts";
import type { Bar0Layout, PciIdentity } from "./identity.ts";
import type { MsixTable } from "./msix.ts";
import type { PciConfigSpace } from "./pci_config.ts";
import type { NvmeFunction } from "./ports.ts";
import type { TraceEmitterLike } from "./trace.ts";
import type { DeviceTraceBody } from "./trace_events.ts";

/** Register class of "any other register". */
export const REG_OTHER = 0;
/** Register class of a Submission Queue Tail doorbell. */
export const REG_SQ_TAIL = 1;
/** Register class of a Completion Queue Head doorbell. */
export const REG_CQ_HEAD = 2;
/** A register class. */
export type RegisterClass = typeof REG_OTHER | typeof REG_SQ_TAIL | typeof REG_CQ_HEAD;

const ALL_ONES_32 = 0xffffffff;
const ALL_ONES_64 = 0xffffffffffffffffn;
const DWORD = 4;
const QWORD = 8;

/** What a {@linkcode Bar0Bus} is wired to. */
export interface Bar0BusWiring {
  /** The function's MMIO handlers. */
  readonly fn: NvmeFunction;
  /** Its identity. */
  readonly identity: PciIdentity;
  /** Its BAR0 layout. */
  readonly layout: Bar0Layout;
  /** Its configuration space (for Memory Space Enable). */
  readonly config: PciConfigSpace;
  /** Its MSI-X table. */
  readonly msix: MsixTable;
  /** Simulation counters. */
  readonly counters: Counters;
  /** Findings registry. */
  readonly findings: FindingsRegistry;
  /** Device-side trace emitter of this function. */
  readonly trace: TraceEmitterLike<DeviceTraceBody>;
  /** PCI function index. */
  readonly index: number;
}

/** The BAR0 bus of one function. */
export class Bar0Bus {
  readonly #w: Bar0BusWiring;
  readonly #size: number;
  readonly #classes: Uint8Array;
  readonly #dbBase: number;
  readonly #dbEnd: number;

  /** Wires the bus and precomputes the doorbell classification table. */
  constructor(wiring: Bar0BusWiring) {
    this.#w = wiring;
    this.#size = wiring.identity.bar0Size;
    this.#dbBase = wiring.layout.doorbellBase;
    this.#dbEnd = wiring.layout.doorbellEnd;
    this.#classes = new Uint8Array((this.#dbEnd - this.#dbBase) / DWORD);
    for (let i = 0; i < this.#classes.length; i++) {
      const db = decodeDoorbell(this.#dbBase + i * DWORD, wiring.identity.dstrd);
      this.#classes[i] = db === null ? REG_OTHER : db.isCq ? REG_CQ_HEAD : REG_SQ_TAIL;
    }
  }

  /** Register class of a BAR0 offset (doorbells only inside the doorbell area). */
  classify(offset: number): RegisterClass {
    if (offset < this.#dbBase || offset >= this.#dbEnd || offset % DWORD !== 0) return REG_OTHER;
    return this.#classes[(offset - this.#dbBase) / DWORD] as RegisterClass;
  }

  /** Read of 1, 2 or 4 bytes (only 4 is legal). */
  read(offset: number, size: 1 | 2 | 4): number {
    this.#countRead(offset);
    if (!this.#accept(offset, size, false)) {
      return size === DWORD ? ALL_ONES_32 : (1 << (8 * size)) - 1;
    }
    return this.#dispatchRead(offset, DWORD);
  }

  /** Write of 1, 2 or 4 bytes (only 4 is legal). */
  write(offset: number, size: 1 | 2 | 4, value: number): void {
    this.#countWrite(offset);
    if (!this.#accept(offset, size, true)) return;
    if (this.#w.trace.enabled) this.#traceWrite(offset, value >>> 0, 0, DWORD);
    this.#dispatchWrite(offset, DWORD, value >>> 0);
  }

  /** 64-bit read: two dword reads of the target, low first. */
  read64(offset: number): bigint {
    this.#countRead(offset);
    if (!this.#accept(offset, QWORD, false)) return ALL_ONES_64;
    const lo = this.#dispatchRead(offset, QWORD);
    const hi = this.#dispatchRead(offset + DWORD, QWORD, false);
    return (BigInt(hi) << 32n) | BigInt(lo);
  }

  /** 64-bit write of `lo` then `hi` dwords. */
  write64(offset: number, lo: number, hi: number): void {
    this.#countWrite(offset);
    if (!this.#accept(offset, QWORD, true)) return;
    if (this.#w.trace.enabled) this.#traceWrite(offset, lo >>> 0, hi >>> 0, QWORD);
    this.#dispatchWrite(offset, QWORD, lo >>> 0);
    this.#dispatchWrite(offset + DWORD, QWORD, hi >>> 0);
  }

  #countRead(offset: number): void {
    const c = this.#w.counters;
    c.mmioReads++;
    const cls = this.classify(offset);
    if (cls === REG_SQ_TAIL) c.sqDoorbellReads++;
    else if (cls === REG_CQ_HEAD) c.cqDoorbellReads++;
    else c.otherRegisterReads++;
  }

  #countWrite(offset: number): void {
    const c = this.#w.counters;
    c.mmioWrites++;
    const cls = this.classify(offset);
    if (cls === REG_SQ_TAIL) c.sqDoorbellWrites++;
    else if (cls === REG_CQ_HEAD) c.cqDoorbellWrites++;
    else c.otherRegisterWrites++;
  }

  /** Traces a write to a function register (MSI-X table and PBA writes are not traced). */
  #traceWrite(offset: number, data: number, dataHi: number, size: 4 | 8): void {
    if (!this.#isFunctionRegion(offset)) return;
    this.#w.trace.emit({ type: "mmio_write", addr: offset, data, dataHi, size });
  }

  #accept(offset: number, size: number, write: boolean): boolean {
    // The legal access inline; the refusal (finding text) in #refuse, keeping this inlinable.
    return (this.#w.config.memorySpace && (size === DWORD || size === QWORD) &&
      Number.isInteger(offset) && offset >= 0 && offset + size <= this.#size &&
      offset % size === 0) || this.#refuse(offset, size, write);
  }

  /** Records why `#accept` refused the access (the first of its checks that failed). */
  #refuse(offset: number, size: number, write: boolean): false {
    const w = this.#w;
    let rule: FindingRule;
    let detail: string;
    if (!w.config.memorySpace) {
      rule = PLATFORM_RULES.mmioDecode;
      detail = "Memory Space Enable is clear; set Command bit 1 first";
    } else if (!(Number.isInteger(offset) && offset >= 0 && offset + size <= this.#size)) {
      rule = PLATFORM_RULES.mmioRange;
      detail = `BAR0 is 0x${this.#size.toString(16)} bytes`;
    } else if (size !== DWORD && size !== QWORD) {
      rule = PLATFORM_RULES.mmioWidth;
      detail = "NVMe registers take 32-bit or 64-bit accesses only";
    } else {
      rule = PLATFORM_RULES.mmioAlign;
      detail = `offset is not a multiple of ${size}`;
    }
    const what = `${size}-byte MMIO ${write ? "write" : "read"} at BAR0+0x${
      Number(offset).toString(16)
    }`;
    w.findings.report(rule, `${what}: ${detail}`, w.index);
    return false;
  }

  #isFunctionRegion(offset: number): boolean {
    const l = this.#w.layout;
    return !(offset >= l.tableStart && offset < l.tableEnd) &&
      !(offset >= l.pbaStart && offset < l.pbaEnd);
  }

  #dispatchRead(offset: number, size: 4 | 8, trace = true): number {
    const w = this.#w;
    const l = w.layout;
    if (offset >= l.tableStart && offset < l.tableEnd) {
      return w.msix.readTable(offset - l.tableStart);
    }
    if (offset >= l.pbaStart && offset < l.pbaEnd) return w.msix.readPba(offset - l.pbaStart);
    if (trace && w.trace.enabled) w.trace.emit({ type: "mmio_read", addr: offset, size });
    return w.fn.mmioRead(offset, size) >>> 0;
  }

  #pbaWrite(offset: number, value: number): void {
    this.#w.findings.report(
      PLATFORM_RULES.msixPbaWrite,
      `write of 0x${value.toString(16)} to PBA at BAR0+0x${offset.toString(16)} ignored`,
      this.#w.index,
    );
  }

  #dispatchWrite(offset: number, size: 4 | 8, value: number): void {
    const w = this.#w;
    const l = w.layout;
    if (offset >= l.tableStart && offset < l.tableEnd) {
      w.msix.writeTable(offset - l.tableStart, value);
    } else if (offset >= l.pbaStart && offset < l.pbaEnd) {
      this.#pbaWrite(offset, value);
    } else {
      w.fn.mmioWrite(offset, size, value);
    }
  }
}
