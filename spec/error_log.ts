/**
 * The Error Information log page (Log Identifier 01h, Base 2.1 §5.1.12.1.2): an array of 64-byte
 * Error Information Log Entries, newest first, ELPE + 1 of them.
 *
 * @module
 */

import { defineStruct, type Layout, rsvd, u16, u32, u64, u8 } from "./struct.ts";
import type { ErrorInformationLogEntryValue } from "./value_types.ts";

/** Size of one Error Information Log Entry in bytes. */
export const ERROR_LOG_ENTRY_SIZE = 64;

/**
 * Error Information Log Entry (Base 2.1 §5.1.12.1.2): libnvme `struct nvme_error_log_page`
 * (one entry, despite the name).
 */
export const ErrorInformationLogEntry: Layout<ErrorInformationLogEntryValue> = defineStruct(
  "ErrorInformationLogEntry",
  ERROR_LOG_ENTRY_SIZE,
  [
    u64("error_count", 0), // 0 marks an invalid (unused) entry
    u16("sqid", 8), // FFFFh when not associated with a command
    u16("cmdid", 10),
    u16("status_field", 12), // bit 0 Phase Tag, bits 15:1 the Status field of the CQE
    u16("parm_error_location", 14), // bits 7:0 byte, bits 10:8 bit within the command
    u64("lba", 16),
    u32("nsid", 24),
    u8("vs", 28), // Vendor Specific Information Available (a log page identifier)
    u8("trtype", 29), // Transport Type
    u8("csi", 30), // Command Set Indicator
    u8("opcode", 31), // Opcode of the command that failed
    u64("cs", 32), // Command Specific Information
    u16("trtype_spec_info", 40), // Transport Type Specific Information
    rsvd(42, 21),
    u8("log_page_version", 63), // LPVER
  ],
  {
    section: "Base 2.1 §5.1.12.1.2 (Error Information Log Entry)",
    libnvme: "nvme_error_log_page",
    libnvmeNames: {
      // Defined by Base 2.x; libnvme 1.3 still has rsvd[2] at 30 and rsvd2[22] at 42.
      csi: null,
      opcode: null,
      log_page_version: null,
    },
  },
);

/** Bit ranges of an entry's `status_field`. */
export const ErrorStatusField = {
  /** Bit 0: the Phase Tag of the completion that reported the error. */
  PHASE: [0, 0] as const,
  /** Bits 15:1: the CQE Status field (SC, SCT, CRD, M, DNR). */
  STATUS: [1, 15] as const,
} as const;

/** Bit ranges of an entry's `parm_error_location`. */
export const ErrorParamLocation = {
  /** Bits 7:0: byte offset of the failing parameter in the command (or in the data). */
  BYTE: [0, 7] as const,
  /** Bits 10:8: bit within that byte. */
  BIT: [8, 10] as const,
} as const;

/** The SQID and parameter location value meaning "not applicable". */
export const ERROR_LOG_NOT_APPLICABLE = 0xffff;
