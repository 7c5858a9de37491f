/**
 * The 64-byte Submission Queue Entry (Base 2.1 §4.1.1, Figure 92 Common Command Format) and its
 * data pointer forms: PRP Entry 1/2 (§4.3.1) or one SGL descriptor (§4.3.2), chosen by CDW0.PSDT.
 *
 * @module
 */

import { bits, defineStruct, type Layout, rsvd, u16, u32, u64, u8 } from "./struct.ts";
import type { SubmissionQueueEntrySglValue, SubmissionQueueEntryValue } from "./value_types.ts";

/** Size of a Submission Queue Entry in bytes (CC.IOSQES = 6). */
export const SQE_SIZE = 64;
/** log2 of {@linkcode SQE_SIZE}: the value written to CC.IOSQES. */
export const SQE_SIZE_SHIFT = 6;

/** The common header: CDW0 (opcode, FUSE, PSDT, CID), NSID, CDW2, CDW3, MPTR (bytes 0..23). */
export const sqeHeader = [
  u8("opcode", 0),
  bits("fuse", 1, 1, 0, 1),
  bits("psdt", 1, 1, 6, 7),
  u16("cid", 2),
  u32("nsid", 4),
  u32("cdw2", 8),
  u32("cdw3", 12),
  u64("mptr", 16),
] as const;

/** The data pointer as PRP Entry 1 and PRP Entry 2 (bytes 24..39). */
export const sqeDptrPrp = [u64("prp1", 24), u64("prp2", 32)] as const;

/** The data pointer as one SGL descriptor (bytes 24..39, Base 2.1 §4.3.2). */
export const sqeDptrSgl = [
  u64("sgl_addr", 24),
  u32("sgl_len", 32),
  rsvd(36, 3),
  bits("sgl_subtype", 39, 1, 0, 3),
  bits("sgl_type", 39, 1, 4, 7),
] as const;

/** Command dwords 10..15 as plain dwords (bytes 40..63). */
export const sqeCdw10To15 = [
  u32("cdw10", 40),
  u32("cdw11", 44),
  u32("cdw12", 48),
  u32("cdw13", 52),
  u32("cdw14", 56),
  u32("cdw15", 60),
] as const;

/** The common command format with a PRP data pointer (Base 2.1 §4.1.1). */
export const SubmissionQueueEntry: Layout<SubmissionQueueEntryValue> = defineStruct(
  "SubmissionQueueEntry",
  SQE_SIZE,
  [...sqeHeader, ...sqeDptrPrp, ...sqeCdw10To15],
  { section: "Base 2.1 §4.1.1 (Common Command Format)", libnvme: null },
);

/** The common command format with an SGL data pointer (PSDT = 01b or 10b). */
export const SubmissionQueueEntrySgl: Layout<SubmissionQueueEntrySglValue> = defineStruct(
  "SubmissionQueueEntrySgl",
  SQE_SIZE,
  [...sqeHeader, ...sqeDptrSgl, ...sqeCdw10To15],
  { section: "Base 2.1 §4.1.1 and §4.3.2 (SGL)", libnvme: null },
);

/** FUSE values (Base 2.1 CDW0 bits 9:8). */
export const Fuse = {
  /** Normal operation. */
  NORMAL: 0,
  /** First command of a fused operation. */
  FIRST: 1,
  /** Second command of a fused operation. */
  SECOND: 2,
} as const;

/** PSDT values: PRP or SGL for data transfer (Base 2.1 CDW0 bits 15:14). */
export const Psdt = {
  /** PRPs are used. */
  PRP: 0,
  /** SGLs, MPTR is the address of a contiguous metadata buffer. */
  SGL_MPTR_CONTIG: 1,
  /** SGLs, MPTR is the address of an SGL segment with one descriptor. */
  SGL_MPTR_SGL: 2,
} as const;
