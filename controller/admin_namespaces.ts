/**
 * Namespace Management (opcode 0Dh, Base 2.1 §5.1.21), Namespace Attachment (opcode 15h,
 * §5.1.20) and Format NVM (opcode 80h, §5.1.10). The state and most checks live in the subsystem
 * (subsystem.ts) and the namespace (namespace.ts); these handlers decode the command and its host
 * data, and turn a {@linkcode NamespaceStatusError} into a completion status, with DNR where the
 * status table says the status is not retryable.
 *
 * Format NVM attributes advertised (Identify Controller FNA = 0): a format applies to the
 * namespace named (bit 0 clear), NSID FFFFFFFFh formats every namespace attached to this
 * controller (bit 3 clear: broadcast supported), no cryptographic erase (bit 2 clear). Every
 * format erases the user data, so SES 001b (User Data Erase) is honoured as is; SES 010b
 * (Cryptographic Erase) and reserved values are Invalid Field. Namespaces have no end-to-end
 * protection (DPC = 0): PI other than 0 is Invalid Field. Both metadata settings are supported
 * (Identify Namespace MC bits 1:0 = 11b): MSET = 0 puts metadata in a separate buffer at MPTR,
 * MSET = 1 interleaves it with the data (extended LBA, FLBAS bit 4); MSET means nothing for a
 * format without metadata. Every format erases the metadata with the data.
 *
 * @module
 */

import { NamespaceSelect } from "../spec/admin_commands.ts";
import { IdentifyNamespace, lbaDataBytes } from "../spec/identify_namespace.ts";
import { ControllerList, CTRL_LIST_ENTRIES } from "../spec/ns_list.ts";
import { Status, STATUS_DNR as DNR, withTableDnr } from "../spec/status.ts";
import { getUint, getUintBig } from "../spec/_bytes.ts";
import type { NvmeController } from "./controller.ts";
import { type Namespace, NamespaceStatusError, NSID_BROADCAST } from "./namespace.ts";
import type { Request } from "./request.ts";

/** Host data of Namespace Management create and Namespace Attachment: one 4 KiB structure. */
const HOST_DATA_SIZE = 4096;
const SEL_MASK = 0xf;
/** CDW11 bits 31:24 of Namespace Management: Command Set Identifier. */
const CSI_SHIFT = 24;
const CSI_NVM = 0;

/** Where the create fields sit in the Identify-Namespace-shaped host data (§5.1.21). */
const NSZE = IdentifyNamespace.field("nsze").offset;
const NCAP = IdentifyNamespace.field("ncap").offset;
const FLBAS = IdentifyNamespace.field("flbas").offset;
const DPS = IdentifyNamespace.field("dps").offset;
const NMIC = IdentifyNamespace.field("nmic").offset;
const CTRL_LIST_NUM = ControllerList.field("num").offset;
const CTRL_LIST_IDS = ControllerList.field("identifier").offset;

/** Format NVM CDW10 fields (§5.1.10). */
const LBAFL_MASK = 0xf, MSET = 1 << 4, PI_SHIFT = 5, PI_MASK = 0x7, SES_SHIFT = 9;
const SES_MASK = 0x7, LBAFU_SHIFT = 12, LBAFU_MASK = 0x3, LBAFL_BITS = 4;
/** Secure Erase Settings: 000b none, 001b User Data Erase (what every format does here). */
const SES_NONE = 0, SES_USER_DATA_ERASE = 1;

/** Runs a subsystem/namespace operation; a status error becomes its status, others rethrow. */
function attempt(op: () => void): number {
  try {
    op();
    return 0;
  } catch (e) {
    if (e instanceof NamespaceStatusError) return withTableDnr(e.status);
    throw e;
  }
}

/**
 * Namespace Management (opcode 0Dh). SEL 0 (create): the host buffer holds NSZE, NCAP, FLBAS,
 * DPS and NMIC at their Identify Namespace offsets; DW0 of the completion is the new NSID, and
 * the namespace starts unattached. SEL 1 (delete): NSID, or FFFFFFFFh for every namespace; each
 * controller it was attached to is notified. Statuses: Invalid Field (other SEL, DPS ≠ 0, and
 * the subsystem's NSZE/NCAP/NMIC/NSID checks), I/O Command Set Not Supported (CSI ≠ NVM), Invalid
 * Format, Thin Provisioning Not Supported, Namespace Identifier Unavailable, Namespace
 * Insufficient Capacity, Invalid Namespace or Format (delete NSID 0 or above NN), data pointer
 * errors.
 */
