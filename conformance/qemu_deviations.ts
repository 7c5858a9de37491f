/**
 * Where QEMU 7.2's emulated NVMe controller (Debian bookworm's 7.2.22) departs from what the suite
 * checks: case id → what QEMU does instead, the evidence (the spec section, the behaviour observed
 * through qtest, and the QEMU source that explains it), and whether later QEMU changed it.
 *
 * Built from full runs of the suite against `qemuTarget()` (see `qemu_target_test.ts`, which fails
 * when a case fails without an entry here or an entry stops reproducing). Source references:
 * `hw/nvme/ctrl.c` of QEMU 7.2 as summarised in `reference/qemu-nvme.md` (§ numbers below), and
 * QEMU master (`hw/nvme/ctrl.c` at commit 0023981b, 2025) for "later" statements.
 *
 * No case in the suite sends an input that hangs 7.2 (reference §13: the self-referencing SGL
 * segment is the one left in 7.2.22; no case builds it); if one is added, the qtest watchdog kills
 * the hung QEMU after `watchdogMs` and the case fails with QEMU's stderr, to be registered here.
 *
 * @module
 */

import type { Deviation, DeviationRegistry } from "./target.ts";

/** QEMU master, the "later" source the status lines were checked against. */
const MASTER = "QEMU master (hw/nvme/ctrl.c @0023981b)";
const UNCHANGED = `unchanged in ${MASTER}`;

/** QEMU stores register writes verbatim (reference §5: "the value is stored first"). */
function storedVerbatim(register: string, section: string, observed: string): Deviation {
  return {
    reason: `QEMU stores every write to ${register} verbatim, reserved bits included.`,
    evidence: `${section}: reserved bits read 0. Observed: ${observed}. nvme_write_bar() ` +
      `stores the written dword (stl_le_p / stn_le_p) without masking (reference §5).`,
    status: UNCHANGED,
  };
}

/** Set Features on a feature QEMU does not list as changeable (reference §3). */
function notChangeable(feature: string, section: string, extra = ""): Deviation {
  return {
    reason: `QEMU answers Set Features ${feature} with Feature Not Changeable (010Eh); it keeps ` +
      `no settable value for it.${extra}`,
    evidence: `${section}. Observed: Set Features ${feature} → status 0x010e + DNR. QEMU 7.2's ` +
      "nvme_feature_cap[] marks only FIDs 04h, 05h, 06h, 07h, 0Bh, 0Eh, 16h and 19h changeable " +
      "(reference §3); Interrupt Coalescing is not implemented at all.",
    status: feature === "Write Atomicity Normal"
      ? `changed later: changeable in QEMU 10.0 (atomic write support; reference §3) and ${MASTER}`
      : UNCHANGED,
  };
}

/** Get Features SEL 3 for the namespace-specific Error Recovery with NSID 0 (reference §3). */
function errorRecoveryNsid(what: string): Deviation {
  return {
    reason:
      "QEMU refuses Get Features Error Recovery (namespace specific) with NSID 0h, even for " +
      `SEL 011b (supported capabilities), with Invalid Namespace or Format; ${what}.`,
    evidence: "Base 2.1 §5.1.11 / NVM CS 1.1 (Error Recovery feature). Observed: Get Features " +
      "FID 05h SEL 3 NSID 0 → status 0x000b + DNR. nvme_get_feature() checks the NSID of " +
      "namespace-specific features before looking at SEL; its comment says Invalid Namespace or " +
      "Format is what it returns for every such feature.",
    status: UNCHANGED,
  };
}

/** Why the cases that create a namespace fail on QEMU 7.2 (one root cause, four cases). */
const NS_MANAGEMENT_REASON = "OACS bit 3 advertises Namespace Management and Attachment, but " +
  "Namespace Management (opcode 0Dh) is not implemented: creating the namespace the case " +
  "needs fails with Invalid Opcode.";
