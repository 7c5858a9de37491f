/**
 * Identify (Base 2.1 §5.1.13): CNS 01h (Identify Controller) built from the controller's options,
 * CNS 00h/02h/03h from the namespace provider, CNS 10h/11h/12h/13h (allocated namespaces and
 * controller lists, required with Namespace Management) from the subsystem, and Invalid Field for
 * any CNS this controller does not support — the controller stays alive.
 *
 * @module
 */

import { Cns } from "../spec/admin_commands.ts";
import {
  IdentifyController,
  Lpa,
  Oacs,
  Oaes,
  Oncs,
  Sgls,
  SglSupport,
  Vwc,
} from "../spec/identify_controller.ts";
import { ControllerList, CTRL_LIST_ENTRIES } from "../spec/ns_list.ts";
import { Status, STATUS_DNR as DNR } from "../spec/status.ts";
import { setUint } from "../spec/_bytes.ts";
import { ERROR_LOG_ENTRIES } from "./admin_log_pages.ts";
import { HMMIN, HMPRE } from "./admin_features_data.ts";
import type { NvmeController } from "./controller.ts";
import type { ControllerOptions } from "./options.ts";
import type { Request } from "./request.ts";

const IDENTIFY_SIZE = 4096;
const NSID_BROADCAST = 0xffff_ffff;
/** Entries in a Namespace List (4096 bytes of u32). */
const NSID_LIST_ENTRIES = 1024;
/** PCI vendor and subsystem vendor IDs reported in Identify (QEMU's, for familiarity). */
const VID = 0x1b36, SSVID = 0x1af4;
/** Recommended Arbitration Burst (log2). */
const RAB = 6;
/** SQES/CQES: required and maximum entry sizes, log2 (64 B and 16 B only). */
const SQES = 0x66, CQES = 0x44;
const CNTRLTYPE_IO = 1;
/** APSTA bit 0: Autonomous Power State Transitions supported. */
const APSTA_SUPPORTED = 1;
const NVME_OUI = new Uint8Array([0x00, 0x54, 0x52]);
/** One minor version in VS/VER (MNR, bits 15:8). */
const VS_MINOR_ONE = 1 << 8;

/**
 * Identify SGLS for the options (Base 2.1 §5.1.13.2.1): 0 without SGL support, else bits 1:0 =
 * 01b (byte) or 10b (dword granularity) and bit 16, SGL Bit Buckets, which the SGL walker
 * implements. The controller configures its walker from this value, so what it advertises and
 * what it enforces cannot drift apart.
 *
 * @example
 * ```ts
 * import { advertisedSgls } from "./admin_identify.ts";
 * import { resolveOptions } from "./options.ts";
 * if (advertisedSgls(resolveOptions({ sgl: "none" })) !== 0) throw new Error();
 * if (advertisedSgls(resolveOptions({ sgl: "dword" })) !== (0x2 | (1 << 16))) throw new Error();
 * ```
 */
export function advertisedSgls(o: Pick<ControllerOptions, "sgl">): number {
  if (o.sgl === "none") return SglSupport.NONE;
  const support = o.sgl === "byte" ? SglSupport.BYTE_ALIGNED : SglSupport.DWORD_ALIGNED;
  return (support | (1 << Sgls.BIT_BUCKET)) >>> 0;
}

