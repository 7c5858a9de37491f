/**
 * Conformance cases: log-page — Get Log Page (Base 2.1 §5.1.12): the mandatory pages (Error
 * Information, SMART / Health, Firmware Slot) and the ones a target advertises (Commands
 * Supported and Effects with LPA bit 1, Supported Log Pages with LPA bit 5), the byte window
 * NUMD and LPO select, and unsupported LIDs. Pages tied to asynchronous events (RAE, Changed
 * Namespace List, the SMART temperature warning) are in log_pages_events.ts.
 *
 * @module
 */

import { Cns } from "../../spec/admin_commands.ts";
import { CmdEffects, CommandsSupportedEffectsLog } from "../../spec/cmd_effects_log.ts";
import { ErrorInformationLogEntry, ErrorStatusField } from "../../spec/error_log.ts";
import { Afi, FirmwareSlotLog, frsField, FW_SLOT_LOG_SIZE } from "../../spec/fw_slot_log.ts";
import {
  bitRange,
  Frmw,
  IdentifyController,
  Lpa,
  testBit,
} from "../../spec/identify_controller.ts";
import { errorLogSize, LogPageId } from "../../spec/log_page_ids.ts";
import { AdminOpcode, NvmOpcode } from "../../spec/opcodes.ts";
import { SMART_LOG_SIZE, SmartLog } from "../../spec/smart_log.ts";
import { SubmissionQueueEntry } from "../../spec/sqe.ts";
import { Status } from "../../spec/status.ts";
import type { IdentifyControllerValue } from "../../spec/value_types.ts";
import { type CaseContext, type ConformanceCase, defineCases } from "../case.ts";
import {
  type Admin,
  allBytes,
  dataBuffer,
  DWORD,
  enableAdmin,
  FILL_BYTE,
  firstDifference,
  getLogPage,
  hex,
  identify,
  identifyOk,
  NSID_ALL,
  readBuffer,
} from "./_admin_util.ts";

const GLP = "Base 2.1 §5.1.12";
const ERROR_LOG = "Base 2.1 §5.1.12.1.2";
const SMART = "Base 2.1 §5.1.12.1.3";
const FW_SLOT = "Base 2.1 §5.1.12.1.4";
const EFFECTS = "Base 2.1 §5.1.12.1.6";
const SUPPORTED = "Base 2.1 §5.1.12.1.1";
/** Supported Log Pages: 256 entries of 4 bytes; bit 0 (LSUPP) says the LID is supported. */
const SUPPORTED_LOG_SIZE = 1024, LSUPP = 1;
/** LIDs Base 2.1 leaves reserved (none of 00h–31h's defined pages, not vendor specific). */
const RESERVED_LIDS = [0x6f, 0x7f];
/** A CNS no controller supports, to make one command fail on purpose. */
const RESERVED_CNS = 0x7f;
/** Admin opcodes Base 2.1 leaves unassigned. */
const UNASSIGNED_ADMIN_OPCODES = [0x03, 0x07, 0x0b];
/** Admin and NVM commands every I/O controller supports. */
const MANDATORY_ADMIN = [
  AdminOpcode.DELETE_IO_SQ,
  AdminOpcode.CREATE_IO_SQ,
  AdminOpcode.GET_LOG_PAGE,
  AdminOpcode.DELETE_IO_CQ,
  AdminOpcode.CREATE_IO_CQ,
  AdminOpcode.IDENTIFY,
  AdminOpcode.ABORT,
  AdminOpcode.SET_FEATURES,
  AdminOpcode.GET_FEATURES,
  AdminOpcode.ASYNC_EVENT_REQUEST,
];
const MANDATORY_NVM = [NvmOpcode.FLUSH, NvmOpcode.WRITE, NvmOpcode.READ];
/** A window inside the Firmware Slot page: bytes 64..191. */
const WINDOW_OFFSET = 64, WINDOW_LENGTH = 128;
/** A short read: the first four dwords. */
const SHORT_LENGTH = 4 * DWORD;
/** Percent fields of the SMART page that cannot exceed 100. */
const PERCENT_MAX = 100;
/** Critical Warning bits 7:6 are reserved. */
const CRITICAL_WARNING_RESERVED = 0xc0;

function idCtrl(ctx: CaseContext, admin: Admin): IdentifyControllerValue {
  return IdentifyController.decode(identifyOk(ctx, admin, Cns.CONTROLLER));
}

/** Skips unless the controller honours LPOL/LPOU and NUMDU (LPA bit 2). */
function needExtended(ctx: CaseContext, admin: Admin): void {
  if (!testBit(idCtrl(ctx, admin).lpa, Lpa.EXTENDED)) {
    ctx.skip("LPA bit 2 clear: Log Page Offset is not supported");
  }
}

