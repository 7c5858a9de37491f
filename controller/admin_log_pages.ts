/**
 * Get Log Page (Base 2.1 §5.1.12) and the log pages this controller keeps:
 *
 * | LID | page                                   | size      | source                          |
 * | --- | -------------------------------------- | --------- | ------------------------------- |
 * | 01h | Error Information (§5.1.12.1.2)        | 64 × 64 B | the per-controller error ring   |
 * | 02h | SMART / Health Information (§5.1.12.1.3) | 512 B   | documented constants + counters |
 * | 03h | Firmware Slot Information (§5.1.12.1.4) | 512 B    | slot 1 = `options.firmware`     |
 * | 04h | Changed Namespace List (§5.1.12.1.5)   | 4096 B    | `ctrl.changedNamespaces`        |
 * | 05h | Commands Supported and Effects (§5.1.12.1.6) | 4096 B | the handler tables        |
 *
 * and the pages that describe what is supported (admin_log_support.ts): 00h Supported Log Pages,
 * 12h Feature Identifiers Supported and Effects, 13h NVMe-MI Commands Supported and Effects.
 * SMART (controller-wide: LPA bit 0 clear) and the pages of LPA bit 5 refuse an NSID other than
 * 0h or FFFFFFFFh with Invalid Field, as §5.1.12.1 requires of controller-scope pages; the
 * others do not look at the NSID.
 *
 * NUMD (NUMDU:NUMDL, 0's based dwords) and LPO (LPOU:LPOL, bytes, dword aligned) select a window:
 * the host buffer always receives exactly NUMD + 1 dwords, the page's bytes from LPO and zeros past
 * the end of the page. With RAE = 0 a successful read clears the asynchronous event the page
 * reported (and the Changed Namespace List itself); with RAE = 1 both are retained.
 *
 * The Error Information log records every error status an admin command handler returns
 * ({@linkcode withErrorLog} wraps the admin table). Errors the queue engine reports itself
 * (Invalid Command Opcode, Command ID Conflict) and I/O command errors are not recorded: that
 * needs a hook in controller.ts (see {@linkcode recordError}).
 *
 * @module
 */

import { ERROR_LOG_ENTRY_SIZE, ErrorInformationLogEntry } from "../spec/error_log.ts";
import { Afi, FirmwareSlotLog, FW_SLOT_LOG_SIZE } from "../spec/fw_slot_log.ts";
import { LogPageId } from "../spec/log_page_ids.ts";
import { IDENTIFY_DATA_SIZE } from "../spec/identify_controller.ts";
import { NvmOpcode } from "../spec/opcodes.ts";
import { SMART_LOG_SIZE, SmartLog } from "../spec/smart_log.ts";
import { Status, STATUS_DNR as DNR } from "../spec/status.ts";
import type { NvmeController } from "./controller.ts";
import {
  commandEffectsLog,
  featureEffectsLog,
  miCommandEffectsLog,
  supportedLogPagesLog,
} from "./admin_log_support.ts";
import type { Request } from "./request.ts";

const NSID_BROADCAST = 0xffff_ffff;
const DWORD = 4;
/** CDW10 bit 15: Retain Asynchronous Event. */
const RAE = 1 << 15;
/** CDW14 bit 23: Offset Type (1 = LPO is an index; not supported here). */
const OT = 1 << 23;
/** CSI of the NVM Command Set (the only I/O command set this controller implements). */
const CSI_NVM = 0;
const SCRATCH_SIZE = 4096;

/** Entries in the Error Information log (ELPE + 1): one 4 KiB page of 64-byte entries. */
export const ERROR_LOG_ENTRIES = 64;
/** Error Information Log Entry LPVER (Base 2.1 §5.1.12.1.2: shall be 1h). */
const ERROR_LOG_VERSION = 1;
/** "Not applicable" for Parameter Error Location. */
const NO_PARAMETER = 0xffff;

/** Available Spare (percent) and Available Spare Threshold (percent) reported in SMART. */
const AVAILABLE_SPARE = 100, SPARE_THRESHOLD = 10;
/** Power Cycles: the simulation is one power-on. */
const POWER_CYCLES = 1;
const NS_PER_HOUR = 3_600 * 1e9;
/** Firmware slot the controller runs from (slot 1, read only: FRMW = 03h). */
const ACTIVE_FW_SLOT = 1;

type ErrorEntry = {
  error_count: number;
  sqid: number;
  cmdid: number;
  status_field: number;
  parm_error_location: number;
  nsid: number;
  opcode: number;
  csi: number;
  log_page_version: number;
};

/** A ring of the newest {@linkcode ERROR_LOG_ENTRIES} errors and the lifetime error count. */
class ErrorLog {
  readonly entries: ErrorEntry[] = [];
  count = 0;