/** Builds the Identify Controller data structure for `ctrl` into `out` (4096 bytes). */
export function buildIdentifyController(ctrl: NvmeController, out: Uint8Array): Uint8Array {
  const o = ctrl.options;
  const bit = (n: number) => 1 << n;
  // Advertise only what is implemented: Doorbell Buffer Config joins OACS when it lands.
  const oacs = bit(Oacs.FORMAT) | bit(Oacs.NS_MGMT) |
    (o.shadowDoorbells ? bit(Oacs.DBBUF) : 0);
  // Commands Supported and Effects log; NUMDU and LPOL/LPOU honoured; bit 5: Supported Log Pages,
  // command scopes, FID and NVMe-MI effects logs (admin_log_support.ts). SMART is controller-wide.
  const lpa = bit(Lpa.CMD_EFFECTS) | bit(Lpa.EXTENDED) | bit(Lpa.MISC_LOGS);
  const oncs = bit(Oncs.COMPARE) | bit(Oncs.WRITE_UNCORRECTABLE) | bit(Oncs.DSM) |
    bit(Oncs.WRITE_ZEROES) | bit(Oncs.VERIFY) | bit(Oncs.COPY) |
    bit(Oncs.TIMESTAMP); // Timestamp feature (admin_features_data.ts)
  // OCFS bit 0: Copy source range descriptor format 0h.
  const ocfs = 1 << 0;
  // VWC bits 2:1 = 11b: Flush with NSID FFFFFFFFh is supported.
  const vwc = o.volatileWriteCache ? bit(Vwc.PRESENT) | (3 << 1) : 0;
  const sgls = advertisedSgls(o);
  return IdentifyController.encode({
    vid: VID,
    ssvid: SSVID,
    sn: o.serial,
    mn: o.model,
    fr: o.firmware,
    rab: RAB,
    ieee: NVME_OUI,
    mdts: o.mdts,
    cntlid: o.cntlid,
    // VER equals VS; the `identify-ver-mismatch` mutant (mutants.ts) reports one minor higher.
    ver: ctrl.mutants["identify-ver-mismatch"] ? ctrl.regs.vs + VS_MINOR_ONE : ctrl.regs.vs,
    kas: o.kas, // 0: Keep Alive not supported (keep_alive.ts)
    oaes: bit(Oaes.NS_ATTR),
    cntrltype: CNTRLTYPE_IO,
    oacs,
    acl: o.acl,
    aerl: o.aerl,
    frmw: 0x03, // one slot, slot 1 read-only
    lpa,
    elpe: ERROR_LOG_ENTRIES - 1,
    apsta: APSTA_SUPPORTED, // Autonomous Power State Transition feature (0Ch)
    hmpre: HMPRE, // Host Memory Buffer (0Dh), 4 KiB units
    hmmin: HMMIN,
    // Required with Namespace Management (Base 2.1 §5.1.13.2.1 TNVMCAP/UNVMCAP).
    tnvmcap: BigInt(ctrl.subsystem.totalCapacityBytes),
    unvmcap: BigInt(ctrl.subsystem.unallocatedCapacityBytes),
    sqes: SQES,
    cqes: CQES,
    nn: ctrl.namespaceCount(),
    oncs,
    ocfs,
    fna: 0, // format per namespace; FFFFFFFFh formats all attached; no crypto erase
    vwc,
    sgls,
    subnqn: `nqn.2026-11.dev.nvme-harness:${o.serial}`,
    psd: [{ mp: 2500 }],
  }, out);
}

/**
 * Identify CNS 00h (namespace), 02h (active NSID list) and 03h (descriptor list) into `buf`
 * (zeroed by the caller); 0 or a status. An inactive but valid NSID gets a zero-filled Identify
 * Namespace (NVM CS 1.1 §4.1.5.1) and fails CNS 03h with Invalid Field in Command; NSID 0, NSIDs
 * above NN, and FFFFFFFEh/FFFFFFFFh for the list, are Invalid Namespace or Format.
 */
export function namespaceIdentify(
  ctrl: NvmeController,
  cns: number,
  nsid: number,
  buf: Uint8Array,
): number {
  const nn = ctrl.namespaceCount();
  const invalid = Status.INVALID_NAMESPACE | DNR;
  if (cns === Cns.ACTIVE_NS_LIST) {
    if (nsid >= NSID_BROADCAST - 1) return invalid;
    let i = 0;
    for (const id of ctrl.subsystem.activeNamespaces(ctrl.options.cntlid)) {
      if (id > nsid && i < NSID_LIST_ENTRIES) setUint(buf, 4 * i++, 4, id);
    }
    return 0;
  }
  if (nsid === 0 || (nsid > nn && nsid !== NSID_BROADCAST)) return invalid;
  // FFFFFFFFh with CNS 00h: capabilities common to all namespaces — none are reported here.
  if (nsid === NSID_BROADCAST) return cns === Cns.NAMESPACE ? 0 : invalid;
  const ns = ctrl.activeNamespace(nsid);
  // Valid but inactive: CNS 00h is zero-filled; CNS 03h needs an active NSID, and that is
  // Invalid Field in Command (Base 2.1 §3.2.1), not Invalid Namespace or Format.
  if (!ns) return cns === Cns.NAMESPACE ? 0 : Status.INVALID_FIELD | DNR;
  if (cns === Cns.NAMESPACE) ns.identify(buf);
  else ns.encodeDescriptors(buf);
  return 0;
}