const NS_MANAGEMENT_EVIDENCE = "Base 2.1 §5.1.21. Observed: Namespace Management create " +
  "status 0x0001 + DNR with OACS = 0x010a; nvme_admin_cmd() has no case for 0Dh (reference §1, " +
  "§2). Namespaces can only be configured on QEMU's command line (-device nvme-ns).";
const NS_MANAGEMENT_STATUS = "7.2 series; a patch series adding guest Namespace Management " +
  "was proposed upstream, later versions not verified here";

/** The registry. */
export const QEMU_7_2_DEVIATIONS: DeviationRegistry = Object.freeze({
  // ---------------------------------------------------------------- registers
  "registers.cc.crime-read-only": storedVerbatim(
    "CC",
    "Base 2.1 §3.1.4.5 (CC.CRIME is reserved unless CAP.CRMS says otherwise; CAP.CRMS = 0)",
    "CC reads 0x01000000 after writing CRIME",
  ),
  "registers.aqa.reserved-zero": storedVerbatim(
    "AQA",
    "Base 2.1 §3.1.4.8 (AQA bits 31:28 and 15:12)",
    "AQA reads 0xffffffff after writing 0xffffffff",
  ),
  "registers.asq.reserved-low-bits": storedVerbatim(
    "ASQ",
    "Base 2.1 §3.1.4.9 (ASQ bits 11:0)",
    "the ASQ low dword reads 0x00200fff after writing low bits 0xfff",
  ),
  "registers.acq.reserved-low-bits": storedVerbatim(
    "ACQ",
    "Base 2.1 §3.1.4.10 (ACQ bits 11:0)",
    "the ACQ low dword reads 0x00200fff after writing low bits 0xfff",
  ),
  // ---------------------------------------------------------------- reset and shutdown
  "reset.reset.deletes-io-queues": {
    reason: "QEMU answers Delete I/O CQ of a queue that does not exist with Completion Queue " +
      "Invalid (0100h) instead of Invalid Queue Identifier (0101h). The reset itself does delete " +
      "the queues.",
    evidence: "Base 2.1 §3.7.2 and §5.2.3 (Delete I/O Completion Queue: Invalid Queue " +
      "Identifier). Observed: Delete I/O CQ 1 after CC.EN 1→0→1 → status 0x0100 + DNR. " +
      "nvme_del_cq() returns NVME_INVALID_CQID.",
    status: UNCHANGED,
  },
  "reset.shutdown.with-disable": {
    reason: "A CC write that sets SHN and clears EN at once reports SHST = 00b: QEMU runs the " +
      "shutdown (SHST = 10b) and then the reset, which zeroes CSTS and CC.",
    evidence: "Base 2.1 §3.1.4.5 (CC.SHN with CC.EN cleared). Observed: CSTS.SHST stays 0 until " +
      "the case's CAP.TO wait ends. nvme_write_bar() handles the SHN edge first, then the EN " +
      "1→0 edge calls nvme_ctrl_reset(), which clears CSTS (reference §5).",
    status: UNCHANGED,
  },
  // ---------------------------------------------------------------- queues
  "io-queues.create-cq.iocqes-unset": {
    reason: "QEMU 7.2 refuses CC.EN = 1 when CC.IOCQES ≠ 4 (CSTS = 0x2, CFS) instead of " +
      "failing Create I/O CQ with Invalid Queue Size, so the case never reaches the command.",
    evidence: "Base 2.1 §3.1.4.5 (IOCQES is checked when I/O CQs are created). Observed: enable " +
      "with IOCQES = 0 → CSTS 0x2 for the whole CAP.TO wait. nvme_start_ctrl() checks the entry " +
      "sizes (reference §5, §14).",
    status: "changed in QEMU 8.1 (commit 6a33f2e920ec, GitLab #1691): enable succeeds and " +
      "Create I/O CQ fails with 0102h + DNR",
  },
  "io-queues.create-sq.iosqes-unset": {
    reason: "QEMU 7.2 refuses CC.EN = 1 when CC.IOSQES ≠ 6 (CSTS = 0x2, CFS) instead of " +
      "failing Create I/O SQ with Invalid Queue Size.",
    evidence: "Base 2.1 §3.1.4.5. Observed: enable with IOSQES = 0 → CSTS 0x2 for the whole " +
      "CAP.TO wait. nvme_start_ctrl() checks the entry sizes (reference §5, §14).",
    status: "changed in QEMU 8.1 (commit 6a33f2e920ec, GitLab #1691): the check moved to " +
      "Create I/O CQ (0102h + DNR)",
  },
  "io-queues.delete-cq.missing": {
    reason: "Delete I/O CQ of a nonexistent queue (or QID 0) is Completion Queue Invalid " +
      "(0100h), not Invalid Queue Identifier (0101h).",
    evidence: "Base 2.1 §5.2.3. Observed: status 0x0100 + DNR. nvme_del_cq() returns " +
      "NVME_INVALID_CQID.",
    status: UNCHANGED,
  },
  // ---------------------------------------------------------------- identify
  "identify.namespace.broadcast": {
    reason: "OACS advertises Namespace Management (bit 3) but Identify Namespace NSID FFFFFFFFh " +
      "is Invalid Namespace or Format, not the common namespace capabilities.",
    evidence: "NVM CS 1.1 §4.1.5.1. Observed: status 0x000b + DNR with OACS = 0x010a. " +
      "nvme_identify_ns() rejects the broadcast NSID; QEMU 7.2 does not implement Namespace " +
      "Management (opcode 0Dh is Invalid Opcode) although OACS bit 3 is set (reference §1, §2).",
    status: `${UNCHANGED} (a 2024 patch series adding common capabilities was not merged there)`,
  },
  "identify.descriptors.well-formed": {
    reason: "With QEMU's defaults a namespace has no EUI64, NGUID or UUID: only the CSI " +
      "descriptor is listed. Passing `uuid=auto` or `eui64-default=on` to -device nvme-ns " +
      "gives it one (verified).",
    evidence: "Base 2.1 §5.1.13.2.3 (a namespace reports a globally unique identifier). " +
      "Observed: CNS 03h NSID 1 → one descriptor, NIDT 4 (CSI); Identify Namespace NGUID and " +
      'EUI64 are zero. -device nvme-ns,help lists uuid default "auto" yet none is generated.',
    status: "configuration-dependent; later defaults not verified",
  },
  "identify.allocated-namespace.inactive": {
    reason: NS_MANAGEMENT_REASON,
    evidence: "Base 2.1 §5.1.13.1 (CNS 10h/11h need an allocated, unattached namespace). " +
      NS_MANAGEMENT_EVIDENCE,
    status: NS_MANAGEMENT_STATUS,
  },
  "log-page.changed-ns.attach-listed-then-cleared": {
    reason: NS_MANAGEMENT_REASON,
    evidence: "Base 2.1 §5.1.12.1.5 (the case creates and attaches a namespace). " +
      NS_MANAGEMENT_EVIDENCE,
    status: NS_MANAGEMENT_STATUS,
  },
  "aer.config.ns-attribute-disabled": {
    reason: NS_MANAGEMENT_REASON,
    evidence: "Base 2.1 §5.1.25.1.5 (the case creates and attaches a namespace). " +
      NS_MANAGEMENT_EVIDENCE,
    status: NS_MANAGEMENT_STATUS,
  },
  "aer.notice.ns-attribute-changed": {
    reason: NS_MANAGEMENT_REASON,
    evidence: "Base 2.1 §5.1.2.1 (the case creates and attaches a namespace). " +
      NS_MANAGEMENT_EVIDENCE,
    status: NS_MANAGEMENT_STATUS,
  },
  "identify.controller-list.attached": {
    reason: "Identify CNS 12h is Invalid Field unless the controller is attached to an " +
      "nvme-subsys device; the target runs QEMU's default single-controller setup.",
    evidence: "Base 2.1 §5.1.13.1. Observed: status 0x0002 + DNR. nvme_identify_ctrl_list() " +
      "returns Invalid Field when n->subsys is NULL.",
    status: `${UNCHANGED}; configuration-dependent (-device nvme-subsys)`,
  },
  "identify.controller-list.subsystem": {
    reason: "Identify CNS 13h is Invalid Field unless the controller is attached to an " +
      "nvme-subsys device.",
    evidence: "Base 2.1 §5.1.13.1. Observed: status 0x0002 + DNR. nvme_identify_ctrl_list() " +
      "returns Invalid Field when n->subsys is NULL.",
    status: `${UNCHANGED}; configuration-dependent (-device nvme-subsys)`,
  },
  // ---------------------------------------------------------------- features
  "features.arbitration.round-trip": notChangeable(
    "Arbitration",
    "Base 2.1 §5.1.25.1.1",
  ),
  "features.power-management.round-trip": notChangeable(
    "Power Management",
    "Base 2.1 §5.1.25.1.2",
  ),
  "features.power-management.unsupported-state": notChangeable(
    "Power Management",
    "Base 2.1 §5.1.25.1.2",
    " A power state above NPSS is therefore also Feature Not Changeable, not Invalid Field.",
  ),
  "features.interrupt-coalescing.round-trip": notChangeable(
    "Interrupt Coalescing",
    "Base 2.1 §5.1.25.2.2",
  ),
  "features.interrupt-vector.per-vector": notChangeable(
    "Interrupt Vector Configuration",
    "Base 2.1 §5.1.25.2.3",
  ),
  "features.interrupt-vector.invalid-vector": notChangeable(
    "Interrupt Vector Configuration",
    "Base 2.1 §5.1.25.2.3",
    " The changeability check comes first, so a vector the function lacks is not reported.",
  ),
  "features.write-atomicity.round-trip": notChangeable(
    "Write Atomicity Normal",
    "Base 2.1 §5.1.25 (Set Features); NVM CS 1.1 (Write Atomicity Normal feature)",
  ),
  "features.select.default-unchanged-by-set": notChangeable(
    "Interrupt Coalescing",
    "Base 2.1 §5.1.11",
    " The case uses Interrupt Coalescing to compare SEL 000b and 001b.",
  ),
  "features.reset.current-reverts": notChangeable(
    "Interrupt Coalescing",
    "Base 2.1 §3.7.2",
    " The case uses Interrupt Coalescing to watch a value revert on reset.",
  ),
  "features.error-recovery.round-trip": errorRecoveryNsid(
    "the case asks SEL 3 to learn whether the feature is namespace specific",
  ),
  "features.select.saved-is-default-when-not-saveable": errorRecoveryNsid(
    "the case walks every feature's capabilities and stops there",
  ),
  "features.select.capabilities-consistent": errorRecoveryNsid(
    "the case walks every feature's capabilities and stops there",
  ),
  "features.save.not-saveable": errorRecoveryNsid(
    "the case walks every feature's capabilities and stops there",
  ),
  "features.select.reserved": {
    reason: "Get Features with a reserved SEL (100b–111b) succeeds as if SEL were 000b.",
    evidence: "Base 2.1 §5.1.11. Observed: Get Arbitration SEL 4 → success. nvme_get_feature() " +
      "switches on SEL with no default branch, so reserved values fall through to 'current'.",
    status: UNCHANGED,
  },
  // ---------------------------------------------------------------- log pages
  "log-page.fw-slot.active-revision": {
    reason: 'The Firmware Slot Information log reports FRS1 = "1.0" while Identify Controller ' +
      'FR is the QEMU version ("7.2.22").',
    evidence: 'Base 2.1 §5.1.12.1.4. Observed: FRS1 "1.0     ", FR "7.2.22  ". ' +
      'nvme_fw_log_info() hard-codes "1.0"; nvme_init_ctrl() puts QEMU_VERSION in FR.',
    status: "no change known (the string is hard-coded since the log page was added)",
  },
  "log-page.lid.unsupported": {
    reason: "An unsupported Log Page Identifier is Invalid Field in Command (0002h), not " +
      "Invalid Log Page (0109h).",
    evidence: "Base 2.1 §5.1.12 (Invalid Log Page). Observed: LID 6Fh → status 0x0002 + DNR. " +
      "nvme_get_log() answers unknown LIDs with NVME_INVALID_FIELD (reference §4).",
    status: UNCHANGED,
  },
  // ---------------------------------------------------------------- NVM command set
  "nvm.lba-range.dsm": {
    reason: "Dataset Management (deallocate) with a range past NSZE succeeds: QEMU skips " +
      "out-of-range ranges silently.",
    evidence: "NVM CS 1.1 §3.3.3 (LBA Out of Range). Observed: DSM AD=1 over NSZE−2..NSZE+1 → " +
      "success. QEMU 7.2's DSM path checks each range's bounds and moves on to the next range " +
      "when it fails (trace pci_nvme_err_invalid_lba_range).",
    status: "not verified against later sources",
  },
  "data-pointer.prp1.offset-not-dword": {
    reason: "PRP1 bits 1:0 are used as given: data lands at PRP1 exactly instead of an error or " +
      "PRP1 & ~3.",
    evidence: "Base 2.1 §4.3.1 (PRP offsets are dword aligned; the controller behaves as if bits " +
      "1:0 are 00b). Observed: a 512-byte Read to PRP1 = page + 102h succeeded and wrote at " +
      "+102h. nvme_map_prp() maps prp1 unmasked.",
    status: UNCHANGED,
  },
  "data-pointer.sgl.reserved-type": {
    reason: "A reserved SGL descriptor type in the SQE is Invalid SGL Segment Descriptor " +
      "(000Dh), not SGL Descriptor Type Invalid (0011h).",
    evidence: "Base 2.1 §4.3.2. Observed: Read with SGL type Eh → status 0x000d + DNR. " +
      "nvme_map_sgl() treats any non-Data-Block first descriptor as a segment and rejects its " +
      "type there (reference §12).",
    status: UNCHANGED,
  },
  "data-pointer.sgl.reserved-type-in-segment": {
    reason: "A reserved descriptor type inside a Last Segment is Invalid SGL Segment " +
      "Descriptor (000Dh), not SGL Descriptor Type Invalid (0011h).",
    evidence: "Base 2.1 §4.3.2. Observed: status 0x000d + DNR. QEMU 7.2's walker rejects a Last " +
      "Segment that does not end in a Data Block before looking at the descriptor type.",
    status: "partly changed: QEMU master answers 0011h for a reserved type among a segment's " +
      "data descriptors but still 000Dh when it ends a Last Segment (not re-run)",
  },
  "data-pointer.sgl.length-long": {
    reason: "Data Block descriptors describing more than the transfer are accepted although " +
      "SGLS bit 18 (excess length) is clear.",
    evidence: "Base 2.1 §4.3.2 and §5.1.13.2.1 (SGLS bit 18). Observed: a 1-block Read with a " +
      "2-block Data Block → success; SGLS = 0x1. QEMU 7.2 only fails a too-short SGL (Data SGL " +
      "Length Invalid on residual length, reference §12).",
    status: `changed later: ${MASTER} rejects excess length with 000Fh unless SGLS bit 18 is set`,
  },
  // ---------------------------------------------------------------- doorbells
  "doorbell.cq-head.past-tail": {
    reason: "A CQ head doorbell that releases entries never posted is accepted without an " +
      "Invalid Doorbell Write Value event: QEMU only checks head < queue size.",
    evidence: "Base 2.1 §5.1.2 (Asynchronous Event Information – Error Status, Invalid Doorbell " +
      "Write Value). Observed: CQ head 4 with tail 1 and an AER outstanding → no completion " +
      "within 10 ms. nvme_process_db() has no head-within-posted check (reference §6).",
    status: UNCHANGED,
  },
});