  record(req: Request, status: number, phase: number): void {
    this.count++;
    const slot = (this.count - 1) % ERROR_LOG_ENTRIES;
    const e = this.entries[slot] ?? (this.entries[slot] = {} as ErrorEntry);
    e.error_count = this.count;
    e.sqid = req.sqid;
    e.cmdid = req.cid;
    e.status_field = ((status << 1) | phase) & 0xffff;
    e.parm_error_location = NO_PARAMETER;
    e.nsid = req.nsid;
    e.opcode = req.opcode;
    e.csi = CSI_NVM;
    e.log_page_version = ERROR_LOG_VERSION;
  }

  /** Newest entry first; slots never used stay zero (Error Count 0 = invalid entry). */
  encode(page: Uint8Array): number {
    const n = Math.min(this.count, ERROR_LOG_ENTRIES);
    for (let i = 0; i < n; i++) {
      const e = this.entries[(this.count - 1 - i) % ERROR_LOG_ENTRIES];
      ErrorInformationLogEntry.encode(e, page, i * ERROR_LOG_ENTRY_SIZE);
    }
    return ERROR_LOG_ENTRIES * ERROR_LOG_ENTRY_SIZE;
  }
}

/** Per-controller error logs (kept here until the controller owns one). */
const ERROR_LOGS = new WeakMap<NvmeController, ErrorLog>();

function errorLog(ctrl: NvmeController): ErrorLog {
  let log = ERROR_LOGS.get(ctrl);
  if (!log) ERROR_LOGS.set(ctrl, log = new ErrorLog());
  return log;
}

/**
 * Records a command that completes with `status` (non-zero) in the controller's Error
 * Information log. The phase tag is the one the completion is posted with unless the CQ holds it
 * back. Meant to be called by the controller for every failed completion.
 */
export function recordError(ctrl: NvmeController, req: Request, status: number): void {
  errorLog(ctrl).record(req, status, ctrl.cqs[req.cqid]?.phase ?? 0);
}

/** The number of errors recorded for `ctrl` (SMART Number of Error Information Log Entries). */
function errorCount(ctrl: NvmeController): number {
  return ERROR_LOGS.get(ctrl)?.count ?? 0;
}

// ---- page builders: each fills `page` (zeroed, 4096 bytes) and returns the page size ----

/** Host Read / Host Write Commands: the NVM commands that read or write logical blocks. */
const READ_OPCODES = [NvmOpcode.READ, NvmOpcode.COMPARE, NvmOpcode.VERIFY];
const WRITE_OPCODES = [NvmOpcode.WRITE, NvmOpcode.WRITE_UNCORRECTABLE, NvmOpcode.WRITE_ZEROES];

function commandsOf(byOpcode: Float64Array, opcodes: readonly number[]): number {
  let n = 0;
  for (const op of opcodes) n += byOpcode[op];
  return n;
}

/**
 * SMART / Health (§5.1.12.1.3), controller-wide. Host Read/Write Commands count the commands the
 * machine fetched (`ctrl.port.counters`, per simulation). Data Units Read/Written are 0: no counter
 * records the blocks transferred yet.
 */
function smartLog(ctrl: NvmeController, page: Uint8Array): number {
  const c = ctrl.port.counters;
  SmartLog.encode({
    // Bit 1 while the temperature is beyond a threshold (thermal.ts); nothing else degrades.
    critical_warning: ctrl.thermal.criticalWarning(),
    temperature: ctrl.thermal.temperatureK,
    avail_spare: AVAILABLE_SPARE,
    spare_thresh: SPARE_THRESHOLD,
    host_reads: commandsOf(c.ioByOpcode, READ_OPCODES),
    host_writes: commandsOf(c.ioByOpcode, WRITE_OPCODES),
    power_cycles: POWER_CYCLES,
    power_on_hours: Math.floor(ctrl.port.now() / NS_PER_HOUR),
    num_err_log_entries: errorCount(ctrl),
  }, page);
  return SMART_LOG_SIZE;
}

/** Firmware Slot Information (§5.1.12.1.4): running from slot 1, no next slot. */
function firmwareSlotLog(ctrl: NvmeController, page: Uint8Array): number {
  FirmwareSlotLog.encode({
    afi: ACTIVE_FW_SLOT << Afi.ACTIVE[0],
    frs1: ctrl.options.firmware,
  }, page);
  return FW_SLOT_LOG_SIZE;
}

