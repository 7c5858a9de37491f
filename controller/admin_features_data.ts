/**
 * The three Set/Get Features that carry a data structure: Autonomous Power State Transition (0Ch,
 * Base 2.1 §5.1.25.1.6), Host Memory Buffer (0Dh, §5.1.25.2.4) and Timestamp (0Eh, §5.1.25.1.7).
 * admin_features.ts does the common part (unknown FID, SV, SEL = supported capabilities) and
 * calls in here.
 *
 * State lives in a WeakMap keyed by the controller. It is valid only while the controller's
 * `features` map holds an entry for the FID: the engine clears that map on every Controller Level
 * Reset (CC.EN 1→0, FLR, NSSR, power loss), so a reset returns all three features to their
 * defaults (none of them is persistent across a reset, Base 2.1 §5.1.25 Feature Identifiers).
 *
 * Choices documented here:
 * - Timestamp: after a Set Features the controller reports the host's value plus the virtual time
 *   elapsed since (TO = 001b, Synch = 0: virtual time never stops). After a Controller Level Reset
 *   and before a Set the Timestamp field reads 0h with TO = 000b ("initialized to 0h by a
 *   Controller Level Reset"). This module cannot see the instant of the reset (no hook in
 *   controller.ts), so that 0h does not count up; Synch = 1 ("may have stopped counting") says so
 *   honestly rather than claiming continuous counting.
 * - APST: NPSS is 0 (one power state), so every entry's ITPS must be 0; the controller never makes
 *   an autonomous transition (there is nowhere to go) but keeps APSTE and the table as set.
 * - Host Memory Buffer: the descriptor list is read and validated, the attributes are kept, and
 *   the memory itself is never touched: this controller has no use for it. Disabling (EHM = 0)
 *   always succeeds and clears the attributes. MR (memory return) has no effect.
 *
 * @module
 */

import { FeatureSelect } from "../spec/admin_commands.ts";
import {
  FeatureId,
  HostMemoryBufferAttributes,
  HostMemoryBufferDescriptor,
  Timestamp,
} from "../spec/features.ts";
import { Status, STATUS_DNR as DNR } from "../spec/status.ts";
import type { NvmeController } from "./controller.ts";
import type { Request } from "./request.ts";

/** Identify NPSS (0's based): one power state descriptor (admin_identify.ts `psd`). */
export const NPSS = 0;
/** Identify HMPRE in 4 KiB units: 1024 = 4 MiB preferred (Base 2.1 §5.1.13.2.1). */
export const HMPRE = 1024;
/** Identify HMMIN in 4 KiB units: 256 = 1 MiB minimum (Base 2.1 §5.1.13.2.1). */
export const HMMIN = 256;
/** The unit of HMPRE and HMMIN in bytes. */
const HMB_IDENTIFY_UNIT = 4096;

/** APST data structure: 32 entries of 8 bytes (Base 2.1 §5.1.25.1.6). */
const APST_TABLE_SIZE = 256;
const APST_ENTRY_SIZE = 8;
/** ITPS, bits 7:3 of an entry: Idle Transition Power State. */
const ITPS_SHIFT = 3;
const ITPS_MASK = 0x1f;
/** CDW11 bit 0: APSTE. */
const APSTE = 1 << 0;

/** Host Memory Buffer Attributes data structure size (Base 2.1 §5.1.25.2.4). */
const HMB_ATTRIBUTES_SIZE = HostMemoryBufferAttributes.size;
const HMB_DESCRIPTOR_SIZE = HostMemoryBufferDescriptor.size;
/** HMDLLA bits 3:0 are reserved: the list is 16-byte aligned. */
const HMDL_ALIGN_MASK = 0xf;
/** CDW11 bit 0: EHM (Enable Host Memory). */
const EHM = 1 << 0;

/** Timestamp data structure size (Base 2.1 §5.1.25.1.7). */
const TIMESTAMP_SIZE = Timestamp.size;
const TIMESTAMP_MASK = 2 ** 48;
const NS_PER_MS = 1_000_000;
/** Timestamp Origin values. */
const TimestampOrigin = {
  /** Initialized to 0h by a Controller Level Reset. */
  RESET: 0b000,
  /** Initialized by Set Features. */
  SET_FEATURES: 0b001,
} as const;
/** Synch: 1 = the controller may have stopped counting. */
const SYNCH_MAY_HAVE_STOPPED = 1;

/** Host Memory Buffer attributes as the host set them. */
interface HmbAttributes {
  hsize: number;
  hmdlal: number;
  hmdlau: number;
  hmdlec: number;
}