export function namespaceManagement(ctrl: NvmeController, req: Request): number {
  const sel = req.cdw(10) & SEL_MASK;
  if (sel === NamespaceSelect.DELETE_OR_DETACH) {
    return attempt(() => ctrl.subsystem.deleteNamespace(req.nsid));
  }
  if (sel !== NamespaceSelect.CREATE_OR_ATTACH) return Status.INVALID_FIELD | DNR;
  if (req.cdw(11) >>> CSI_SHIFT !== CSI_NVM) return Status.IO_COMMAND_SET_NOT_SUPPORTED | DNR;
  const buf = ctrl.scratchPage(HOST_DATA_SIZE);
  const moved = ctrl.transfer.fromHost(req, buf, HOST_DATA_SIZE, ctrl.regs.pageSize());
  if (moved) return moved;
  // No end-to-end protection (DPC = 0): any protection type is a field the controller rejects.
  if (buf[DPS] !== 0) return Status.INVALID_FIELD | DNR;
  return attempt(() => {
    const ns = ctrl.subsystem.createNamespace({
      nsze: getUintBig(buf, NSZE, 8),
      ncap: getUintBig(buf, NCAP, 8),
      flbas: buf[FLBAS],
      nmic: buf[NMIC],
    });
    req.dw0 = ns.nsid;
  });
}

/**
 * Namespace Attachment (opcode 15h). SEL 0 attaches NSID to, SEL 1 detaches it from, every
 * controller in the host's Controller List, all or nothing; each is notified (Changed Namespace
 * List, Namespace Attribute Changed notice). Statuses: Invalid Field (other SEL, NSID FFFFFFFFh or
 * not allocated), Invalid Namespace or Format (NSID 0 or above NN), Controller List Invalid
 * (empty, more than 2047 entries, duplicate or unknown CNTLID), Namespace Already Attached,
 * Namespace Is Private, Namespace Not Attached, data pointer errors.
 */
export function namespaceAttachment(ctrl: NvmeController, req: Request): number {
  const sel = req.cdw(10) & SEL_MASK;
  if (sel !== NamespaceSelect.CREATE_OR_ATTACH && sel !== NamespaceSelect.DELETE_OR_DETACH) {
    return Status.INVALID_FIELD | DNR;
  }
  const buf = ctrl.scratchPage(HOST_DATA_SIZE);
  const moved = ctrl.transfer.fromHost(req, buf, HOST_DATA_SIZE, ctrl.regs.pageSize());
  if (moved) return moved;
  const num = getUint(buf, CTRL_LIST_NUM, 2);
  if (num > CTRL_LIST_ENTRIES) return Status.CONTROLLER_LIST_INVALID | DNR;
  const cntlids = new Array<number>(num);
  for (let i = 0; i < num; i++) cntlids[i] = getUint(buf, CTRL_LIST_IDS + 2 * i, 2);
  return attempt(() =>
    sel === NamespaceSelect.CREATE_OR_ATTACH
      ? ctrl.subsystem.attach(req.nsid, cntlids)
      : ctrl.subsystem.detach(req.nsid, cntlids)
  );
}

/** Invalid Format unless `ns` can take LBA format `lbaf` (either metadata setting works). */
function formatProblem(ns: Namespace, lbaf: number): number {
  const f = ns.lbaFormats[lbaf];
  if (f === undefined) return Status.INVALID_FORMAT | DNR;
  // The namespace keeps its capacity in bytes: it must still hold one block of the new size.
  if (ns.capacityBytes < lbaDataBytes(f.lbads)) return Status.INVALID_FORMAT | DNR;
  return 0;
}

/**
 * Format NVM (opcode 80h): erases the namespace (or, for NSID FFFFFFFFh, every namespace attached
 * to this controller, all or nothing) and switches it to LBA format LBAFU:LBAFL; NSZE and NCAP are
 * re-expressed in the new block size. Statuses: Invalid Namespace or Format (NSID 0 or above NN),
 * Invalid Field (NSID valid but not attached here; PI ≠ 0; SES other than 000b/001b), Invalid
 * Format (format index not supported, block larger than the namespace). MSET sets FLBAS bit 4.
 */
export function formatNvm(ctrl: NvmeController, req: Request): number {
  const cdw10 = req.cdw(10);
  const lbaf = (cdw10 & LBAFL_MASK) | (((cdw10 >>> LBAFU_SHIFT) & LBAFU_MASK) << LBAFL_BITS);
  const mset = (cdw10 & MSET) !== 0;
  const pi = (cdw10 >>> PI_SHIFT) & PI_MASK, ses = (cdw10 >>> SES_SHIFT) & SES_MASK;
  const nsid = req.nsid;
  if (nsid === 0 || (nsid > ctrl.namespaceCount() && nsid !== NSID_BROADCAST)) {
    return Status.INVALID_NAMESPACE | DNR;
  }
  if (pi !== 0 || (ses !== SES_NONE && ses !== SES_USER_DATA_ERASE)) {
    return Status.INVALID_FIELD | DNR;
  }
  const cntlid = ctrl.options.cntlid;
  if (nsid !== NSID_BROADCAST) {
    const ns = ctrl.activeNamespace(nsid);
    if (!ns) return Status.INVALID_FIELD | DNR; // a valid NSID that is inactive here
    return formatProblem(ns, lbaf) || attempt(() => ns.format(lbaf, mset));
  }
  const targets = ctrl.subsystem.activeNamespaces(cntlid).map((id) => ctrl.activeNamespace(id)!);
  for (const ns of targets) {
    const problem = formatProblem(ns, lbaf);
    if (problem) return problem;
  }
  return attempt(() => {
    for (const ns of targets) ns.format(lbaf, mset);
  });
}
