/**
 * Registered differential deviation classes of NVM I/O commands and data pointers. See
 * `deviations.ts` for how they are applied.
 *
 * @module
 */

import { NvmOpcode } from "../../spec/opcodes.ts";
import { memoryPageSize } from "../../spec/registers.ts";
import { Status } from "../../spec/status.ts";
import {
  bothFailed,
  type DifferentialDeviation,
  io,
  otherStatus,
  QEMU_NOTES,
  refStatus,
  statusOrDnr,
} from "./deviation_types.ts";

/** Id of the class later reads of deallocated blocks are attributed to (deviations.ts). */
export const DSM_ADVISORY_ID = "dsm-deallocate-advisory";
const observed = "Observed by this fuzzer against QEMU 7.2.22";
/** QEMU's Verify Size Limit (nvme property `vsl`, 2^n memory pages of CAP.MPSMIN 0h: 4 KiB). */
const QEMU_VSL = 7;
const QEMU_VERIFY_LIMIT_BYTES = 2 ** QEMU_VSL * memoryPageSize(0);

/** I/O, data pointer and media classes. */
export const IO_DEVIATIONS: readonly DifferentialDeviation[] = [
  {
    id: "prp1-offset-not-dword",
    kind: "qemu",
    section: "Base 2.1 §4.3.1 (PRP1 offset bits 1:0 are 00b)",
    conformance: ["data-pointer.prp1.offset-not-dword"],
    reason: "A PRP1 that is not dword aligned is used as given by QEMU (the transfer succeeds); " +
      "the reference fails the command with PRP Offset Invalid.",
    evidence: `${observed}; nvme_map_prp() maps PRP1 unmasked (${QEMU_NOTES} §12).`,
    matches: (d) =>
      statusOrDnr(d) && (d.command?.dptr.offset ?? 0) % 4 !== 0 && (d.command?.bytes ?? 0) > 0 &&
      refStatus(d) === Status.PRP_OFFSET_INVALID,
  },
  {
    id: "dsm-out-of-range-ignored",
    kind: "qemu",
    section: "NVM CS 1.1 §3.3.3 (LBA Out of Range)",
    conformance: ["nvm.lba-range.dsm"],
    reason: "Dataset Management with a range past NSZE succeeds on QEMU, which skips that range " +
      "and deallocates the others; the reference fails it with LBA Out of Range.",
    evidence: `${observed}; QEMU's DSM path moves on when a range's bounds check fails.`,
    matches: (d) =>
      io(d, NvmOpcode.DATASET_MANAGEMENT) && statusOrDnr(d) &&
      refStatus(d) === Status.LBA_OUT_OF_RANGE && otherStatus(d) === 0,
  },
  {
    id: "dsm-without-deallocate-no-transfer",
    kind: "both-allowed",
    section: "NVM CS 1.1 §3.3.3",
    conformance: [],
    reason: "Dataset Management without the Deallocate attribute completes on QEMU without " +
      "reading the range list (nothing to do), so a faulty data pointer goes unnoticed; the " +
      "reference transfers and checks the list first.",
    evidence: `${observed}: DSM, AD = 0, PRP2 misaligned → QEMU success, reference 0x013.`,
    matches: (d) =>
      io(d, NvmOpcode.DATASET_MANAGEMENT) && ((d.command?.cdw[1] ?? 0) & 4) === 0 &&
      statusOrDnr(d) && otherStatus(d) === 0,
  },
  {
    id: "io-broadcast-nsid",
    kind: "qemu",
    section: "Base 2.1 §3.2.1 (NSID FFFFFFFFh where broadcast is not supported)",
    conformance: [],
    reason: "An I/O command other than Flush with NSID FFFFFFFFh is Invalid Field in Command on " +
      "QEMU, Invalid Namespace or Format on the reference.",
    evidence: `nvme_io_cmd() check order (${QEMU_NOTES} §2).`,
    matches: (d) =>
      d.command?.queue === "io" && d.command.nsid === 0xffff_ffff && statusOrDnr(d) &&
      refStatus(d) === Status.INVALID_NAMESPACE && otherStatus(d) === Status.INVALID_FIELD,
  },
  {
    id: "io-nsid-checked-before-opcode",
    kind: "both-allowed",
    section: "Base 2.1 §4.2.3.1 (no order among command errors)",
    conformance: [],
    reason: "An unknown I/O opcode with a bad NSID: QEMU reports the NSID, the reference the " +
      "opcode.",
    evidence: `nvme_io_cmd() checks the NSID before the opcode (${QEMU_NOTES} §2).`,
    matches: (d) =>
      d.command?.queue === "io" && d.command.name.startsWith("opcode") && bothFailed(d),
  },
  {
    id: "write-uncorrectable-unsupported",
    kind: "both-allowed",
    section: "NVM CS 1.1 §3.3.7 (optional, ONCS bit 1)",
    conformance: [],
    reason: "QEMU 7.2 does not implement Write Uncorrectable (Invalid Command Opcode); the " +
      "reference does, so later reads of the blocks it marked fail on the reference only.",
    evidence: `nvme_io_cmd() has no case for 04h (${QEMU_NOTES} §2).`,
    // Only QEMU's Invalid Command Opcode: any other answer of either side is behaviour to compare.
    matches: (d) =>
      io(d, NvmOpcode.WRITE_UNCORRECTABLE) && statusOrDnr(d) &&
      otherStatus(d) === Status.INVALID_OPCODE,
  },
  {
    id: "compare-failure-dnr",
    kind: "both-allowed",
    section: "Base 2.1 §4.2.3 (DNR), NVM CS 1.1 §3.3.1",
    conformance: [],
    reason: "Compare Failure is posted with DNR by the reference and without DNR by QEMU.",
    evidence: `${observed}. Whether a retry could succeed is the controller's call.`,
    matches: (d) =>
      io(d, NvmOpcode.COMPARE) && d.field === "dnr" && refStatus(d) === Status.COMPARE_FAILURE,
  },
  {
    id: "verify-size-limit",
    kind: "both-allowed",
    section: "NVM CS 1.1 §3.3.5, §4.1.5.2 (VSL)",
    conformance: [],
    reason: "QEMU limits Verify to its Verify Size Limit (VSL 7: 512 KiB) with Invalid Field in " +
      "Command; the reference reports no VSL and verifies any length.",
    evidence: `${observed}: Verify NLB 1024 → QEMU 0x002. QEMU property vsl=7 (${QEMU_NOTES} §1).`,
    matches: (d, ctx) =>
      ctx !== undefined && io(d, NvmOpcode.VERIFY) && statusOrDnr(d) &&
      otherStatus(d) === Status.INVALID_FIELD &&
      (d.command?.lba?.blocks ?? 0) * ctx.blockSize > QEMU_VERIFY_LIMIT_BYTES,
  },
  {
    id: DSM_ADVISORY_ID,
    kind: "both-allowed",
    section: "NVM CS 1.1 §3.3.3 (Attribute – Deallocate is advisory)",
    conformance: [],
    reason: "After a Dataset Management deallocate both sides completed, the reference reads the " +
      "blocks as zeroes and QEMU (a raw file underneath, whose sub-page discards are dropped) " +
      "may still return the old data; a controller may deallocate or not.",
    evidence: `${observed}: Write LBA 62, DSM AD over it, Read → QEMU returns the written pattern.`,
    // Only ever a consequence: classifySequence attributes later reads of those LBAs here.
    matches: () => false,
  },
  {
    id: "dulbe-unsupported-in-reference",
    kind: "both-allowed",
    section: "NVM CS 1.1 §4.1.5.1 (NSFEAT.DAE) and Error Recovery feature (DULBE)",
    conformance: [],
    reason: "After Set Features Error Recovery with DULBE = 1, QEMU (NSFEAT.DAE = 1) fails reads " +
      "and compares of unwritten blocks with Deallocated or Unwritten Logical Block; the " +
      "reference (NSFEAT.DAE = 0) accepts the bit and reads zeroes: a Read or Verify succeeds, a " +
      "Compare succeeds or is Compare Failure depending on the data compared with zeroes.",
    evidence: `${observed}: Set Features 05h CDW11 10000h, then Compare of unwritten LBAs ` +
      "2097068+4 with a non-zero pattern → reference 0x285, QEMU 0x287 (seed 1234, length 40).",
    // Only the reference's answer from reading zeroes: success, or Compare Failure for a Compare.
    matches: (d) =>
      d.command?.queue === "io" && statusOrDnr(d) &&
      (refStatus(d) === Status.SUCCESS ||
        (io(d, NvmOpcode.COMPARE) && refStatus(d) === Status.COMPARE_FAILURE)) &&
      otherStatus(d) === Status.DEALLOCATED_OR_UNWRITTEN_BLOCK,
  },
];
