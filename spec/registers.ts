/**
 * Controller registers (Base 2.1 §3.1.4,), each declared as a
 * field table over its 4- or 8-byte value, plus the register map and the named values of the
 * fields engineers meet every day (CC.SHN, CSTS.SHST, CC.CSS, CC.AMS).
 *
 * @example Decode CAP as QEMU 7.2 reports it
 * ```ts
 * import { CAP, decodeRegister } from "./registers.ts";
 * const cap = decodeRegister(CAP, 0x004018200f0107ffn);
 * if (cap.mqes !== 0x7ff || cap.to !== 0x0f || cap.mpsmax !== 4) throw new Error();
 * ```
 *
 * @module
 */

import {
  bits,
  decodeValue,
  defineStruct,
  encodeValue,
  type Layout,
  rsvd,
  type Struct,
  u32,
  u64,
} from "./struct.ts";
import type {
  ACQValue,
  AQAValue,
  ASQValue,
  BPINFOValue,
  BPMBLValue,
  BPRSELValue,
  CAPValue,
  CCValue,
  CMBEBSValue,
  CMBLOCValue,
  CMBMSCValue,
  CMBSTSValue,
  CMBSWTPValue,
  CMBSZValue,
  ControllerRegistersValue,
  CRTOValue,
  CSTSValue,
  INTMCValue,
  INTMSValue,
  NSSDValue,
  NSSRValue,
  PMRCAPValue,
  PMRCTLValue,
  PMREBSValue,
  PMRMSCLValue,
  PMRMSCUValue,
  PMRSTSValue,
  PMRSWTPValue,
  VSValue,
} from "./value_types.ts";

// Bits `lo..hi` of an 8-byte register value; generic so the field name stays a literal type.
const q = <const N extends string>(name: N, lo: number, hi: number) => bits(name, 0, 8, lo, hi);

/** Controller Capabilities (CAP, offset 00h, Base 2.1 §3.1.4.1). */
export const CAP: Layout<CAPValue> = defineStruct(
  "CAP",
  8,
  [
    bits("mqes", 0, 8, 0, 15),
    bits("cqr", 0, 8, 16, 16),
    bits("ams", 0, 8, 17, 18),
    bits("to", 0, 8, 24, 31),
    bits("dstrd", 0, 8, 32, 35),
    bits("nssrs", 0, 8, 36, 36),
    bits("css", 0, 8, 37, 44),
    bits("bps", 0, 8, 45, 45),
    bits("cps", 0, 8, 46, 47),
    bits("mpsmin", 0, 8, 48, 51),
    bits("mpsmax", 0, 8, 52, 55),
    bits("pmrs", 0, 8, 56, 56),
    bits("cmbs", 0, 8, 57, 57),
    bits("nsss", 0, 8, 58, 58),
    bits("crwms", 0, 8, 59, 59),
    bits("crims", 0, 8, 60, 60),
    bits("nsses", 0, 8, 61, 61),
  ] as const,
  {
    section: "Base 2.1 §3.1.4.1",
    libnvmeNames: { nssrs: "NSSRC", cps: null, nsss: null, crwms: null, crims: null, nsses: null },
  },
);

/** Version (VS, offset 08h, Base 2.1 §3.1.4.2). */
export const VS: Layout<VSValue> = defineStruct(
  "VS",
  4,
  [
    bits("ter", 0, 4, 0, 7),
    bits("mnr", 0, 4, 8, 15),
    bits("mjr", 0, 4, 16, 31),
  ] as const,
  { section: "Base 2.1 §3.1.4.2" },
);

/** Interrupt Mask Set (INTMS, offset 0Ch, Base 2.1 §3.1.4.3): one mask bit per vector (INTx/MSI). */
export const INTMS: Layout<INTMSValue> = defineStruct("INTMS", 4, [u32("ivms", 0)] as const, {
  section: "Base 2.1 §3.1.4.3",
});

/** Interrupt Mask Clear (INTMC, offset 10h, Base 2.1 §3.1.4.4). */
export const INTMC: Layout<INTMCValue> = defineStruct("INTMC", 4, [u32("ivmc", 0)] as const, {
  section: "Base 2.1 §3.1.4.4",
});

