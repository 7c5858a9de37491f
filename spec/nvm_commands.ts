/**
 * NVM Command Set I/O command layouts (NVM Command Set 1.1 §3.3, Flush in Base 2.1 §7.2) and the
 * data structures they carry (Dataset Management ranges, Copy source ranges). NLB is 0's based.
 *
 * @example A 4-block read at LBA 0x100 with FUA
 * ```ts
 * import { Read } from "./nvm_commands.ts";
 * import { NvmOpcode } from "./opcodes.ts";
 * const sqe = Read.encode({ opcode: NvmOpcode.READ, cid: 1, nsid: 1, slba: 0x100, nlb: 3, fua: 1 });
 * const d = Read.decode(sqe);
 * if (d.slba !== 0x100n || d.nlb !== 3 || d.fua !== 1) throw new Error();
 * ```
 *
 * @module
 */

import { commandStruct } from "./_command.ts";
import { defineStruct, dwBits, type Layout, rsvd, u16, u32, u64 } from "./struct.ts";
import type {
  CompareValue,
  CopySourceRangeValue,
  CopyValue,
  DatasetManagementValue,
  DsmRangeValue,
  FlushValue,
  ReadValue,
  VerifyValue,
  WriteUncorrectableValue,
  WriteValue,
  WriteZeroesValue,
} from "./value_types.ts";

const slba = u64("slba", 40);
// CDW14..15: end-to-end protection reference/application tags, shared by the data commands.
const e2e = [u32("eilbrt", 56), dwBits("elbat", 60, 0, 15), dwBits("elbatm", 60, 16, 31)] as const;

/** Flush (opcode 00h, Base 2.1 §7.2): NSID FFFFFFFFh flushes all namespaces if VWC allows. */
export const Flush: Layout<FlushValue> = commandStruct("Flush", "Base 2.1 §7.2", [] as const);

/** Read (opcode 02h, NVM CS 1.1 §3.3.4). */
export const Read: Layout<ReadValue> = commandStruct(
  "Read",
  "NVM CS 1.1 §3.3.4",
  [
    slba,
    dwBits("nlb", 48, 0, 15),
    dwBits("stc", 48, 24, 24),
    dwBits("prinfo", 48, 26, 29),
    dwBits("fua", 48, 30, 30),
    dwBits("lr", 48, 31, 31),
    dwBits("dsm", 52, 0, 7),
    ...e2e,
  ] as const,
);

/** Write (opcode 01h, NVM CS 1.1 §3.3.6). */
export const Write: Layout<WriteValue> = commandStruct(
  "Write",
  "NVM CS 1.1 §3.3.6",
  [
    slba,
    dwBits("nlb", 48, 0, 15),
    dwBits("dtype", 48, 20, 23),
    dwBits("stc", 48, 24, 24),
    dwBits("prinfo", 48, 26, 29),
    dwBits("fua", 48, 30, 30),
    dwBits("lr", 48, 31, 31),
    dwBits("dsm", 52, 0, 7),
    dwBits("dspec", 52, 16, 31),
    ...e2e,
  ] as const,
);

/** Compare (opcode 05h, NVM CS 1.1 §3.3.1): Compare Failure when the data differ. */
export const Compare: Layout<CompareValue> = commandStruct(
  "Compare",
  "NVM CS 1.1 §3.3.1",
  [
    slba,
    dwBits("nlb", 48, 0, 15),
    dwBits("stc", 48, 24, 24),
    dwBits("prinfo", 48, 26, 29),
    dwBits("fua", 48, 30, 30),
    dwBits("lr", 48, 31, 31),
    ...e2e,
  ] as const,
);

/** Write Uncorrectable (opcode 04h, NVM CS 1.1 §3.3.7): no data transfer. */
export const WriteUncorrectable: Layout<WriteUncorrectableValue> = commandStruct(
  "WriteUncorrectable",
  "NVM CS 1.1 §3.3.7",
  [
    slba,
    dwBits("nlb", 48, 0, 15),
  ] as const,
);

