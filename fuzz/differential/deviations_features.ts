/**
 * Registered differential deviation classes of Get/Set Features and Get Log Page. See
 * `deviations.ts` for how they are applied.
 *
 * @module
 */

import { AdminOpcode } from "../../spec/opcodes.ts";
import { FeatureId } from "../../spec/features.ts";
import { LOG_PAGE_SIZE, LogPageId } from "../../spec/log_page_ids.ts";
import { memoryPageSize } from "../../spec/registers.ts";
import { SmartLog } from "../../spec/smart_log.ts";
import { Status } from "../../spec/status.ts";
import type { Divergence } from "./compare.ts";
import { CANARY } from "./commands.ts";
import {
  admin,
  dataRange,
  deviation as dev,
  type DifferentialDeviation,
  isData,
  logOffset,
  low8,
  otherStatus,
  QEMU_NOTES,
  refStatus,
  statusOrDnr,
} from "./deviation_types.ts";

const GET = AdminOpcode.GET_FEATURES, SET = AdminOpcode.SET_FEATURES;
const LOG = AdminOpcode.GET_LOG_PAGE;
const features = (d: Parameters<typeof admin>[0]) => admin(d, GET) || admin(d, SET);
const sel = (d: Parameters<typeof admin>[0]) => ((d.command?.cdw[0] ?? 0) >>> 8) & 7;
const nsid = (d: Parameters<typeof admin>[0]) => d.command?.nsid ?? 0;
/** Active NSIDs are 1 only; 2..NN are inactive; FFFFFFFFh is broadcast. */
const inactive = (n: number) => n >= 2 && n <= 256;
const observed = "Observed by this fuzzer against QEMU 7.2.22";
/** Memory page size the executor lays PRPs out with (CC.MPS 0h). */
const PAGE = memoryPageSize(0);

/** FIDs QEMU 7.2 supports (`nvme_feature_support`, reference §3). */
const QEMU_FIDS = new Set([
  0x01,
  0x02,
  0x04,
  0x05,
  0x06,
  0x07,
  0x08,
  0x09,
  0x0a,
  0x0b,
  0x0e,
  0x16,
  0x19,
]);
/** Supported FIDs QEMU 7.2 does not list as changeable (`nvme_feature_cap`). */
const QEMU_FIXED = new Set([0x01, 0x02, 0x08, 0x09, 0x0a]);
/** SMART / Health fields set by each implementation's history, clock or model. Critical Warning
 * is not one: it reports behaviour (spare, temperature thresholds, read-only media). */
const SMART_MODEL =
  /^data\.(temperature|avail_spare|spare_thresh|percent_used|data_units_read|data_units_written|host_reads|host_writes|ctrl_busy_time|power_cycles|power_on_hours|unsafe_shutdowns|num_err_log_entries|warning_temp_time|critical_comp_time|temp_sensor|thm_temp\d_(trans_count|total_time))$/;

/** Bytes of the SMART / Health log inside a model field (for reads not decoded field by field:
 * an offset or a short transfer). */
const SMART_MODEL_BYTES = (() => {
  const mask = new Uint8Array(SmartLog.size);
  for (const f of SmartLog.fields) {
    if (SMART_MODEL.test(`data.${f.name}`)) mask.fill(1, f.offset, f.offset + f.size);
  }
  return mask;
})();

/** A `data[a..b)` divergence of a SMART / Health read lies within model fields only. */
function smartRangeInModel(d: Divergence): boolean {
  const r = dataRange(d);
  if (!r) return false;
  const at = logOffset(d);
  for (let i = at + r[0]; i < at + r[1]; i++) if (SMART_MODEL_BYTES[i] !== 1) return false;
  return true;
}

/** QEMU 7.2's size of a log page it supports (the Error Information log has one entry: ELPE 0). */
function qemuLogBytes(lid: number): number | undefined {
  return LOG_PAGE_SIZE[lid];
}

/** The bytes of `range` in `data` are all `value`. */
function all(data: Uint8Array | undefined, range: [number, number], value: number): boolean {
  if (!data || data.length < range[1]) return false;
  if (range[0] >= range[1]) return true;
  return data.subarray(range[0], range[1]).every((b) => b === value);
}

/** Leading bytes of the host buffer QEMU writes for a Get Log Page: the bytes it transfers
 * (`min(log size − offset, length)`), except when those fit PRP1's page and one more while the
 * command's length needs a PRP list: QEMU then takes PRP2 as that page (nvme_map_prp() by its
 * transfer length) and writes what passes PRP1's page into the list, not the buffer. */
