/**
 * Registered differential deviation classes of admin commands other than features and log pages
 * (queues, Identify, opcodes). See `deviations.ts` for how they are applied.
 *
 * @module
 */

import { Cns } from "../../spec/admin_commands.ts";
import { AdminOpcode } from "../../spec/opcodes.ts";
import { Status } from "../../spec/status.ts";
import {
  admin,
  bothFailed,
  deviation as dev,
  type DifferentialDeviation,
  isData,
  low8,
  otherStatus,
  QEMU_NOTES,
  refStatus,
  statusOrDnr,
} from "./deviation_types.ts";

const IDENTIFY = AdminOpcode.IDENTIFY;
/** CNS values QEMU answers and the reference (NVM command set only, no SR-IOV) does not. */
const IO_COMMAND_SET_CNS: ReadonlySet<number> = new Set([
  Cns.CSI_NAMESPACE,
  Cns.CSI_CONTROLLER,
  Cns.CSI_ACTIVE_NS_LIST,
  Cns.IO_COMMAND_SET,
  Cns.PRIMARY_CONTROLLER_CAPS,
  Cns.SECONDARY_CONTROLLER_LIST,
]);
const nsid = (d: Parameters<typeof admin>[0]) => d.command?.nsid ?? 0;
const observed = "Observed by this fuzzer against QEMU 7.2.22";

/** Statuses Base 2.1 allows Create I/O CQ to fail with (§5.2.1: Invalid Queue Identifier, Invalid
 * Queue Size, Invalid Interrupt Vector; §4.2.3.1 generic: Invalid Field in Command for PC or
 * a reserved bit, PRP Offset Invalid for a PRP1 that is not page aligned). */
const CREATE_CQ_ERRORS: ReadonlySet<number> = new Set([
  Status.INVALID_QUEUE_IDENTIFIER,
  Status.INVALID_QUEUE_SIZE,
  Status.INVALID_INTERRUPT_VECTOR,
  Status.INVALID_FIELD,
  Status.PRP_OFFSET_INVALID,
]);
/** Statuses Base 2.1 allows Create I/O SQ to fail with (§5.2.2: Completion Queue Invalid,
 * Invalid Queue Identifier, Invalid Queue Size; generic as for Create I/O CQ). */
const CREATE_SQ_ERRORS: ReadonlySet<number> = new Set([
  Status.COMPLETION_QUEUE_INVALID,
  Status.INVALID_QUEUE_IDENTIFIER,
  Status.INVALID_QUEUE_SIZE,
  Status.INVALID_FIELD,
  Status.PRP_OFFSET_INVALID,
]);

/** Both sides failed a Create I/O CQ/SQ, each with a status the spec allows for it. */
function createCheckOrder(d: Parameters<typeof admin>[0]): boolean {
  const allowed = admin(d, AdminOpcode.CREATE_IO_CQ)
    ? CREATE_CQ_ERRORS
    : admin(d, AdminOpcode.CREATE_IO_SQ)
    ? CREATE_SQ_ERRORS
    : null;
  return allowed !== null && bothFailed(d) && allowed.has(refStatus(d)!) &&
    allowed.has(otherStatus(d)!);
}

/** Identify Controller fields describing the implementation rather than behaviour under test. */
const CTRL_IDENTITY =
  /^data\.(vid|ssvid|sn|mn|fr|ieee|ver|oaes|ctratt|cntrltype|fguid|oacs|frmw|lpa|elpe|npss|wctemp|cctemp|hmpre|hmmin|sanicap|oncs|fuses|fna|awun|awupf|acwu|sgls|mnan|subnqn|psd|rtd3r|rtd3e|rrls|nvmsr|vwci|mec|maxcmd|ocfs|tnvmcap|unvmcap|apsta|edstt|dsto|fwug|hctma|mntmt|mxtmt|cmic|rab|nn|acl|vs|anacap|anatt|anagrpmax|nanagrpid|pels|domainid|tmpthha|cqt|endgidmax|nsetidmax|hmminds|hmmaxd|avscc|icsvscc|nwpc|mptfawr|kpioc|bpcap|nssl|plsi|crcap|rpmbs|maxcna|oaqd|trattr|mcudmq|mnsudmq|mcmr|nmcmr|mcdqpc|cmmrtd|nmmrtd|minmrtg|maxmrtg|rhiri|hirt|megcap|rsvd\d+)$/;
