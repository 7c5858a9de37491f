/**
 * The controller's register file (Base 2.1 §3.1.4): values, access rules (read-only registers,
 * fields locked while enabled, RW1C CSTS.NSSRO, 64-bit-only registers) and the CC transitions it
 * reports to the controller, which owns the timing (RDY after a delay, shutdown processing).
 *
 * @example
 * ```ts
 * import { RegisterFile } from "./register_file.ts";
 * import { resolveOptions } from "./options.ts";
 * const r = new RegisterFile(resolveOptions());
 * if (r.read32(0x08) !== 0x00020100) throw new Error("VS 2.1.0");
 * ```
 *
 * @module
 */

import {
  AQA,
  CAP,
  CommandSetSelected,
  CstsBit,
  encodeRegister,
  memoryPageSize,
  NSSR_RESET_VALUE,
  RegisterOffset as R,
  ShutdownNotification,
} from "../spec/registers.ts";
import { CQE_SIZE_SHIFT } from "../spec/cqe.ts";
import { SQE_SIZE_SHIFT } from "../spec/sqe.ts";
import { field32 } from "../spec/_bytes.ts";
import type { ControllerOptions } from "./options.ts";
import { mutantFlags } from "./mutants.ts";

/** What the register file asks of the controller when the host writes CC, NSSR or INTMS/INTMC. */
export interface RegisterHooks {
  /** CC.EN 0→1 with valid settings: become ready after the ready delay. */
  enable(): void;
  /** CC.EN 0→1 with invalid settings: the reason, for the finding; the controller sets CFS. */
  enableFailed(reason: string): void;
  /** CC.EN 1→0: controller reset. */
  disable(): void;
  /** CC.SHN set to normal (1) or abrupt (2) while enabled, or in the write that clears EN (after
   * `disable`). */
  shutdown(abrupt: boolean): void;
  /** NSSR written with "NVMe" and NSSRS supported. */
  subsystemReset(): void;
  /** INTMS/INTMC changed the mask. */
  interruptMaskChanged(): void;
  /** A host broke a register rule: the rule key and a message. */
  violation(
    rule: "ccChangedWhileEnabled" | "readOnlyWrite" | "registerWidth",
    message: string,
  ): void;
}

// CC fields the host may change only while CC.EN = 0 (Base 2.1 §3.1.4.5).
const CC_LOCKED_MASK = 0x0000_3ff0; // CSS 6:4, MPS 10:7, AMS 13:11
const CC_WRITABLE_MASK = 0x01ff_fff1; // EN, CSS, MPS, AMS, SHN, IOSQES, IOCQES, CRIME
/** CC.CRIME (bit 24): read/write only when CAP.CRMS = 11b, else read-only 0 (Base 2.1 §3.1.4.5). */
const CC_CRIME = 1 << 24;
/** CRTO.CRIMT is bits 31:16, CRWMT bits 15:0 (Base 2.1 §3.1.4.21). */
const CRTO_CRIMT_SHIFT = 16;
const { RDY: CSTS_RDY, NSSRO: CSTS_NSSRO } = CstsBit;
const { NORMAL: SHN_NORMAL, ABRUPT: SHN_ABRUPT } = ShutdownNotification;
const REGISTERS_64 = new Set<number>([R.CAP, R.ASQ, R.ACQ, R.BPMBL, R.CMBMSC]);
/** AQA bits that exist (ASQS 11:0, ACQS 27:16); 31:28 and 15:12 are reserved: read 0, writes
 * ignored (Base 2.1 §3.1.4, §3.1.4.8). */
const AQA_DEFINED_MASK = Number(encodeRegister(AQA, { asqs: 0xfff, acqs: 0xfff }));
/** ASQ/ACQ bits 11:0 are reserved (the base is 4 KiB aligned): read 0 (Base 2.1 §3.1.4.9/10). */
const ADMIN_BASE_LOW_MASK = ~0xfff;