const CTRL_LIST_IDS = ControllerList.field("identifier").offset;

/** Writes the CNTLIDs in `ids` that are ≥ `from` as a Controller List into `buf`. */
function controllerList(ids: readonly number[], from: number, buf: Uint8Array): void {
  let n = 0;
  for (const id of ids) {
    if (id >= from && n < CTRL_LIST_ENTRIES) setUint(buf, CTRL_LIST_IDS + 2 * n++, 2, id);
  }
  setUint(buf, ControllerList.field("num").offset, 2, n);
}

/**
 * Identify CNS 10h (allocated NSIDs above NSID), 11h (Identify Namespace of an allocated NSID,
 * attached here or not; zero-filled when unallocated), 12h (controllers NSID is attached to) and
 * 13h (every controller in the subsystem), the lists starting at CNTLID `cntid`, into `buf`
 * (zeroed by the caller); 0 or a status. Invalid NSIDs are Invalid Namespace or Format.
 */
export function allocationIdentify(
  ctrl: NvmeController,
  cns: number,
  nsid: number,
  cntid: number,
  buf: Uint8Array,
): number {
  const sub = ctrl.subsystem;
  const invalid = Status.INVALID_NAMESPACE | DNR;
  switch (cns) {
    case Cns.ALLOCATED_NS_LIST: {
      if (nsid >= NSID_BROADCAST - 1) return invalid;
      let i = 0;
      for (const id of sub.allocatedNamespaces()) {
        if (id > nsid && i < NSID_LIST_ENTRIES) setUint(buf, 4 * i++, 4, id);
      }
      return 0;
    }
    case Cns.CONTROLLER_LIST:
      controllerList(sub.controllerIds(), cntid, buf);
      return 0;
  }
  if (nsid === 0 || nsid > ctrl.namespaceCount()) return invalid; // includes FFFFFFFFh
  if (cns === Cns.ALLOCATED_NAMESPACE) sub.namespace(nsid)?.identify(buf);
  else controllerList(sub.attachedControllers(nsid), cntid, buf);
  return 0;
}

/** Identify (opcode 06h). */
export function identify(ctrl: NvmeController, req: Request): number {
  const cns = req.cdw(10) & 0xff;
  const buf = ctrl.scratchPage(IDENTIFY_SIZE);
  buf.fill(0);
  let status = 0;
  switch (cns) {
    case Cns.CONTROLLER:
      buildIdentifyController(ctrl, buf);
      break;
    case Cns.NAMESPACE:
    case Cns.ACTIVE_NS_LIST:
    case Cns.NS_DESCRIPTORS:
      status = namespaceIdentify(ctrl, cns, req.nsid, buf);
      break;
    case Cns.ALLOCATED_NS_LIST:
    case Cns.ALLOCATED_NAMESPACE:
    case Cns.NS_CONTROLLER_LIST:
    case Cns.CONTROLLER_LIST:
      status = allocationIdentify(ctrl, cns, req.nsid, req.cdw(10) >>> 16, buf);
      break;
    default:
      return Status.INVALID_FIELD | DNR;
  }
  const t = ctrl.port.trace;
  if (t.enabled) {
    t.emit({
      type: "identify",
      cid: req.cid,
      cns,
      ctrlid: req.cdw(10) >>> 16,
      csi: req.cdw(11) >>> 24,
    });
  }
  if (status) return status;
  return ctrl.transfer.toHost(req, buf, IDENTIFY_SIZE, ctrl.regs.pageSize());
}