/** Write Zeroes (opcode 08h, NVM CS 1.1 §3.3.8): DEAC asks to deallocate as well. */
export const WriteZeroes: Layout<WriteZeroesValue> = commandStruct(
  "WriteZeroes",
  "NVM CS 1.1 §3.3.8",
  [
    slba,
    dwBits("nlb", 48, 0, 15),
    dwBits("stc", 48, 24, 24),
    dwBits("deac", 48, 25, 25),
    dwBits("prinfo", 48, 26, 29),
    dwBits("fua", 48, 30, 30),
    dwBits("lr", 48, 31, 31),
    ...e2e,
  ] as const,
);

/** Verify (opcode 0Ch, NVM CS 1.1 §3.3.5): reads and checks without transferring data. */
export const Verify: Layout<VerifyValue> = commandStruct(
  "Verify",
  "NVM CS 1.1 §3.3.5",
  [
    slba,
    dwBits("nlb", 48, 0, 15),
    dwBits("stc", 48, 24, 24),
    dwBits("prinfo", 48, 26, 29),
    dwBits("fua", 48, 30, 30),
    dwBits("lr", 48, 31, 31),
    ...e2e,
  ] as const,
);

/**
 * Dataset Management (opcode 09h, NVM CS 1.1 §3.3.3): NR is the 0's based number of 16-byte
 * ranges in the data buffer; AD asks to deallocate them.
 */
export const DatasetManagement: Layout<DatasetManagementValue> = commandStruct(
  "DatasetManagement",
  "NVM CS 1.1 §3.3.3",
  [
    dwBits("nr", 40, 0, 7),
    dwBits("idr", 44, 0, 0),
    dwBits("idw", 44, 1, 1),
    dwBits("ad", 44, 2, 2),
  ] as const,
);

/** Copy (opcode 19h, NVM CS 1.1 §3.3.2): NR is the 0's based number of source ranges. */
export const Copy: Layout<CopyValue> = commandStruct(
  "Copy",
  "NVM CS 1.1 §3.3.2",
  [
    u64("sdlba", 40),
    dwBits("nr", 48, 0, 7),
    dwBits("desfmt", 48, 8, 11),
    dwBits("prinfor", 48, 12, 15),
    dwBits("dtype", 48, 20, 23),
    dwBits("stcw", 48, 24, 24),
    dwBits("prinfow", 48, 26, 29),
    dwBits("fua", 48, 30, 30),
    dwBits("lr", 48, 31, 31),
    dwBits("dspec", 52, 16, 31),
    ...e2e,
  ] as const,
);

/** Dataset Management range (16 bytes, NVM CS 1.1 §3.3.3.1). NLB here is NOT 0's based. */
export const DsmRange: Layout<DsmRangeValue> = defineStruct(
  "DsmRange",
  16,
  [
    u32("cattr", 0),
    u32("nlb", 4),
    u64("slba", 8),
  ] as const,
  { section: "NVM CS 1.1 §3.3.3.1 (Dataset Management Range)", libnvme: "nvme_dsm_range" },
);

/** Copy Source Range Entry, descriptor format 0h (32 bytes, NVM CS 1.1 §3.3.2.1). NLB 0's based. */
export const CopySourceRange: Layout<CopySourceRangeValue> = defineStruct(
  "CopySourceRange",
  32,
  [
    rsvd(0, 8),
    u64("slba", 8),
    u16("nlb", 16),
    rsvd(18, 6),
    u32("eilbrt", 24),
    u16("elbatm", 28),
    u16("elbat", 30),
  ] as const,
  {
    section: "NVM CS 1.1 §3.3.2.1 (Source Range Entries Descriptor Format 0h)",
    libnvme: "nvme_copy_range",
  },
);

/** Size of one Dataset Management range in bytes. */
export const DSM_RANGE_SIZE = 16;
/** Maximum number of Dataset Management ranges (NR is 8 bits, 0's based). */
export const DSM_MAX_RANGES = 256;