/** Reads a page that must succeed. */
function readOk(ctx: CaseContext, admin: Admin, lid: number, length: number, nsid = NSID_ALL) {
  const r = getLogPage(admin, lid, length, { nsid });
  ctx.expectStatus(r.c, 0, `Get Log Page ${hex(lid)} (${length} bytes, NSID ${hex(nsid)})`);
  return r.data;
}

/** The log-page cases. */
export const CASES: readonly ConformanceCase[] = defineCases([
  {
    id: "log-page.error.entry-for-failed-command",
    title: "Error Information: a failed admin command gets a new entry with its CID and status",
    section: ERROR_LOG,
    needs: ["identify"],
    run(ctx: CaseContext) {
      const admin = enableAdmin(ctx);
      const size = errorLogSize(idCtrl(ctx, admin).elpe);
      const entries = (data: Uint8Array) =>
        Array.from(
          { length: data.length / ErrorInformationLogEntry.size },
          (_, i) => ErrorInformationLogEntry.decode(data, i * ErrorInformationLogEntry.size),
        ).filter((e) => e.error_count !== 0n);
      const before = entries(readOk(ctx, admin, LogPageId.ERROR, size));
      const counts = before.map((e) => e.error_count);
      ctx.check(new Set(counts).size === counts.length, "two entries share an Error Count");
      const top = counts.reduce((a, b) => (b > a ? b : a), 0n);
      const failed = identify(admin, RESERVED_CNS);
      ctx.expectStatus(failed.c, Status.INVALID_FIELD, `Identify CNS ${hex(RESERVED_CNS)}`);
      const after = entries(readOk(ctx, admin, LogPageId.ERROR, size));
      const fresh = after.filter((e) => e.error_count > top);
      if (fresh.length === 0) ctx.skip("the target records no Error Information entry for it");
      const mine = fresh.find((e) => e.sqid === 0 && e.cmdid === failed.c.cid);
      ctx.check(mine, `no new entry names SQ 0 CID ${failed.c.cid}`);
      const status = bitRange(mine.status_field, ErrorStatusField.STATUS) & 0x7ff;
      ctx.check(
        status === failed.c.status,
        `entry status ${hex(status)} differs from the completion's ${hex(failed.c.status)}`,
      );
    },
  },
  {
    id: "log-page.smart.fields-in-range",
    title: "SMART / Health: a 512-byte page with percentages, temperature and warnings in range",
    section: SMART,
    run(ctx: CaseContext) {
      const s = SmartLog.decode(readOk(ctx, enableAdmin(ctx), LogPageId.SMART, SMART_LOG_SIZE));
      ctx.check(s.avail_spare <= PERCENT_MAX, `Available Spare ${s.avail_spare}% > 100%`);
      ctx.check(s.spare_thresh <= PERCENT_MAX, `Available Spare Threshold ${s.spare_thresh}%`);
      ctx.check(s.temperature > 0, "Composite Temperature is 0 K");
      ctx.check(
        (s.critical_warning & CRITICAL_WARNING_RESERVED) === 0,
        `Critical Warning ${hex(s.critical_warning)} sets reserved bits 7:6`,
      );
    },
  },
  {
    id: "log-page.smart.controller-wide-nsid",
    title: "SMART / Health with NSID FFFFFFFFh is the controller-wide page; NSID 0, if " +
      "accepted, returns the same",
    section: SMART,
    run(ctx: CaseContext) {
      const admin = enableAdmin(ctx);
      const a = SmartLog.decode(readOk(ctx, admin, LogPageId.SMART, SMART_LOG_SIZE, NSID_ALL));
      const zero = getLogPage(admin, LogPageId.SMART, SMART_LOG_SIZE, { nsid: 0 });
      // Controller-scope pages take NSID FFFFFFFFh; some controllers refuse NSID 0.
      ctx.expectStatus(
        zero.c,
        [Status.SUCCESS, Status.INVALID_FIELD, Status.INVALID_NAMESPACE],
        "SMART / Health with NSID 0",
      );
      if (zero.c.status !== 0) return;
      const b = SmartLog.decode(zero.data);
      for (
        const f of ["critical_warning", "avail_spare", "spare_thresh", "percent_used"] as const
      ) {
        ctx.check(a[f] === b[f], `${f}: ${a[f]} with NSID FFFFFFFFh, ${b[f]} with NSID 0`);
      }
    },
  },
  {
    id: "log-page.smart.per-namespace",
    title: "SMART / Health for one NSID: supported with LPA bit 0, else Invalid Field in Command",
    section: SMART,
    needs: ["identify", "namespace"],
    run(ctx: CaseContext) {
      const admin = enableAdmin(ctx);
      const perNs = testBit(idCtrl(ctx, admin).lpa, Lpa.SMART_PER_NS);
      const r = getLogPage(admin, LogPageId.SMART, SMART_LOG_SIZE, { nsid: ctx.caps.nsid });
      ctx.expectStatus(
        r.c,
        perNs ? Status.SUCCESS : Status.INVALID_FIELD,
        `SMART / Health for NSID ${ctx.caps.nsid} (LPA bit 0 ${perNs ? "set" : "clear"})`,
      );
    },
  },
  {
    id: "log-page.fw-slot.active-revision",
    title: "Firmware Slot: the active slot exists and holds the revision Identify reports in FR",
    section: FW_SLOT,
    needs: ["identify"],
    run(ctx: CaseContext) {
      const admin = enableAdmin(ctx);
      const idData = identifyOk(ctx, admin, Cns.CONTROLLER);
      const slots = bitRange(IdentifyController.decode(idData).frmw, Frmw.NUM_SLOTS);
      const raw = readOk(ctx, admin, LogPageId.FW_SLOT, FW_SLOT_LOG_SIZE);
      const log = FirmwareSlotLog.decode(raw);
      const active = bitRange(log.afi, Afi.ACTIVE), next = bitRange(log.afi, Afi.NEXT);
      ctx.check(active >= 1 && active <= slots, `AFI active slot ${active} outside 1..${slots}`);
      ctx.check(next <= slots, `AFI next slot ${next} outside 0..${slots}`);
      const frOffset = IdentifyController.field("fr").offset;
      const frsOffset = FirmwareSlotLog.field(frsField(active)).offset;
      const fr = idData.subarray(frOffset, frOffset + 8);
      const at = firstDifference(raw.subarray(frsOffset, frsOffset + 8), fr);
      ctx.check(at < 0, `FRS${active} differs from Identify FR at byte ${at}`);
    },
  },
  {
    id: "log-page.cmd-effects.supported-commands",
    title: "Commands Supported and Effects: mandatory commands have CSUPP; unlisted opcodes are " +
      "Invalid Command Opcode",
    section: EFFECTS,
    needs: ["identify"],
    run(ctx: CaseContext) {
      const admin = enableAdmin(ctx);
      if (!testBit(idCtrl(ctx, admin).lpa, Lpa.CMD_EFFECTS)) ctx.skip("LPA bit 1 clear");
      const log = CommandsSupportedEffectsLog.decode(
        readOk(ctx, admin, LogPageId.CMD_EFFECTS, CommandsSupportedEffectsLog.size),
      );
      const csupp = (e: number) => testBit(e, CmdEffects.CSUPP);
      for (const op of MANDATORY_ADMIN) {
        ctx.check(csupp(log.acs[op]), `admin opcode ${hex(op)} lacks CSUPP`);
      }
      for (const op of MANDATORY_NVM) {
        ctx.check(csupp(log.iocs[op]), `NVM opcode ${hex(op)} lacks CSUPP`);
      }
      for (const op of UNASSIGNED_ADMIN_OPCODES.filter((o) => !csupp(log.acs[o]))) {
        const sqe = SubmissionQueueEntry.encode({ opcode: op });
        ctx.expectStatus(admin.exec(sqe), Status.INVALID_OPCODE, `admin opcode ${hex(op)}`);
      }
    },
  },
  {
    id: "log-page.supported-pages.mandatory-listed",
    title: "Supported Log Pages lists itself and the Error, SMART and Firmware Slot pages",
    section: SUPPORTED,
    needs: ["identify"],
    run(ctx: CaseContext) {
      const admin = enableAdmin(ctx);
      const { lpa } = idCtrl(ctx, admin);
      if (!testBit(lpa, Lpa.MISC_LOGS)) ctx.skip("LPA bit 5 clear: no Supported Log Pages page");
      const data = readOk(ctx, admin, LogPageId.SUPPORTED_LOG_PAGES, SUPPORTED_LOG_SIZE);
      const dv = new DataView(data.buffer, data.byteOffset, data.byteLength);
      const lids = [
        LogPageId.SUPPORTED_LOG_PAGES,
        LogPageId.ERROR,
        LogPageId.SMART,
        LogPageId.FW_SLOT,
        ...(testBit(lpa, Lpa.CMD_EFFECTS) ? [LogPageId.CMD_EFFECTS] : []),
      ];
      for (const lid of lids) {
        ctx.check(dv.getUint32(lid * DWORD, true) & LSUPP, `LID ${hex(lid)} lacks LSUPP`);
      }
    },
  },
  {
    id: "log-page.lid.unsupported",
    title: "A reserved Log Page Identifier is Invalid Log Page and the controller keeps working",
    section: GLP,
    run(ctx: CaseContext) {
      const admin = enableAdmin(ctx);
      for (const lid of RESERVED_LIDS) {
        const r = getLogPage(admin, lid, SMART_LOG_SIZE);
        ctx.expectStatus(r.c, Status.INVALID_LOG_PAGE, `Get Log Page LID ${hex(lid)}`);
      }
      readOk(ctx, admin, LogPageId.SMART, SMART_LOG_SIZE);
    },
  },
  {
    id: "log-page.offset.window",
    title: "LPO and NUMD select a window: bytes 64..191 of the Firmware Slot page",
    section: GLP,
    run(ctx: CaseContext) {
      const admin = enableAdmin(ctx);
      needExtended(ctx, admin);
      const full = readOk(ctx, admin, LogPageId.FW_SLOT, FW_SLOT_LOG_SIZE);
      const r = getLogPage(admin, LogPageId.FW_SLOT, WINDOW_LENGTH, { offset: WINDOW_OFFSET });
      ctx.expectStatus(r.c, 0, `Firmware Slot log from offset ${WINDOW_OFFSET}`);
      const at = firstDifference(
        r.data,
        full.subarray(WINDOW_OFFSET, WINDOW_OFFSET + WINDOW_LENGTH),
      );
      ctx.check(at < 0, `window differs from the page at byte ${WINDOW_OFFSET + at}`);
    },
  },
  {
    id: "log-page.offset.not-dword-aligned",
    title: "An LPO that is not dword aligned is Invalid Field in Command",
    section: GLP,
    run(ctx: CaseContext) {
      const admin = enableAdmin(ctx);
      needExtended(ctx, admin);
      const r = getLogPage(admin, LogPageId.FW_SLOT, WINDOW_LENGTH, { offset: 2 });
      ctx.expectStatus(r.c, Status.INVALID_FIELD, "Firmware Slot log with LPO 2");
    },
  },
  {
    id: "log-page.offset.beyond-page",
    title: "An LPO beyond the end of the page is Invalid Field in Command",
    section: GLP,
    run(ctx: CaseContext) {
      const admin = enableAdmin(ctx);
      needExtended(ctx, admin);
      const offset = 2 * FW_SLOT_LOG_SIZE;
      const r = getLogPage(admin, LogPageId.FW_SLOT, WINDOW_LENGTH, { offset });
      ctx.expectStatus(r.c, Status.INVALID_FIELD, `Firmware Slot log (512 bytes) at LPO ${offset}`);
    },
  },
  {
    id: "log-page.numd.past-end",
    title: "NUMD beyond the page still returns the complete page",
    section: GLP,
    run(ctx: CaseContext) {
      const admin = enableAdmin(ctx);
      const full = readOk(ctx, admin, LogPageId.FW_SLOT, FW_SLOT_LOG_SIZE);
      const long = readOk(ctx, admin, LogPageId.FW_SLOT, 2 * FW_SLOT_LOG_SIZE);
      const at = firstDifference(long.subarray(0, FW_SLOT_LOG_SIZE), full);
      ctx.check(at < 0, `a 1024-byte read differs from the 512-byte page at byte ${at}`);
    },
  },
  {
    id: "log-page.numd.short",
    title: "A read shorter than the page transfers exactly NUMD + 1 dwords",
    section: GLP,
    run(ctx: CaseContext) {
      const admin = enableAdmin(ctx);
      const full = readOk(ctx, admin, LogPageId.FW_SLOT, FW_SLOT_LOG_SIZE);
      // A 512-byte buffer, asked for 16 bytes: nothing past them may change.
      const buf = dataBuffer(ctx.host, FW_SLOT_LOG_SIZE);
      const r = getLogPage(admin, LogPageId.FW_SLOT, SHORT_LENGTH, { buf });
      ctx.expectStatus(r.c, 0, `Firmware Slot log, ${SHORT_LENGTH} bytes`);
      const all = readBuffer(ctx.host, buf);
      const at = firstDifference(all.subarray(0, SHORT_LENGTH), full.subarray(0, SHORT_LENGTH));
      ctx.check(at < 0, `the ${SHORT_LENGTH} bytes differ from the page at byte ${at}`);
      ctx.check(
        allBytes(all.subarray(SHORT_LENGTH), FILL_BYTE),
        `bytes past NUMD + 1 dwords (${SHORT_LENGTH}) changed`,
      );
    },
  },
]);
