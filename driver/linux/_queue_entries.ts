/**
 * The Submission and Completion Queue Entry as the Linux-like driver writes and reads them with a
 * `DataView` (Base 2.1 §4.1.1 Figure 92, §4.2.1): field byte offsets (and the PSDT bits) taken
 * once from the spec layouts — module-level numbers, so the I/O path does no lookup per command —
 * and the SQE fill and CQE read of `nvme_setup_cmd` / `nvme_handle_cqe`.
 *
 * @module
 */

import { CompletionQueueEntry, CQE_STATUS_OFFSET } from "../../spec/cqe.ts";
import { SubmissionQueueEntry, SubmissionQueueEntrySgl } from "../../spec/sqe.ts";
import { STATUS_CODE_MASK } from "../../spec/status.ts";
import type { UintField } from "../../spec/struct.ts";
import type { DriverCommand, DriverCompletion } from "../model.ts";

const sqe = (name: string): number => SubmissionQueueEntry.field(name).offset;
const cqe = (name: string): number => CompletionQueueEntry.field(name).offset;
const psdt = SubmissionQueueEntry.field("psdt") as UintField;
const [psdtLo, psdtHi] = psdt.bits ?? [0, 7];

/** SQE CDW0.OPC. */
export const SQE_OPCODE: number = sqe("opcode");
/** SQE byte holding CDW0.PSDT (CDW0 bits 15:14). */
export const SQE_PSDT: number = psdt.offset;
/** Shift of PSDT inside the byte at {@linkcode SQE_PSDT}. */
export const PSDT_SHIFT: number = psdtLo;
/** PSDT's bits inside the byte at {@linkcode SQE_PSDT}. */
export const PSDT_MASK: number = ((1 << (psdtHi - psdtLo + 1)) - 1) << psdtLo;
/** SQE CDW0.CID. */
export const SQE_CID: number = sqe("cid");
/** SQE NSID (CDW1). */
export const SQE_NSID: number = sqe("nsid");
/** SQE PRP Entry 1 (CDW6–7). */
export const SQE_PRP1: number = sqe("prp1");
/** SQE PRP Entry 2 (CDW8–9). */
export const SQE_PRP2: number = sqe("prp2");
/** SQE SGL Entry 1 (CDW6–9): where the one SGL descriptor of an SGL command starts. */
export const SQE_SGL1: number = SubmissionQueueEntrySgl.field("sgl_addr").offset;
// The rest of the SQE, written only by `writeCommand`.
const SQE_CDW2 = sqe("cdw2"), SQE_CDW3 = sqe("cdw3"), SQE_MPTR = sqe("mptr");
const SQE_CDW10 = sqe("cdw10"), SQE_CDW11 = sqe("cdw11"), SQE_CDW12 = sqe("cdw12");
const SQE_CDW13 = sqe("cdw13"), SQE_CDW14 = sqe("cdw14"), SQE_CDW15 = sqe("cdw15");

/** CQE DW0 (command specific). */
export const CQE_DW0: number = cqe("dw0");
const CQE_DW1 = cqe("dw1");
/** CQE SQ Head Pointer (DW2 bits 15:0). */
export const CQE_SQHD: number = cqe("sqhd");
/** CQE SQ Identifier (DW2 bits 31:16). */
export const CQE_SQID: number = cqe("sqid");
/** CQE Command Identifier (DW3 bits 15:0): also where DW3 starts. */
export const CQE_CID: number = cqe("cid");
/** CQE Status Field, with the phase tag in bit 0 (DW3 bits 31:16). */
export const CQE_STATUS: number = CQE_STATUS_OFFSET;
/** Where the status field starts inside CQE DW3, read as one little-endian dword. */
export const CQE_DW3_STATUS_SHIFT: number = 8 * (CQE_STATUS - CQE_CID);

/**
 * Writes the fields of `cmd` and `cid` into the zeroed SQE `sqe` (viewed by `v`); a non-zero
 * `prp1`/`prp2` goes into PRP Entry 1/2 (queue base addresses and Doorbell Buffer Config buffers
 * are PRPs but not data transfers). The data pointer of a data transfer is the mapper's.
 */
export function writeCommand(
  sqe: Uint8Array,
  v: DataView,
  cmd: DriverCommand,
  cid: number,
  prp1: number,
  prp2: number,
): void {
  sqe[SQE_OPCODE] = cmd.opcode;
  v.setUint16(SQE_CID, cid, true);
  v.setUint32(SQE_NSID, cmd.nsid ?? 0, true);
  v.setUint32(SQE_CDW2, cmd.cdw2 ?? 0, true);
  v.setUint32(SQE_CDW3, cmd.cdw3 ?? 0, true);
  if (cmd.metadata) v.setBigUint64(SQE_MPTR, BigInt(cmd.metadata), true);
  v.setUint32(SQE_CDW10, cmd.cdw10 ?? 0, true);
  v.setUint32(SQE_CDW11, cmd.cdw11 ?? 0, true);
  v.setUint32(SQE_CDW12, cmd.cdw12 ?? 0, true);
  v.setUint32(SQE_CDW13, cmd.cdw13 ?? 0, true);
  v.setUint32(SQE_CDW14, cmd.cdw14 ?? 0, true);
  v.setUint32(SQE_CDW15, cmd.cdw15 ?? 0, true);
  if (prp1) v.setBigUint64(SQE_PRP1, BigInt(prp1), true);
  if (prp2) v.setBigUint64(SQE_PRP2, BigInt(prp2), true);
}

/**
 * Fills `c` from the device CQE `cqe` whose CID and 16-bit status field (Base 2.1 §4.2.3: phase,
 * SC, SCT, CRD, More, DNR) the caller has read already.
 */
export function readCompletion(
  c: DriverCompletion,
  cqe: DataView,
  cid: number,
  statusField: number,
): void {
  c.status = (statusField >>> 1) & STATUS_CODE_MASK;
  c.crd = (statusField >>> 12) & 3;
  c.more = ((statusField >>> 14) & 1) === 1;
  c.dnr = (statusField >>> 15) === 1;
  c.dw0 = cqe.getUint32(CQE_DW0, true);
  c.dw1 = cqe.getUint32(CQE_DW1, true);
  c.sqhd = cqe.getUint16(CQE_SQHD, true);
  c.sqid = cqe.getUint16(CQE_SQID, true);
  c.cid = cid;
  c.hostError = null;
}