/** Controller Configuration (CC, offset 14h, Base 2.1 §3.1.4.5). */
export const CC: Layout<CCValue> = defineStruct(
  "CC",
  4,
  [
    bits("en", 0, 4, 0, 0),
    bits("css", 0, 4, 4, 6),
    bits("mps", 0, 4, 7, 10),
    bits("ams", 0, 4, 11, 13),
    bits("shn", 0, 4, 14, 15),
    bits("iosqes", 0, 4, 16, 19),
    bits("iocqes", 0, 4, 20, 23),
    bits("crime", 0, 4, 24, 24),
  ] as const,
  { section: "Base 2.1 §3.1.4.5" },
);

/** Controller Status (CSTS, offset 1Ch, Base 2.1 §3.1.4.6). */
export const CSTS: Layout<CSTSValue> = defineStruct(
  "CSTS",
  4,
  [
    bits("rdy", 0, 4, 0, 0),
    bits("cfs", 0, 4, 1, 1),
    bits("shst", 0, 4, 2, 3),
    bits("nssro", 0, 4, 4, 4),
    bits("pp", 0, 4, 5, 5),
    bits("st", 0, 4, 6, 6),
  ] as const,
  { section: "Base 2.1 §3.1.4.6", libnvmeNames: { st: null } },
);

/** NVM Subsystem Reset (NSSR, offset 20h, Base 2.1 §3.1.4.7): write "NVMe" (4E564D65h). */
export const NSSR: Layout<NSSRValue> = defineStruct("NSSR", 4, [u32("nssrc", 0)] as const, {
  section: "Base 2.1 §3.1.4.7",
});

/** Admin Queue Attributes (AQA, offset 24h, Base 2.1 §3.1.4.8): 0's based sizes. */
export const AQA: Layout<AQAValue> = defineStruct(
  "AQA",
  4,
  [
    bits("asqs", 0, 4, 0, 11),
    bits("acqs", 0, 4, 16, 27),
  ] as const,
  { section: "Base 2.1 §3.1.4.8" },
);

/** Admin Submission Queue Base Address (ASQ, offset 28h): bits 11:0 reserved (page aligned). */
export const ASQ: Layout<ASQValue> = defineStruct("ASQ", 8, [q("asqb", 12, 63)] as const, {
  section: "Base 2.1 §3.1.4.9",
  libnvmeNames: { asqb: null },
});

/** Admin Completion Queue Base Address (ACQ, offset 30h): bits 11:0 reserved. */
export const ACQ: Layout<ACQValue> = defineStruct("ACQ", 8, [q("acqb", 12, 63)] as const, {
  section: "Base 2.1 §3.1.4.10",
  libnvmeNames: { acqb: null },
});

/** Controller Memory Buffer Location (CMBLOC, offset 38h, Base 2.1 §3.1.4.11). */
export const CMBLOC: Layout<CMBLOCValue> = defineStruct(
  "CMBLOC",
  4,
  [
    bits("bir", 0, 4, 0, 2),
    bits("cqmms", 0, 4, 3, 3),
    bits("cqpds", 0, 4, 4, 4),
    bits("cdpmls", 0, 4, 5, 5),
    bits("cdpcils", 0, 4, 6, 6),
    bits("cdmmms", 0, 4, 7, 7),
    bits("cqda", 0, 4, 8, 8),
    bits("ofst", 0, 4, 12, 31),
  ] as const,
  { section: "Base 2.1 §3.1.4.11", libnvmeNames: { cdpmls: "CDPLMS" } },
);

/** Controller Memory Buffer Size (CMBSZ, offset 3Ch, Base 2.1 §3.1.4.12). */
export const CMBSZ: Layout<CMBSZValue> = defineStruct(
  "CMBSZ",
  4,
  [
    bits("sqs", 0, 4, 0, 0),
    bits("cqs", 0, 4, 1, 1),
    bits("lists", 0, 4, 2, 2),
    bits("rds", 0, 4, 3, 3),
    bits("wds", 0, 4, 4, 4),
    bits("szu", 0, 4, 8, 11),
    bits("sz", 0, 4, 12, 31),
  ] as const,
  { section: "Base 2.1 §3.1.4.12" },
);