/** Register values; the controller reads CSTS bits through the setters below. */
export class RegisterFile {
  /** CAP as two dwords. */
  readonly capLo: number;
  /** CAP high dword. */
  readonly capHi: number;
  /** VS. */
  readonly vs: number;
  /** CC. */
  cc = 0;
  /** CSTS. */
  csts = 0;
  /** AQA. */
  aqa = 0;
  /** ASQ as a number (page aligned, below 2^53). */
  asq = 0;
  /** ACQ. */
  acq = 0;
  /** INTMS/INTMC mask (INTx/MSI only). */
  intMask = 0;
  /** CRTO. */
  readonly crto: number;
  /** The CC bits a host write can change (CRIME only with CAP.CRMS = 11b). */
  readonly #ccWritable: number;
  /** CC value `#pageSize` was computed from (-1: none yet). */
  #pageSizeCc = -1;
  #pageSize = 0;
  #asqHi = 0;
  #acqHi = 0;
  #asqLo = 0;
  #acqLo = 0;
  /** Mutants (mutants.ts): reserved admin-queue bits kept; RDY set by a CC write with EN = 0. */
  readonly #keepReservedBits: boolean;
  readonly #readyWithoutEnable: boolean;

  /** Builds the register file from the options. */
  constructor(readonly options: ControllerOptions) {
    const o = options;
    const cap = encodeRegister(CAP, {
      mqes: o.mqes,
      cqr: o.cqr ? 1 : 0,
      ams: o.wrr ? 1 : 0,
      to: o.timeoutUnits,
      dstrd: o.dstrd,
      nssrs: o.nssrs ? 1 : 0,
      css: 1 << 0, // NVM command set
      mpsmin: o.mpsmin,
      mpsmax: o.mpsmax,
      crwms: o.crms.crwms ? 1 : 0,
      crims: o.crms.crims ? 1 : 0,
    });
    this.capLo = Number(cap & 0xffff_ffffn);
    this.capHi = Number(cap >> 32n);
    this.vs = (o.version[0] << 16) | (o.version[1] << 8) | o.version[2];
    // Without CRWMS there is no CRTO (reads 0); without CRIMS the controller clears CRIMT.
    const crimt = o.crms.crims ? o.crto.crimt : 0;
    this.crto = o.crms.crwms ? ((crimt << CRTO_CRIMT_SHIFT) | o.crto.crwmt) >>> 0 : 0;
    this.#ccWritable = o.crms.crwms && o.crms.crims
      ? CC_WRITABLE_MASK
      : CC_WRITABLE_MASK & ~CC_CRIME;
    const mutants = mutantFlags(o.mutants);
    this.#keepReservedBits = mutants["aqa-reserved-bits-kept"];
    this.#readyWithoutEnable = mutants["rdy-without-enable"];
  }

  /** True when CC.EN is 1. */
  get enabled(): boolean {
    return (this.cc & 1) === 1;
  }

  /** Sets or clears CSTS bits (RDY, CFS, SHST, NSSRO). */
  setCsts(mask: number, value: number): void {
    this.csts = (this.csts & ~mask) | (value & mask);
  }

  /** Reads the dword at `offset` (a 64-bit register's halves at offset and offset + 4). */
  read32(offset: number): number {
    switch (offset) {
      case R.CAP:
        return this.capLo;
      case R.CAP + 4:
        return this.capHi;
      case R.VS:
        return this.vs;
      case R.INTMS:
      case R.INTMC:
        return this.intMask >>> 0;
      case R.CC:
        return this.cc >>> 0;
      case R.CSTS:
        return this.csts >>> 0;
      case R.AQA:
        return this.aqa >>> 0;
      case R.ASQ:
        return this.#asqLo;
      case R.ASQ + 4:
        return this.#asqHi;
      case R.ACQ:
        return this.#acqLo;
      case R.ACQ + 4:
        return this.#acqHi;
      case R.CRTO:
        return this.crto >>> 0;
      default:
        return 0; // CMB, BP, PMR not implemented: reserved/zero as CAP.CMBS/BPS/PMRS = 0
    }
  }