/** Per-controller state of the data features (valid while `ctrl.features` has the FID). */
interface DataFeatureState {
  apstTable: Uint8Array;
  hmb: HmbAttributes;
  /** Host timestamp (ms) and the virtual time (ns) at which it was set. */
  timestamp: { hostMs: number; setAtNs: number };
}

const STATE = new WeakMap<NvmeController, DataFeatureState>();

function state(ctrl: NvmeController): DataFeatureState {
  let s = STATE.get(ctrl);
  if (!s) {
    s = {
      apstTable: new Uint8Array(APST_TABLE_SIZE),
      hmb: { hsize: 0, hmdlal: 0, hmdlau: 0, hmdlec: 0 },
      timestamp: { hostMs: 0, setAtNs: 0 },
    };
    STATE.set(ctrl, s);
  }
  return s;
}

/** The data features and their default completion DW0 (APSTE 0, EHM 0, none for Timestamp). */
export const DATA_FEATURE_DEFAULTS: ReadonlyMap<number, number> = new Map([
  [FeatureId.AUTONOMOUS_POWER_STATE, 0],
  [FeatureId.HOST_MEMORY_BUFFER, 0],
  [FeatureId.TIMESTAMP, 0],
]);

/** Set Features for a data feature (`fid` in {@linkcode DATA_FEATURE_DEFAULTS}); 0 or a status. */
export function setDataFeature(ctrl: NvmeController, req: Request, fid: number): number {
  switch (fid) {
    case FeatureId.AUTONOMOUS_POWER_STATE:
      return setApst(ctrl, req);
    case FeatureId.HOST_MEMORY_BUFFER:
      return setHostMemoryBuffer(ctrl, req);
    case FeatureId.TIMESTAMP:
      return setTimestamp(ctrl, req);
    default:
      return Status.INVALID_FIELD | DNR;
  }
}

/**
 * Get Features for a data feature with SEL current, default or saved (nothing is saveable, so
 * saved = default): DW0 and the data structure through the command's data pointer.
 */
export function getDataFeature(
  ctrl: NvmeController,
  req: Request,
  fid: number,
  sel: number,
): number {
  const current = sel === FeatureSelect.CURRENT && ctrl.features.has(fid);
  const s = state(ctrl);
  const page = ctrl.regs.pageSize();
  switch (fid) {
    case FeatureId.AUTONOMOUS_POWER_STATE: {
      // §5.1.25.1.6: DW0 bit 0 = APSTE; the table is returned in the data buffer.
      const buf = ctrl.scratchPage(APST_TABLE_SIZE);
      if (current) buf.set(s.apstTable);
      else buf.fill(0);
      req.dw0 = current ? ctrl.features.get(fid)! : DATA_FEATURE_DEFAULTS.get(fid)!;
      return ctrl.transfer.toHost(req, buf, APST_TABLE_SIZE, page);
    }
    case FeatureId.HOST_MEMORY_BUFFER: {
      // §5.1.25.2.4: DW0 bit 0 = EHM; the Host Memory Buffer Attributes in the data buffer.
      const buf = ctrl.scratchPage(HMB_ATTRIBUTES_SIZE);
      buf.fill(0);
      if (current) HostMemoryBufferAttributes.encode(s.hmb, buf);
      req.dw0 = current ? ctrl.features.get(fid)! : DATA_FEATURE_DEFAULTS.get(fid)!;
      return ctrl.transfer.toHost(req, buf, HMB_ATTRIBUTES_SIZE, page);
    }
    case FeatureId.TIMESTAMP: {
      // §5.1.25.1.7: the 8-byte Timestamp data structure; no DW0 value.
      const buf = ctrl.scratchPage(TIMESTAMP_SIZE);
      buf.fill(0);
      Timestamp.encode(current ? timestampNow(ctrl, s) : resetTimestamp(), buf);
      req.dw0 = 0;
      return ctrl.transfer.toHost(req, buf, TIMESTAMP_SIZE, page);
    }
    default:
      return Status.INVALID_FIELD | DNR;
  }
}

/** The Timestamp a controller reports after a Controller Level Reset (module comment). */
function resetTimestamp() {
  return { timestamp: 0, sync: SYNCH_MAY_HAVE_STOPPED, to: TimestampOrigin.RESET };
}