/** Boot Partition Information (BPINFO, offset 40h, Base 2.1 §3.1.4.13). */
export const BPINFO: Layout<BPINFOValue> = defineStruct(
  "BPINFO",
  4,
  [
    bits("bpsz", 0, 4, 0, 14),
    bits("brs", 0, 4, 24, 25),
    bits("abpid", 0, 4, 31, 31),
  ] as const,
  { section: "Base 2.1 §3.1.4.13" },
);

/** Boot Partition Read Select (BPRSEL, offset 44h, Base 2.1 §3.1.4.14). */
export const BPRSEL: Layout<BPRSELValue> = defineStruct(
  "BPRSEL",
  4,
  [
    bits("bprsz", 0, 4, 0, 9),
    bits("bprof", 0, 4, 10, 29),
    bits("bpid", 0, 4, 31, 31),
  ] as const,
  { section: "Base 2.1 §3.1.4.14" },
);

/** Boot Partition Memory Buffer Location (BPMBL, offset 48h, Base 2.1 §3.1.4.15). */
export const BPMBL: Layout<BPMBLValue> = defineStruct("BPMBL", 8, [q("bmbba", 12, 63)] as const, {
  section: "Base 2.1 §3.1.4.15",
});

/** Controller Memory Buffer Memory Space Control (CMBMSC, offset 50h, Base 2.1 §3.1.4.16). */
export const CMBMSC: Layout<CMBMSCValue> = defineStruct(
  "CMBMSC",
  8,
  [
    q("cre", 0, 0),
    q("cmse", 1, 1),
    q("cba", 12, 63),
  ] as const,
  { section: "Base 2.1 §3.1.4.16" },
);

/** Controller Memory Buffer Status (CMBSTS, offset 58h, Base 2.1 §3.1.4.17). */
export const CMBSTS: Layout<CMBSTSValue> = defineStruct(
  "CMBSTS",
  4,
  [bits("cbai", 0, 4, 0, 0)] as const,
  {
    section: "Base 2.1 §3.1.4.17",
  },
);

/** Controller Memory Buffer Elasticity Buffer Size (CMBEBS, offset 5Ch, Base 2.1 §3.1.4.18). */
export const CMBEBS: Layout<CMBEBSValue> = defineStruct(
  "CMBEBS",
  4,
  [
    bits("cmbszu", 0, 4, 0, 3),
    bits("cmbrbb", 0, 4, 4, 4),
    bits("cmbwbz", 0, 4, 8, 31),
  ] as const,
  { section: "Base 2.1 §3.1.4.18" },
);

/** CMB Sustained Write Throughput (CMBSWTP, offset 60h, Base 2.1 §3.1.4.19). */
export const CMBSWTP: Layout<CMBSWTPValue> = defineStruct(
  "CMBSWTP",
  4,
  [
    bits("cmbswtu", 0, 4, 0, 3),
    bits("cmbswtv", 0, 4, 8, 31),
  ] as const,
  { section: "Base 2.1 §3.1.4.19" },
);

/** NVM Subsystem Shutdown (NSSD, offset 64h, Base 2.1 §3.1.4.20). */
export const NSSD: Layout<NSSDValue> = defineStruct("NSSD", 4, [u32("nssc", 0)] as const, {
  section: "Base 2.1 §3.1.4.20",
});

/** Controller Ready Timeouts (CRTO, offset 68h, Base 2.1 §3.1.4.21): 500 ms units. */
export const CRTO: Layout<CRTOValue> = defineStruct(
  "CRTO",
  4,
  [
    bits("crwmt", 0, 4, 0, 15),
    bits("crimt", 0, 4, 16, 31),
  ] as const,
  { section: "Base 2.1 §3.1.4.21", libnvmeNames: { crwmt: null, crimt: null } },
);

/** Persistent Memory Capabilities (PMRCAP, offset E00h, Base 2.1 §3.1.4.22). */
export const PMRCAP: Layout<PMRCAPValue> = defineStruct(
  "PMRCAP",
  4,
  [
    bits("rds", 0, 4, 3, 3),
    bits("wds", 0, 4, 4, 4),
    bits("bir", 0, 4, 5, 7),
    bits("pmrtu", 0, 4, 8, 9),
    bits("pmrwbm", 0, 4, 10, 13),
    bits("pmrto", 0, 4, 16, 23),
    bits("cmss", 0, 4, 24, 24),
  ] as const,
  { section: "Base 2.1 §3.1.4.22" },
);