function qemuLogReach(d: Divergence, size: number): { transfer: number; reach: number } {
  const c = d.command!;
  const transfer = Math.max(0, Math.min(size - logOffset(d), c.bytes));
  const first = PAGE - (c.dptr.offset % PAGE);
  const prp2AsPage = transfer > first && transfer <= first + PAGE && c.bytes > first + PAGE;
  return { transfer, reach: prp2AsPage ? first : transfer };
}

/** A data range QEMU left at the host's fill byte, past what it writes of the log, where the
 * reference returned zeroes past the log's end. */
function pastLogEnd(d: Divergence): boolean {
  const r = dataRange(d), size = qemuLogBytes(low8(d));
  if (r === null || size === undefined || !d.command) return false;
  const { transfer, reach } = qemuLogReach(d, size);
  return r[0] >= reach && all(d.otherOutcome?.data, r, CANARY) &&
    all(d.referenceOutcome?.data, [Math.max(r[0], transfer), r[1]], 0);
}

/** The Get Log Page has an injected PRP fault, or transfers past the end of QEMU's log. */
function prpPastLog(d: Divergence): boolean {
  const c = d.command, size = qemuLogBytes(low8(d));
  if (!c) return false;
  return c.dptr.fault !== "none" || (size !== undefined && logOffset(d) + c.bytes > size);
}