/** Host value + elapsed virtual time, in ms, wrapping at 48 bits; Synch 0, TO 001b. */
function timestampNow(ctrl: NvmeController, s: DataFeatureState) {
  const elapsedMs = Math.floor((ctrl.port.now() - s.timestamp.setAtNs) / NS_PER_MS);
  const timestamp = (s.timestamp.hostMs + elapsedMs) % TIMESTAMP_MASK;
  return { timestamp, sync: 0, to: TimestampOrigin.SET_FEATURES };
}

/** Timestamp (0Eh, Base 2.1 §5.1.25.1.7): the host's ms value; Synch and TO are ignored. */
function setTimestamp(ctrl: NvmeController, req: Request): number {
  const buf = ctrl.scratchPage(TIMESTAMP_SIZE);
  const status = ctrl.transfer.fromHost(req, buf, TIMESTAMP_SIZE, ctrl.regs.pageSize());
  if (status) return status;
  state(ctrl).timestamp = { hostMs: Timestamp.decode(buf).timestamp, setAtNs: ctrl.port.now() };
  ctrl.features.set(FeatureId.TIMESTAMP, 0);
  return 0;
}

/**
 * Autonomous Power State Transition (0Ch, Base 2.1 §5.1.25.1.6): CDW11.APSTE and the 256-byte
 * table. An entry whose ITPS names a power state above NPSS is Invalid Field in Command.
 */
function setApst(ctrl: NvmeController, req: Request): number {
  const buf = ctrl.scratchPage(APST_TABLE_SIZE);
  const status = ctrl.transfer.fromHost(req, buf, APST_TABLE_SIZE, ctrl.regs.pageSize());
  if (status) return status;
  const view = new DataView(buf.buffer, buf.byteOffset, APST_TABLE_SIZE);
  for (let off = 0; off < APST_TABLE_SIZE; off += APST_ENTRY_SIZE) {
    const itps = (view.getUint32(off, true) >>> ITPS_SHIFT) & ITPS_MASK;
    if (itps > NPSS) return Status.INVALID_FIELD | DNR;
  }
  state(ctrl).apstTable.set(buf);
  ctrl.features.set(FeatureId.AUTONOMOUS_POWER_STATE, req.cdw(11) & APSTE);
  return 0;
}

/**
 * Host Memory Buffer (0Dh, Base 2.1 §5.1.25.2.4). EHM = 0 disables (always succeeds). EHM = 1:
 * Command Sequence Error if already enabled; Invalid Field if HMDLLA is not 16-byte aligned, if
 * HSIZE (memory pages) is below HMMIN, if HMDLEC is 0 or more entries than fit in one memory page
 * (this controller's limit), or if a descriptor has a BADD that is not page aligned, a BSIZE of 0,
 * or the BSIZEs do not add up to HSIZE. A refused read of the list is a Data Transfer Error.
 */
function setHostMemoryBuffer(ctrl: NvmeController, req: Request): number {
  const fid = FeatureId.HOST_MEMORY_BUFFER;
  const s = state(ctrl);
  if (!(req.cdw(11) & EHM)) {
    s.hmb = { hsize: 0, hmdlal: 0, hmdlau: 0, hmdlec: 0 };
    ctrl.features.set(fid, 0);
    return 0;
  }
  if (ctrl.features.get(fid)) return Status.COMMAND_SEQUENCE_ERROR | DNR;
  const hsize = req.cdw(12), hmdlal = req.cdw(13), hmdlau = req.cdw(14), hmdlec = req.cdw(15);
  const page = ctrl.regs.pageSize();
  const invalid = Status.INVALID_FIELD | DNR;
  if (hmdlal & HMDL_ALIGN_MASK) return invalid;
  if (hsize * page < HMMIN * HMB_IDENTIFY_UNIT) return invalid;
  const maxEntries = page / HMB_DESCRIPTOR_SIZE;
  if (hmdlec === 0 || hmdlec > maxEntries) return invalid;
  const length = hmdlec * HMB_DESCRIPTOR_SIZE;
  const list = ctrl.scratchPage(length);
  if (!ctrl.port.dmaRead(hmdlau * 2 ** 32 + hmdlal, list, 0, length)) {
    return Status.DATA_TRANSFER_ERROR;
  }
  let total = 0;
  for (let i = 0; i < hmdlec; i++) {
    const d = HostMemoryBufferDescriptor.decode(list, i * HMB_DESCRIPTOR_SIZE);
    if (d.badd % BigInt(page) !== 0n || d.bsize === 0) return invalid;
    total += d.bsize;
  }
  if (total !== hsize) return invalid;
  s.hmb = { hsize, hmdlal, hmdlau, hmdlec };
  ctrl.features.set(fid, EHM);
  return 0;
}
