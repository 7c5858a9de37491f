/**
 * Set Features / Get Features (Base 2.1 §5.1.25, §5.1.11) for every feature spec/ defines: the
 * dword features here, the three with a data structure (APST 0Ch, Host Memory Buffer 0Dh,
 * Timestamp 0Eh) in admin_features_data.ts. Nothing is saveable (SV = 1 → Feature Identifier Not
 * Saveable; SEL = saved returns the default), every feature is changeable (SEL = supported
 * capabilities), Number of Queues may be set once per reset before any I/O queue exists, and
 * every value is checked against what the controller has (power states, vectors, the write
 * cache).
 *
 * @module
 */

import { FeatureCapability, FeatureSelect } from "../spec/admin_commands.ts";
import { FeatureId } from "../spec/features.ts";
import { Status } from "../spec/status.ts";
import type { NvmeController } from "./controller.ts";
import type { Request } from "./request.ts";
import { DATA_FEATURE_DEFAULTS, getDataFeature, setDataFeature } from "./admin_features_data.ts";

const DNR = 1 << 14;
const SV = 1 << 31;
/** Default temperature threshold: 0x157 K (70 °C), over-temperature, sensor 0. */
const DEFAULT_TMPTH = 0x157;
const ZEROS_BASED_ALL = 0xffff;

/** The features this controller implements and their default DW0 (data features included). */
export function defaultFeatures(ctrl: NvmeController): Map<number, number> {
  const max = ctrl.options.maxIoQueuePairs - 1;
  return new Map<number, number>([
    [FeatureId.ARBITRATION, ctrl.options.arbitrationBurst & 7],
    [FeatureId.POWER_MANAGEMENT, 0],
    [FeatureId.TEMPERATURE_THRESHOLD, DEFAULT_TMPTH],
    [FeatureId.ERROR_RECOVERY, 0],
    [FeatureId.VOLATILE_WRITE_CACHE, ctrl.options.volatileWriteCache ? 1 : 0],
    [FeatureId.NUMBER_OF_QUEUES, (max << 16) | max],
    [FeatureId.INTERRUPT_COALESCING, 0],
    [FeatureId.INTERRUPT_VECTOR_CONFIG, 0],
    [FeatureId.WRITE_ATOMICITY, 0],
    [FeatureId.ASYNC_EVENT_CONFIG, 0],
    [FeatureId.KEEP_ALIVE_TIMER, 0],
    [FeatureId.HOST_THERMAL_MANAGEMENT, 0],
    ...DATA_FEATURE_DEFAULTS,
  ]);
}

/** Set Features (opcode 09h). */
export function setFeatures(ctrl: NvmeController, req: Request): number {
  const cdw10 = req.cdw(10), value = req.cdw(11);
  const fid = cdw10 & 0xff;
  const defaults = defaultFeatures(ctrl);
  if (!defaults.has(fid)) return Status.INVALID_FIELD | DNR;
  if (cdw10 & SV) return Status.FEATURE_NOT_SAVEABLE | DNR;
  const t = ctrl.port.trace;
  if (t.enabled) {
    t.emit({
      type: "setfeat",
      cid: req.cid,
      nsid: req.nsid,
      fid,
      save: cdw10 >>> 31,
      cdw11: value,
    });
  }
  if (DATA_FEATURE_DEFAULTS.has(fid)) return setDataFeature(ctrl, req, fid);
  switch (fid) {
    case FeatureId.NUMBER_OF_QUEUES: {
      if (ctrl.hasIoQueues()) return Status.COMMAND_SEQUENCE_ERROR | DNR;
      const nsqr = value & 0xffff, ncqr = value >>> 16;
      if (nsqr === ZEROS_BASED_ALL || ncqr === ZEROS_BASED_ALL) return Status.INVALID_FIELD | DNR;
      const max = ctrl.options.maxIoQueuePairs;
      const sq = Math.min(nsqr + 1, max), cq = Math.min(ncqr + 1, max);
      ctrl.grantedIoQueues = { sq, cq };
      req.dw0 = (((cq - 1) << 16) | (sq - 1)) >>> 0;
      ctrl.features.set(fid, req.dw0);
      return 0;
    }
    case FeatureId.POWER_MANAGEMENT:
      if ((value & 0x1f) !== 0) return Status.INVALID_FIELD | DNR; // NPSS = 0: only state 0
      break;
    case FeatureId.VOLATILE_WRITE_CACHE:
      if (!ctrl.options.volatileWriteCache) return Status.INVALID_FIELD | DNR;
      ctrl.setWriteCache((value & 1) === 1);
      break;
    case FeatureId.INTERRUPT_VECTOR_CONFIG:
      if ((value & 0xffff) >= ctrl.options.msixVectors) return Status.INVALID_FIELD | DNR;
      ctrl.interrupts.setVectorConfig(value);
      break;
    case FeatureId.INTERRUPT_COALESCING:
      ctrl.interrupts.setCoalescing(value);
      break;
    case FeatureId.ARBITRATION:
      ctrl.arbiter.setWeights(value);
      break;
  }
  ctrl.features.set(fid, value >>> 0);
  return 0;
}

/** Get Features (opcode 0Ah). */
export function getFeatures(ctrl: NvmeController, req: Request): number {
  const cdw10 = req.cdw(10);
  const fid = cdw10 & 0xff, sel = (cdw10 >>> 8) & 7;
  const defaults = defaultFeatures(ctrl);
  if (!defaults.has(fid)) return Status.INVALID_FIELD | DNR;
  const t = ctrl.port.trace;
  if (t.enabled) {
    t.emit({ type: "getfeat", cid: req.cid, nsid: req.nsid, fid, sel, cdw11: req.cdw(11) });
  }
  if (DATA_FEATURE_DEFAULTS.has(fid) && sel !== FeatureSelect.SUPPORTED_CAPABILITIES) {
    return sel <= FeatureSelect.SAVED
      ? getDataFeature(ctrl, req, fid, sel)
      : Status.INVALID_FIELD | DNR;
  }
  switch (sel) {
    case FeatureSelect.CURRENT:
      req.dw0 = ctrl.features.get(fid) ?? defaults.get(fid)!;
      return 0;
    case FeatureSelect.DEFAULT:
    case FeatureSelect.SAVED: // nothing is saveable: the saved value is the default
      req.dw0 = defaults.get(fid)!;
      return 0;
    case FeatureSelect.SUPPORTED_CAPABILITIES:
      req.dw0 = FeatureCapability.CHANGEABLE;
      return 0;
    default:
      return Status.INVALID_FIELD | DNR;
  }
}