/** Features and log page classes. */
export const FEATURE_LOG_DEVIATIONS: readonly DifferentialDeviation[] = [
  dev(
    "feature-not-changeable",
    "qemu",
    "Base 2.1 §5.1.25",
    [
      "features.arbitration.round-trip",
      "features.power-management.round-trip",
      "features.interrupt-coalescing.round-trip",
      "features.interrupt-vector.per-vector",
      "features.write-atomicity.round-trip",
    ],
    "Arbitration, Power Management, Interrupt Coalescing, Interrupt Vector Configuration and Write Atomicity Normal are not changeable on QEMU: Set is Feature Not Changeable (010Eh) and Get SEL 011b reports no capability.",
    `nvme_feature_cap[] (${QEMU_NOTES} §3).`,
    (d) =>
      QEMU_FIXED.has(low8(d)) &&
      ((admin(d, SET) && otherStatus(d) === Status.FEATURE_NOT_CHANGEABLE) ||
        (admin(d, GET) && sel(d) === 3 && d.field === "dw0")),
  ),
  dev(
    "feature-select-reserved",
    "qemu",
    "Base 2.1 §5.1.11",
    ["features.select.reserved"],
    "Get Features with a reserved SEL (100b–111b) is answered as SEL 000b by QEMU; the reference fails it with Invalid Field in Command.",
    `nvme_get_feature() has no default branch on SEL (${QEMU_NOTES} §3).`,
    (d) => admin(d, GET) && sel(d) >= 4,
  ),
  dev(
    "feature-absent-in-qemu",
    "both-allowed",
    "Base 2.1 §5.1.25 (optional features)",
    [],
    "Optional features the reference implements and QEMU 7.2 does not (LBA Range Type, APST, HMB, Keep Alive Timer, HCTM, NOPSC, Software Progress Marker, Host Identifier) are Invalid Field in Command on QEMU.",
    `nvme_feature_support[] (${QEMU_NOTES} §3).`,
    (d) =>
      features(d) && !QEMU_FIDS.has(low8(d)) &&
      (otherStatus(d) === Status.INVALID_FIELD || otherStatus(d) === Status.FEATURE_NOT_SAVEABLE),
  ),
  dev(
    "feature-absent-in-reference",
    "both-allowed",
    "Base 2.1 §5.1.25.1.14, §5.1.25.1.17 (optional)",
    [],
    "Host Behavior Support (16h) and Command Set Profile (19h) are implemented by QEMU, not by the reference (Invalid Field in Command).",
    `nvme_feature_support[] (${QEMU_NOTES} §3).`,
    (d) =>
      features(d) && (low8(d) === FeatureId.HOST_BEHAVIOR || low8(d) === 0x19) &&
      refStatus(d) === Status.INVALID_FIELD,
  ),
  dev(
    "temperature-threshold-unchecked",
    "qemu",
    "Base 2.1 §5.1.25.1.3",
    [],
    "Set Features Temperature Threshold for a sensor that does not exist (TMPSEL 1h–Eh) or with a reserved THSEL succeeds on QEMU; the reference fails it with Invalid Field in Command.",
    `${observed}: CDW11 100BCh and 29F969h → success. QEMU keeps thresholds for the composite sensor only (${QEMU_NOTES} §3).`,
    (d) => {
      if (
        !admin(d, SET) || low8(d) !== FeatureId.TEMPERATURE_THRESHOLD || !statusOrDnr(d)
      ) return false;
      const v = d.command!.cdw[1], tmpsel = (v >>> 16) & 0xf, thsel = (v >>> 20) & 3;
      return thsel >= 2 || (tmpsel >= 1 && tmpsel < 15);
    },
  ),
  dev(
    "namespace-feature-nsid-zero",
    "qemu",
    "Base 2.1 §5.1.11, NVM CS 1.1 (Error Recovery feature)",
    ["features.error-recovery.round-trip", "features.select.capabilities-consistent"],
    "Get/Set Features Error Recovery (namespace specific) with NSID 0h is Invalid Namespace or Format on QEMU; the reference applies it to the controller's namespaces.",
    "nvme_get_feature()/nvme_set_feature() check the NSID of namespace-specific features first.",
    (d) =>
      features(d) && low8(d) === FeatureId.ERROR_RECOVERY && nsid(d) === 0 &&
      otherStatus(d) === Status.INVALID_NAMESPACE,
  ),
  dev(
    "get-namespace-feature-broadcast",
    "both-allowed",
    "Base 2.1 §5.1.11 (NSID FFFFFFFFh in Get Features)",
    ["features.error-recovery.round-trip"],
    "Get Features Error Recovery (namespace specific) with NSID FFFFFFFFh is Invalid Namespace or Format on QEMU; the reference returns the value it applies to all namespaces.",
    `${observed}; nvme_get_feature() requires an active NSID for namespace-specific features.`,
    (d) =>
      admin(d, GET) && low8(d) === FeatureId.ERROR_RECOVERY && nsid(d) === 0xffff_ffff &&
      otherStatus(d) === Status.INVALID_NAMESPACE,
  ),
  dev(
    "vwc-default-value",
    "qemu",
    "Base 2.1 §5.1.11 (SEL 001b: default value)",
    [],
    "Get Features Volatile Write Cache SEL default/saved reads 0 on QEMU although the cache is enabled after every reset (current 1); the reference reports 1.",
    `${observed}; nvme_feature_default[] has no VWC entry while the current value follows the drive's cache (${QEMU_NOTES} §3).`,
    (d) =>
      admin(d, GET) && low8(d) === FeatureId.VOLATILE_WRITE_CACHE &&
      (sel(d) === 1 || sel(d) === 2) && d.field === "dw0",
  ),
  dev(
    "iv-config-admin-cd",
    "both-allowed",
    "Base 2.1 §5.1.25.2.3",
    [],
    "Interrupt Vector Configuration of vector 0 reports CD (coalescing disabled) on QEMU; the reference reports 0. Coalescing never applies to the admin vector either way.",
    `${observed}: DW0 0x10000 (${QEMU_NOTES} §3).`,
    (d) => admin(d, GET) && low8(d) === FeatureId.INTERRUPT_VECTOR_CONFIG && d.field === "dw0",
  ),
  dev(
    "timestamp",
    "both-allowed",
    "Base 2.1 §5.1.25.1.7",
    [],
    "The Timestamp counts each side's own clock (virtual vs wall-clock time); QEMU answers SEL default/saved with success and no data transferred.",
    `${observed}; nvme_get_feature() transfers the timestamp only for SEL current.`,
    (d) => admin(d, GET) && low8(d) === FeatureId.TIMESTAMP && isData(d),
  ),
  dev(
    "error-log-never-recorded",
    "qemu",
    "Base 2.1 §5.1.12.1.2",
    [],
    "QEMU's Error Information log entries are always zero and it has one entry (ELPE 0); the reference records errors in a longer log, so content and the offsets past QEMU's log size differ.",
    `nvme_error_info() (${QEMU_NOTES} §4).`,
    (d) => admin(d, LOG) && low8(d) === LogPageId.ERROR && (isData(d) || statusOrDnr(d)),
  ),
  dev(
    "smart-model-fields",
    "both-allowed",
    "Base 2.1 §5.1.12.1.3",
    [],
    "SMART / Health counters, temperatures, spare and wear figures come from each implementation's history, clock and model.",
    "The QEMU process serves many sequences; QEMU reports 0 spare and fixed temperatures.",
    (d) =>
      admin(d, LOG) && low8(d) === LogPageId.SMART &&
      (SMART_MODEL.test(d.field) || smartRangeInModel(d)),
  ),
  dev(
    "smart-nsid",
    "both-allowed",
    "Base 2.1 §5.1.12.1.3, §5.1.13.2.1 (LPA bit 0)",
    [],
    "SMART / Health with NSID 0h is Invalid Namespace or Format on QEMU; per-namespace SMART (LPA bit 0) is supported by QEMU only; for an inactive NSID QEMU answers Invalid Namespace or Format where the reference answers Invalid Field in Command.",
    `${observed}; nvme_smart_info() (${QEMU_NOTES} §4).`,
    (d) =>
      admin(d, LOG) && low8(d) === LogPageId.SMART && statusOrDnr(d) &&
      (nsid(d) === 0 || nsid(d) === 1 || inactive(nsid(d))),
  ),
  dev(
    "log-page-unsupported-lid-status",
    "qemu",
    "Base 2.1 §5.1.12 (Invalid Log Page)",
    ["log-page.lid.unsupported"],
    "An unsupported LID is Invalid Field in Command (0002h) on QEMU and Invalid Log Page (0109h) on the reference.",
    `nvme_get_log() default branch (${QEMU_NOTES} §4).`,
    (d) =>
      admin(d, LOG) && statusOrDnr(d) && refStatus(d) === Status.INVALID_LOG_PAGE &&
      otherStatus(d) === Status.INVALID_FIELD,
  ),
  dev(
    "log-page-absent-in-qemu",
    "both-allowed",
    "Base 2.1 §5.1.12.1.1 (Supported Log Pages, optional)",
    [],
    "Log pages the reference supports and QEMU 7.2 does not (Supported Log Pages 00h) are Invalid Field in Command on QEMU.",
    `nvme_get_log() supports LIDs 01h–05h only (${QEMU_NOTES} §4).`,
    (d) =>
      admin(d, LOG) && low8(d) === LogPageId.SUPPORTED_LOG_PAGES && statusOrDnr(d) &&
      otherStatus(d) === Status.INVALID_FIELD,
  ),
  dev(
    "log-page-past-end-untouched",
    "qemu",
    "Base 2.1 §5.1.12 (data past the end of a log page)",
    [],
    "A Get Log Page longer than the log transfers only the log on QEMU, leaving the rest of the host buffer untouched; the reference returns zeroes past the end. When the log fits PRP1's page and one more but the length needs a PRP list, QEMU writes the bytes past PRP1's page into the list page (log-page-prp-by-transfer-length), so the buffer is untouched from the end of PRP1's page.",
    `${observed}: LID 04h, 512 KiB → bytes past 4 KiB keep the host's fill byte; LID 04h, offset 4, 512 KiB, PRP1 +8h → the buffer keeps the fill byte from FF8h (seed 1234, length 40). nvme_c2h() of min(log size − offset, length).`,
    (d) => admin(d, LOG) && pastLogEnd(d),
  ),
  dev(
    "log-page-prp-by-transfer-length",
    "qemu",
    "Base 2.1 §4.3.1 (PRP2 is a list when the command's transfer needs more than two pages)",
    [],
    "QEMU walks the PRPs of a Get Log Page for the bytes it transfers (at most the log), not for NUMD: PRP2 is taken as a page pointer when the log fits in two pages although NUMD needs a list (PRP Offset Invalid), and faults past the log are never seen.",
    `${observed}: LID 04h, NUMD 512 KiB, PRP1 +AE4h, list at +800h → QEMU 0x013; LID 02h with a misaligned PRP2 past the log → QEMU success.`,
    (d) =>
      admin(d, LOG) && statusOrDnr(d) && prpPastLog(d) &&
      (refStatus(d) === Status.PRP_OFFSET_INVALID || otherStatus(d) === Status.PRP_OFFSET_INVALID),
  ),
  dev(
    "fw-slot-revision",
    "qemu",
    "Base 2.1 §5.1.12.1.4",
    ["log-page.fw-slot.active-revision"],
    'The Firmware Slot Information log reports FRS1 "1.0" on QEMU while FR is the QEMU version.',
    'nvme_fw_log_info() hard-codes "1.0".',
    (d) => admin(d, LOG) && low8(d) === LogPageId.FW_SLOT && isData(d),
  ),
  dev(
    "command-effects-content",
    "both-allowed",
    "Base 2.1 §5.1.12.1.6",
    [],
    "Commands Supported and Effects lists each implementation's command set, which differ where other classes register it.",
    `${observed}.`,
    (d) => admin(d, LOG) && low8(d) === LogPageId.CMD_EFFECTS && isData(d),
  ),
];