/** Persistent Memory Region Control (PMRCTL, offset E04h). */
export const PMRCTL: Layout<PMRCTLValue> = defineStruct(
  "PMRCTL",
  4,
  [bits("en", 0, 4, 0, 0)] as const,
  {
    section: "Base 2.1 §3.1.4.23",
  },
);

/** Persistent Memory Region Status (PMRSTS, offset E08h). */
export const PMRSTS: Layout<PMRSTSValue> = defineStruct(
  "PMRSTS",
  4,
  [
    bits("err", 0, 4, 0, 7),
    bits("nrdy", 0, 4, 8, 8),
    bits("hsts", 0, 4, 9, 11),
    bits("cbai", 0, 4, 12, 12),
  ] as const,
  { section: "Base 2.1 §3.1.4.24" },
);

/** Persistent Memory Region Elasticity Buffer Size (PMREBS, offset E0Ch). */
export const PMREBS: Layout<PMREBSValue> = defineStruct(
  "PMREBS",
  4,
  [
    bits("pmrszu", 0, 4, 0, 3),
    bits("rbb", 0, 4, 4, 4),
    bits("pmrwbz", 0, 4, 8, 31),
  ] as const,
  { section: "Base 2.1 §3.1.4.25" },
);

/** PMR Sustained Write Throughput (PMRSWTP, offset E10h). */
export const PMRSWTP: Layout<PMRSWTPValue> = defineStruct(
  "PMRSWTP",
  4,
  [
    bits("pmrswtu", 0, 4, 0, 3),
    bits("pmrswtv", 0, 4, 8, 31),
  ] as const,
  { section: "Base 2.1 §3.1.4.26" },
);

/** PMR Controller Memory Space Control Lower (PMRMSCL, offset E14h). */
export const PMRMSCL: Layout<PMRMSCLValue> = defineStruct(
  "PMRMSCL",
  4,
  [
    bits("cmse", 0, 4, 1, 1),
    bits("cba", 0, 4, 12, 31),
  ] as const,
  { section: "Base 2.1 §3.1.4.27" },
);

/** PMR Controller Memory Space Control Upper (PMRMSCU, offset E18h). */
export const PMRMSCU: Layout<PMRMSCUValue> = defineStruct("PMRMSCU", 4, [u32("cba", 0)] as const, {
  section: "Base 2.1 §3.1.4.28",
});

/** One entry of the register map. */
export interface RegisterInfo {
  /** Mnemonic, as libnvme's `NVME_REG_*` spells it (lower case). */
  readonly name: string;
  /** Offset in BAR0. */
  readonly offset: number;
  /** Width: 4 or 8 bytes. 8-byte registers may also be accessed as two dwords. */
  readonly size: 4 | 8;
  /** The field table of the register's value. */
  readonly layout: Struct;
  /** Host access: read-only, read/write, or write-only (NSSR, NSSD read back 0). */
  readonly access: "RO" | "RW" | "WO";
}

function reg(
  name: string,
  offset: number,
  size: 4 | 8,
  layout: Struct,
  access: RegisterInfo["access"],
): RegisterInfo {
  return Object.freeze({ name, offset, size, layout, access });
}