/** The LIDs {@linkcode buildPage} serves: what the Supported Log Pages page lists. */
const SUPPORTED_LIDS: readonly number[] = [
  LogPageId.SUPPORTED_LOG_PAGES,
  LogPageId.ERROR,
  LogPageId.SMART,
  LogPageId.FW_SLOT,
  LogPageId.CHANGED_NS,
  LogPageId.CMD_EFFECTS,
  LogPageId.FID_SUPPORTED_EFFECTS,
  LogPageId.MI_CMD_SUPPORTED_EFFECTS,
];

/** Builds page `lid` into `page`; its size, or a status (negated) when it cannot be read. */
function buildPage(ctrl: NvmeController, req: Request, lid: number, page: Uint8Array): number {
  const invalidField = -(Status.INVALID_FIELD | DNR);
  const controllerScope = req.nsid === 0 || req.nsid === NSID_BROADCAST;
  switch (lid) {
    case LogPageId.SUPPORTED_LOG_PAGES:
      return controllerScope ? supportedLogPagesLog(SUPPORTED_LIDS, page) : invalidField;
    case LogPageId.FID_SUPPORTED_EFFECTS:
      return controllerScope ? featureEffectsLog(ctrl, page) : invalidField;
    case LogPageId.MI_CMD_SUPPORTED_EFFECTS:
      return controllerScope ? miCommandEffectsLog(page) : invalidField;
    case LogPageId.ERROR:
      return errorLog(ctrl).encode(page);
    case LogPageId.SMART:
      // LPA bit 0 is clear: only the controller-wide page (NSID 0 or FFFFFFFFh) exists.
      if (!controllerScope) return invalidField;
      return smartLog(ctrl, page);
    case LogPageId.FW_SLOT:
      return firmwareSlotLog(ctrl, page);
    case LogPageId.CHANGED_NS:
      ctrl.changedNamespaces.readPage(page, 0, true); // cleared only after a successful transfer
      return IDENTIFY_DATA_SIZE;
    case LogPageId.CMD_EFFECTS:
      if (req.cdw(14) >>> 24 !== CSI_NVM) return invalidField;
      return commandEffectsLog(ctrl, page);
    default:
      return -(Status.INVALID_LOG_PAGE | DNR);
  }
}

/**
 * Get Log Page (opcode 02h, §5.1.12). Statuses: Invalid Log Page (unknown LID); Invalid Field
 * (LPO not dword aligned, at or past the page size, OT = 1, a transfer above MDTS, a SMART NSID
 * other than 0/FFFFFFFFh, a Commands Supported and Effects CSI other than NVM); data pointer
 * errors from the transfer.
 */
export function getLogPage(ctrl: NvmeController, req: Request): number {
  const cdw10 = req.cdw(10);
  const lid = cdw10 & 0xff, rae = (cdw10 & RAE) !== 0;
  const dwords = (req.cdw(11) & 0xffff) * 0x10000 + (cdw10 >>> 16) + 1;
  const length = dwords * DWORD;
  // The `log-page-offset-ignored` mutant (mutants.ts) reads every page from byte 0.
  const offset = ctrl.mutants["log-page-offset-ignored"] ? 0 : req.cdw(13) * 2 ** 32 + req.cdw(12);
  const t = ctrl.port.trace;
  if (t.enabled) {
    const lsp = (cdw10 >>> 8) & 0x7f;
    t.emit({ type: "get_log", cid: req.cid, lid, lsp, rae: rae ? 1 : 0, len: length, off: offset });
  }
  const page = ctrl.scratchPage(SCRATCH_SIZE);
  page.fill(0);
  const size = buildPage(ctrl, req, lid, page);
  if (size < 0) return -size;
  if (
    (req.cdw(14) & OT) !== 0 || offset % DWORD !== 0 || offset >= size ||
    length > ctrl.maxTransferBytes()
  ) {
    return Status.INVALID_FIELD | DNR;
  }
  const status = sendWindow(ctrl, req, page, size, offset, length);
  if (status !== 0 || rae) return status;
  if (lid === LogPageId.CHANGED_NS) ctrl.changedNamespaces.clear();
  ctrl.events.logPageRead(lid);
  ctrl.deliverAsyncEvents(); // events of that type held while it was masked go out now
  return 0;
}

/** Sends `page[offset..size)` followed by zeros, `length` bytes in all. */
function sendWindow(
  ctrl: NvmeController,
  req: Request,
  page: Uint8Array,
  size: number,
  offset: number,
  length: number,
): number {
  const ps = ctrl.regs.pageSize();
  // The scratch page is zero past `size`, so a window inside it can go out as is.
  if (offset + length <= page.length) {
    return ctrl.transfer.toHost(req, page.subarray(offset), length, ps);
  }
  const out = ctrl.ioBuffer(length);
  out.fill(0);
  out.set(page.subarray(offset, size));
  return ctrl.transfer.toHost(req, out, length, ps);
}