/** Identify Namespace fields describing the implementation (identifiers, optional limits). */
const NS_IDENTITY =
  /^data\.(nsfeat|nmic|dlfeat|nawun|nawupf|nacwu|nabsn|nabo|nabspf|noiob|nvmcap|npwg|npwa|npdg|npda|nows|mssrl|mcl|msrc|nguid|eui64|nulbaf|anagrpid|nsattr|nvmsetid|endgid|rescap|fpi|mc|dpc|dps|nuse|kpios|maxdna|maxcd|npdgl|npdal|lbstm|vs|rsvd\d+)$/;

/** Admin command classes. */
export const ADMIN_DEVIATIONS: readonly DifferentialDeviation[] = [
  dev(
    "delete-cq-invalid-qid-status",
    "qemu",
    "Base 2.1 §5.2.3",
    ["io-queues.delete-cq.missing", "reset.reset.deletes-io-queues"],
    "Delete I/O CQ of a CQ that does not exist (or QID 0) is Completion Queue Invalid (0100h) on QEMU, Invalid Queue Identifier (0101h) on the reference.",
    `${observed}; nvme_del_cq() returns NVME_INVALID_CQID (${QEMU_NOTES} §2).`,
    (d) =>
      admin(d, AdminOpcode.DELETE_IO_CQ) && d.field === "status" &&
      refStatus(d) === Status.INVALID_QUEUE_IDENTIFIER &&
      otherStatus(d) === Status.COMPLETION_QUEUE_INVALID,
  ),
  dev(
    "invalid-queue-deletion-dnr",
    "both-allowed",
    "Base 2.1 §5.2.3 (Invalid Queue Deletion), §4.2.3 (DNR)",
    [],
    "Delete I/O CQ with an SQ still on it is Invalid Queue Deletion on both sides; QEMU posts it without DNR, the reference with DNR.",
    `${observed}; nvme_del_cq() (${QEMU_NOTES} §2: "no DNR").`,
    (d) =>
      admin(d, AdminOpcode.DELETE_IO_CQ) && d.field === "dnr" && refStatus(d) === otherStatus(d),
  ),
  dev(
    "create-queue-check-order",
    "both-allowed",
    "Base 2.1 §5.2.1, §5.2.2",
    [],
    "Create I/O CQ/SQ with several invalid fields: each side reports a different one of them (QEMU checks QID, size, PRP offset, vector, PC in that order).",
    `${observed}; nvme_create_cq()/nvme_create_sq() check order (${QEMU_NOTES} §2). The spec does not order the checks.`,
    createCheckOrder,
  ),
  dev(
    "create-cq-vector-without-ien",
    "both-allowed",
    "Base 2.1 §5.2.1 (IV, IEN)",
    [],
    "Create I/O CQ with interrupts disabled (IEN = 0) and a vector past the MSI-X table: QEMU checks the vector anyway (Invalid Interrupt Vector), the reference ignores the unused field.",
    `${observed}: CDW11 410001h → QEMU 0x108 + DNR (${QEMU_NOTES} §2).`,
    (d) =>
      admin(d, AdminOpcode.CREATE_IO_CQ) && statusOrDnr(d) && (d.command!.cdw[1] & 2) === 0 &&
      otherStatus(d) === Status.INVALID_INTERRUPT_VECTOR,
  ),
  dev(
    "identify-io-command-set-cns",
    "both-allowed",
    "Base 2.1 §5.1.13.1",
    [],
    "Identify CNS 05h/06h/07h/1Ch (I/O Command Set specific; QEMU sets CAP.CSS bit 6) and 14h/15h (SR-IOV) are answered by QEMU; the reference (CAP.CSS NVM only, no SR-IOV) fails them with Invalid Field in Command.",
    `nvme_identify() CNS table (${QEMU_NOTES} §2).`,
    (d) =>
      admin(d, IDENTIFY) && IO_COMMAND_SET_CNS.has(low8(d)) &&
      (refStatus(d) === Status.INVALID_FIELD || isData(d) || bothFailed(d)),
  ),
  dev(
    "identify-controller-list-no-subsystem",
    "qemu",
    "Base 2.1 §5.1.13.1",
    ["identify.controller-list.attached", "identify.controller-list.subsystem"],
    "Identify CNS 12h/13h are Invalid Field in Command on QEMU without an nvme-subsys device.",
    "nvme_identify_ctrl_list() returns Invalid Field when n->subsys is NULL.",
    (d) =>
      admin(d, IDENTIFY) &&
      (low8(d) === Cns.NS_CONTROLLER_LIST || low8(d) === Cns.CONTROLLER_LIST) &&
      otherStatus(d) === Status.INVALID_FIELD,
  ),
  dev(
    "identify-namespace-broadcast",
    "qemu",
    "NVM CS 1.1 §4.1.5.1",
    ["identify.namespace.broadcast"],
    "Identify Namespace NSID FFFFFFFFh is Invalid Namespace or Format on QEMU (OACS advertises Namespace Management); the reference returns the common capabilities.",
    "nvme_identify_ns() rejects the broadcast NSID.",
    (d) =>
      admin(d, IDENTIFY) && low8(d) === Cns.NAMESPACE && nsid(d) === 0xffff_ffff &&
      statusOrDnr(d) &&
      otherStatus(d) === Status.INVALID_NAMESPACE,
  ),
  dev(
    "identify-implementation-fields",
    "both-allowed",
    "Base 2.1 §5.1.13.2.1, NVM CS 1.1 §4.1.5.1",
    [],
    "Identify Controller/Namespace fields describing the implementation (identity, optional capabilities, limits, version) differ between two compliant controllers; the fields that change behaviour are configured alike (qemu_like.ts).",
    `${observed}.`,
    (d) =>
      admin(d, IDENTIFY) && isData(d) &&
      (low8(d) === Cns.CONTROLLER ? CTRL_IDENTITY.test(d.field) : NS_IDENTITY.test(d.field)),
  ),
  dev(
    "ns-identifiers",
    "both-allowed",
    "Base 2.1 §5.1.13.2.3",
    ["identify.descriptors.well-formed"],
    "The Namespace Identification Descriptor list: QEMU's default namespace has only the CSI descriptor, the reference reports EUI64, NGUID and UUID too.",
    "-device nvme-ns without uuid/eui64 properties.",
    (d) => admin(d, IDENTIFY) && low8(d) === Cns.NS_DESCRIPTORS && isData(d),
  ),
  dev(
    "keep-alive-command",
    "both-allowed",
    "Base 2.1 §5.1.14 (optional for PCIe)",
    [],
    "Keep Alive (18h) is Invalid Command Opcode on QEMU 7.2; the reference completes it.",
    `nvme_admin_cmd() has no case for 18h (${QEMU_NOTES} §2).`,
    (d) =>
      admin(d, AdminOpcode.KEEP_ALIVE) && statusOrDnr(d) &&
      otherStatus(d) === Status.INVALID_OPCODE,
  ),
  dev(
    "virtualization-management",
    "both-allowed",
    "Base 2.1 §5.2.6 (optional)",
    [],
    "Virtualization Management (1Ch) exists on QEMU (Invalid Field without SR-IOV); the reference does not implement it (Invalid Command Opcode).",
    `${observed} (${QEMU_NOTES} §2).`,
    (d) => admin(d, 0x1c) && bothFailed(d),
  ),
];
