/**
 * The 16-byte Completion Queue Entry (Base 2.1 §4.2.1, Admin Command and I/O Command Common CQE)
 * and its Status Field (§4.2.3): phase tag, status code, status code type, CRD, More, DNR.
 *
 * @example Pack and unpack a status
 * ```ts
 * import { packStatus, unpackStatus } from "./cqe.ts";
 * const field = packStatus({ sct: 1, sc: 0x01, dnr: 1 }, 1); // Invalid Queue Identifier, phase 1
 * const s = unpackStatus(field);
 * if (s.sct !== 1 || s.sc !== 1 || s.dnr !== 1 || s.p !== 1) throw new Error();
 * ```
 *
 * @module
 */

import { bits, defineStruct, type Layout, u16, u32 } from "./struct.ts";
import type { CompletionQueueEntryValue } from "./value_types.ts";

/** Size of a Completion Queue Entry in bytes (CC.IOCQES = 4). */
export const CQE_SIZE = 16;
/** log2 of {@linkcode CQE_SIZE}: the value written to CC.IOCQES. */
export const CQE_SIZE_SHIFT = 4;

/** Byte offset of the 16-bit Status Field (with the phase tag in bit 0) in a CQE. */
export const CQE_STATUS_OFFSET = 14;

/** The Common Completion Queue Entry. */
export const CompletionQueueEntry: Layout<CompletionQueueEntryValue> = defineStruct(
  "CompletionQueueEntry",
  CQE_SIZE,
  [
    u32("dw0", 0),
    u32("dw1", 4),
    u16("sqhd", 8),
    u16("sqid", 10),
    u16("cid", 12),
    bits("p", 14, 2, 0, 0),
    bits("sc", 14, 2, 1, 8),
    bits("sct", 14, 2, 9, 11),
    bits("crd", 14, 2, 12, 13),
    bits("m", 14, 2, 14, 14),
    bits("dnr", 14, 2, 15, 15),
  ] as const,
  { section: "Base 2.1 §4.2.1 (Common Completion Queue Entry)", libnvme: null },
);

/** The parts of a Status Field. */
export interface StatusParts {
  /** Phase Tag. */
  readonly p: number;
  /** Status Code. */
  readonly sc: number;
  /** Status Code Type. */
  readonly sct: number;
  /** Command Retry Delay: index into Identify Controller CRDT1..3 (0 = none). */
  readonly crd: number;
  /** More: more status information in the Error Information log page. */
  readonly m: number;
  /** Do Not Retry. */
  readonly dnr: number;
}

/** Packs the 16-bit Status Field (phase tag in bit 0). Missing parts are zero. */
export function packStatus(s: Partial<Omit<StatusParts, "p">>, phase: number): number {
  return ((phase & 1) | ((s.sc ?? 0) & 0xff) << 1 | ((s.sct ?? 0) & 7) << 9 |
    ((s.crd ?? 0) & 3) << 12 | ((s.m ?? 0) & 1) << 14 | ((s.dnr ?? 0) & 1) << 15) & 0xffff;
}

/** Unpacks a 16-bit Status Field. */
export function unpackStatus(field: number): StatusParts {
  return {
    p: field & 1,
    sc: (field >>> 1) & 0xff,
    sct: (field >>> 9) & 7,
    crd: (field >>> 12) & 3,
    m: (field >>> 14) & 1,
    dnr: (field >>> 15) & 1,
  };
}

/**
 * The status without the phase tag, as an 15-bit value `DNR<<14 | M<<13 | CRD<<11 | SCT<<8 | SC`:
 * the form QEMU's trace events and libnvme's `NVME_SC_*` use (e.g. 0x4001 = Invalid Opcode + DNR).
 */
export function statusValue(field: number): number {
  return (field >>> 1) & 0x7fff;
}

/** Status Code Type values (Base 2.1 §4.2.3). */
export const StatusCodeType = {
  /** Generic Command Status. */
  GENERIC: 0,
  /** Command Specific Status. */
  COMMAND_SPECIFIC: 1,
  /** Media and Data Integrity Errors. */
  MEDIA: 2,
  /** Path Related Status. */
  PATH: 3,
  /** Vendor Specific. */
  VENDOR: 7,
} as const;