  /** Handles a host write of one dword; `size` is 8 when it is half of a 64-bit access. */
  write32(offset: number, size: 4 | 8, value: number, hooks: RegisterHooks): void {
    const base = offset & ~7;
    if (size === 8 && !REGISTERS_64.has(base)) {
      hooks.violation(
        "registerWidth",
        `64-bit write to 32-bit register at 0x${offset.toString(16)}`,
      );
      return;
    }
    switch (offset) {
      case R.INTMS:
        this.intMask = (this.intMask | value) >>> 0;
        hooks.interruptMaskChanged();
        return;
      case R.INTMC:
        this.intMask = (this.intMask & ~value) >>> 0;
        hooks.interruptMaskChanged();
        return;
      case R.CC:
        this.#writeCc(value >>> 0, hooks);
        return;
      case R.CSTS:
        if (value & CSTS_NSSRO) this.csts &= ~CSTS_NSSRO; // RW1C
        return;
      case R.NSSR:
        if (this.options.nssrs && value >>> 0 === NSSR_RESET_VALUE) hooks.subsystemReset();
        return;
      case R.AQA:
      case R.ASQ:
      case R.ASQ + 4:
      case R.ACQ:
      case R.ACQ + 4:
        if (this.enabled) {
          hooks.violation(
            "ccChangedWhileEnabled",
            `admin queue register 0x${offset.toString(16)} written while enabled`,
          );
          return;
        }
        this.#writeAdmin(offset, value >>> 0);
        return;
      default:
        hooks.violation(
          "readOnlyWrite",
          `write of 0x${(value >>> 0).toString(16)} to 0x${offset.toString(16)}`,
        );
    }
  }