/** The register map in offset order. Doorbells follow at 1000h. */
export const REGISTERS: readonly RegisterInfo[] = Object.freeze([
  reg("cap", 0x00, 8, CAP, "RO"),
  reg("vs", 0x08, 4, VS, "RO"),
  reg("intms", 0x0c, 4, INTMS, "RW"),
  reg("intmc", 0x10, 4, INTMC, "RW"),
  reg("cc", 0x14, 4, CC, "RW"),
  reg("csts", 0x1c, 4, CSTS, "RW"),
  reg("nssr", 0x20, 4, NSSR, "WO"),
  reg("aqa", 0x24, 4, AQA, "RW"),
  reg("asq", 0x28, 8, ASQ, "RW"),
  reg("acq", 0x30, 8, ACQ, "RW"),
  reg("cmbloc", 0x38, 4, CMBLOC, "RO"),
  reg("cmbsz", 0x3c, 4, CMBSZ, "RO"),
  reg("bpinfo", 0x40, 4, BPINFO, "RO"),
  reg("bprsel", 0x44, 4, BPRSEL, "RW"),
  reg("bpmbl", 0x48, 8, BPMBL, "RW"),
  reg("cmbmsc", 0x50, 8, CMBMSC, "RW"),
  reg("cmbsts", 0x58, 4, CMBSTS, "RO"),
  reg("cmbebs", 0x5c, 4, CMBEBS, "RO"),
  reg("cmbswtp", 0x60, 4, CMBSWTP, "RO"),
  reg("nssd", 0x64, 4, NSSD, "WO"),
  reg("crto", 0x68, 4, CRTO, "RO"),
  reg("pmrcap", 0xe00, 4, PMRCAP, "RO"),
  reg("pmrctl", 0xe04, 4, PMRCTL, "RW"),
  reg("pmrsts", 0xe08, 4, PMRSTS, "RO"),
  reg("pmrebs", 0xe0c, 4, PMREBS, "RO"),
  reg("pmrswtp", 0xe10, 4, PMRSWTP, "RO"),
  reg("pmrmscl", 0xe14, 4, PMRMSCL, "RW"),
  reg("pmrmscu", 0xe18, 4, PMRMSCU, "RW"),
]);

/** BAR0 offsets of the registers, by mnemonic, for hot paths. */
export const RegisterOffset = {
  CAP: 0x00,
  VS: 0x08,
  INTMS: 0x0c,
  INTMC: 0x10,
  CC: 0x14,
  CSTS: 0x1c,
  NSSR: 0x20,
  AQA: 0x24,
  ASQ: 0x28,
  ACQ: 0x30,
  CMBLOC: 0x38,
  CMBSZ: 0x3c,
  BPINFO: 0x40,
  BPRSEL: 0x44,
  BPMBL: 0x48,
  CMBMSC: 0x50,
  CMBSTS: 0x58,
  CMBEBS: 0x5c,
  CMBSWTP: 0x60,
  NSSD: 0x64,
  CRTO: 0x68,
  PMRCAP: 0xe00,
  PMRCTL: 0xe04,
  PMRSTS: 0xe08,
  PMREBS: 0xe0c,
  PMRSWTP: 0xe10,
  PMRMSCL: 0xe14,
  PMRMSCU: 0xe18,
} as const;

/** The register file from 00h to FFFh as one structure (whole-register fields). */
export const ControllerRegisters: Layout<ControllerRegistersValue> = defineStruct(
  "ControllerRegisters",
  0x1000,
  [
    u64("cap", 0x00),
    u32("vs", 0x08),
    u32("intms", 0x0c),
    u32("intmc", 0x10),
    u32("cc", 0x14),
    rsvd(0x18, 4),
    u32("csts", 0x1c),
    u32("nssr", 0x20),
    u32("aqa", 0x24),
    u64("asq", 0x28),
    u64("acq", 0x30),
    u32("cmbloc", 0x38),
    u32("cmbsz", 0x3c),
    u32("bpinfo", 0x40),
    u32("bprsel", 0x44),
    u64("bpmbl", 0x48),
    u64("cmbmsc", 0x50),
    u32("cmbsts", 0x58),
    u32("cmbebs", 0x5c),
    u32("cmbswtp", 0x60),
    u32("nssd", 0x64),
    u32("crto", 0x68),
    rsvd(0x6c, 0xe00 - 0x6c),
    u32("pmrcap", 0xe00),
    u32("pmrctl", 0xe04),
    u32("pmrsts", 0xe08),
    u32("pmrebs", 0xe0c),
    u32("pmrswtp", 0xe10),
    u32("pmrmscl", 0xe14),
    u32("pmrmscu", 0xe18),
    rsvd(0xe1c, 0x1000 - 0xe1c),
  ] as const,
  { section: "Base 2.1 §3.1.4" },
);