  #writeAdmin(offset: number, value: number): void {
    // Reserved bits are dropped on the write, so they read 0.
    const keep = this.#keepReservedBits;
    const aqaMask = keep ? ~0 : AQA_DEFINED_MASK, baseMask = keep ? ~0 : ADMIN_BASE_LOW_MASK;
    if (offset === R.AQA) this.aqa = (value & aqaMask) >>> 0;
    else if (offset === R.ASQ) this.#asqLo = (value & baseMask) >>> 0;
    else if (offset === R.ASQ + 4) this.#asqHi = value;
    else if (offset === R.ACQ) this.#acqLo = (value & baseMask) >>> 0;
    else this.#acqHi = value;
    this.asq = this.#asqHi * 2 ** 32 + this.#asqLo;
    this.acq = this.#acqHi * 2 ** 32 + this.#acqLo;
  }

  #writeCc(value: number, hooks: RegisterHooks): void {
    const old = this.cc;
    let next = value & this.#ccWritable;
    if ((old & 1) && (next & 1) && ((old ^ next) & CC_LOCKED_MASK)) {
      hooks.violation(
        "ccChangedWhileEnabled",
        `CC 0x${old.toString(16)} → 0x${value.toString(16)}`,
      );
      next = (next & ~CC_LOCKED_MASK) | (old & CC_LOCKED_MASK);
    }
    this.cc = next;
    const wasEn = old & 1, en = next & 1;
    if (!wasEn && en) {
      const reason = this.enableProblem();
      if (reason) hooks.enableFailed(reason);
      else hooks.enable();
    } else if (wasEn && !en) {
      hooks.disable();
      // SHN written with EN 1→0 in the same write: a Controller Reset and a shutdown, reported in
      // CSTS.SHST (Base 2.1 §3.1.4.5, CC.SHN).
      const shn = field32(next, 14, 15);
      if (shn === SHN_NORMAL || shn === SHN_ABRUPT) hooks.shutdown(shn === SHN_ABRUPT);
    } else if (en) {
      const oldShn = field32(old, 14, 15), shn = field32(next, 14, 15);
      // SHN = 11b is reserved: no shutdown is requested.
      if (shn !== oldShn && (shn === SHN_NORMAL || shn === SHN_ABRUPT)) {
        hooks.shutdown(shn === SHN_ABRUPT);
      }
    } else if (this.#readyWithoutEnable) {
      this.setCsts(CSTS_RDY, CSTS_RDY); // mutant: RDY without CC.EN
    }
  }

  /**
   * Why the current CC/AQA/ASQ/ACQ cannot be enabled (Base 2.1 §3.5.1, §3.1.4.5), or null.
   * Checked: MPS within CAP.MPSMIN..MPSMAX, CSS supported by CAP.CSS, AMS supported by CAP.AMS,
   * admin queue sizes of at least 2 entries, ASQ/ACQ aligned to the memory page size, and
   * IOSQES/IOCQES either 0 (not yet set) or the only sizes we support (64 B SQE, 16 B CQE).
   */
  enableProblem(): string | null {
    const o = this.options;
    const cc = this.cc;
    const mps = field32(cc, 7, 10), css = field32(cc, 4, 6), ams = field32(cc, 11, 13);
    const iosqes = field32(cc, 16, 19), iocqes = field32(cc, 20, 23);
    if (mps < o.mpsmin || mps > o.mpsmax) {
      return `CC.MPS ${mps} outside CAP.MPSMIN..MPSMAX ${o.mpsmin}..${o.mpsmax}`;
    }
    if (css !== CommandSetSelected.NVM) return `CC.CSS ${css} not supported (CAP.CSS = NVM only)`;
    if (ams !== 0 && !(ams === 1 && o.wrr)) return `CC.AMS ${ams} not supported by CAP.AMS`;
    if (iosqes !== 0 && iosqes !== SQE_SIZE_SHIFT) return `CC.IOSQES ${iosqes} (only 6 = 64 B)`;
    if (iocqes !== 0 && iocqes !== CQE_SIZE_SHIFT) return `CC.IOCQES ${iocqes} (only 4 = 16 B)`;
    const asqs = field32(this.aqa, 0, 11), acqs = field32(this.aqa, 16, 27);
    if (asqs < 1 || acqs < 1) {
      return `AQA.ASQS/ACQS ${asqs}/${acqs}: admin queues need >= 2 entries`;
    }
    const page = memoryPageSize(mps);
    if (this.asq % page !== 0 || this.asq === 0) {
      return `ASQ 0x${this.asq.toString(16)} not page aligned`;
    }
    if (this.acq % page !== 0 || this.acq === 0) {
      return `ACQ 0x${this.acq.toString(16)} not page aligned`;
    }
    return null;
  }

  /** CC.MPS as a page size in bytes. */
  pageSize(): number {
    // Every data command asks: recompute only when CC changed since the last call.
    const cc = this.cc;
    if (cc !== this.#pageSizeCc) {
      this.#pageSizeCc = cc;
      this.#pageSize = memoryPageSize(field32(cc, 7, 10));
    }
    return this.#pageSize;
  }

  /** CC.IOSQES: I/O SQ entry size, log2 bytes (0 = not set yet). */
  ioSqEntrySize(): number {
    return field32(this.cc, 16, 19);
  }

  /** CC.IOCQES: I/O CQ entry size, log2 bytes (0 = not set yet). */
  ioCqEntrySize(): number {
    return field32(this.cc, 20, 23);
  }

  /** CC.AMS. */
  arbitration(): number {
    return field32(this.cc, 11, 13);
  }

  /** Admin SQ size (AQA.ASQS + 1) and CQ size (AQA.ACQS + 1). */
  adminQueueSizes(): [number, number] {
    return [field32(this.aqa, 0, 11) + 1, field32(this.aqa, 16, 27) + 1];
  }

  /** Resets every host-writable register (controller reset keeps AQA/ASQ/ACQ per §3.7.2). */
  resetForSubsystem(): void {
    this.cc = 0;
    this.csts = 0;
    this.aqa = 0;
    this.#writeAdmin(R.ASQ, 0);
    this.#writeAdmin(R.ASQ + 4, 0);
    this.#writeAdmin(R.ACQ, 0);
    this.#writeAdmin(R.ACQ + 4, 0);
    this.intMask = 0;
  }
}