/** NSSR.NSSRC value that starts an NVM Subsystem Reset: ASCII "NVMe" (Base 2.1 §3.1.4.7). */
export const NSSR_RESET_VALUE = 0x4e564d65;

/** CC.SHN values. */
export const ShutdownNotification = {
  /** No notification; no effect. */
  NONE: 0,
  /** Normal shutdown notification. */
  NORMAL: 1,
  /** Abrupt shutdown notification. */
  ABRUPT: 2,
} as const;

/** CSTS.SHST values. */
export const ShutdownStatus = {
  /** Normal operation (no shutdown has been requested). */
  NORMAL: 0,
  /** Shutdown processing occurring. */
  OCCURRING: 1,
  /** Shutdown processing complete. */
  COMPLETE: 2,
} as const;

/** CC.CSS values. */
export const CommandSetSelected = {
  /** NVM Command Set (requires CAP.CSS bit 0). */
  NVM: 0,
  /** All supported I/O Command Sets (requires CAP.CSS bit 6). */
  ALL_IO: 6,
  /** Admin Command Set only (requires CAP.CSS bit 7). */
  ADMIN_ONLY: 7,
} as const;

/** CAP.CSS bits. */
export const CapCssBit = {
  /** NVM Command Set supported. */
  NVM: 0,
  /** One or more I/O Command Sets supported (CC.CSS = 110b allowed). */
  IO_COMMAND_SETS: 6,
  /** No I/O Command Set (admin only) supported. */
  ADMIN_ONLY: 7,
} as const;

/** CC.AMS / CAP.AMS values (Base 2.1 §3.4.4 arbitration). */
export const ArbitrationMechanism = {
  /** Round Robin: always supported. */
  ROUND_ROBIN: 0,
  /** Weighted Round Robin with Urgent Priority Class (CAP.AMS bit 0). */
  WEIGHTED_ROUND_ROBIN: 1,
  /** Vendor Specific (CAP.AMS bit 1). */
  VENDOR_SPECIFIC: 7,
} as const;

/** The memory page size selected by CC.MPS or bounded by CAP.MPSMIN/MPSMAX: `2^(12 + mps)`. */
export function memoryPageSize(mps: number): number {
  return 2 ** (12 + mps);
}

/** CAP.TO / CRTO timeouts are in 500 ms units; this converts to nanoseconds. */
export function timeoutUnitsToNs(units: number): number {
  return units * 500_000_000;
}

/** Decodes a register value: {@linkcode decodeValue} under the name people look for. */
export const decodeRegister: typeof decodeValue = decodeValue;
/** Encodes register fields into a value: {@linkcode encodeValue} under the name people look for. */
export const encodeRegister: typeof encodeValue = encodeValue;

/**
 * Single-bit masks of CC and CSTS that hosts and controllers test on every poll, derived from the
 * {@linkcode CC} and {@linkcode CSTS} layouts so the bit positions live in one place
 * (Base 2.1 §3.1.4.5, §3.1.4.6).
 *
 * @example
 * ```ts
 * import { CcBit, CstsBit } from "./registers.ts";
 * const csts = 0x3; // RDY and CFS
 * if (!(csts & CstsBit.CFS) || CcBit.EN !== 1) throw new Error();
 * ```
 */
export const CcBit: Readonly<{ EN: number }> = Object.freeze({
  /** CC.EN: enable. */
  EN: Number(encodeRegister(CC, { en: 1 })),
});

/** Single-bit masks of CSTS (Base 2.1 §3.1.4.6); see {@linkcode CcBit}. */
export const CstsBit: Readonly<{ RDY: number; CFS: number; NSSRO: number; PP: number }> = Object
  .freeze({
    /** CSTS.RDY: ready to process commands. */
    RDY: Number(encodeRegister(CSTS, { rdy: 1 })),
    /** CSTS.CFS: controller fatal status; sticky until the controller is reset. */
    CFS: Number(encodeRegister(CSTS, { cfs: 1 })),
    /** CSTS.NSSRO: an NVM Subsystem Reset occurred (RW1C). */
    NSSRO: Number(encodeRegister(CSTS, { nssro: 1 })),
    /** CSTS.PP: processing paused. */
    PP: Number(encodeRegister(CSTS, { pp: 1 })),
  });
