/**
 * Set Features / Get Features (Base 2.1 §5.1.25, §5.1.11) for every feature spec/ defines: the
 * dword features here, the three with a data structure (APST 0Ch, Host Memory Buffer 0Dh,
 * Timestamp 0Eh) in admin_features_data.ts. Nothing is saveable (SV = 1 → Feature Identifier Not
 * Saveable; SEL = saved returns the default), every feature is changeable (SEL = supported
 * capabilities), and every value is checked against what the controller has (power states,
 * vectors, the write cache).
 *
 * Per-feature choices: Number of Queues allocates once per reset (a second request before any
 * I/O queue exists reports the same allocation; after one exists it is a Command Sequence
 * Error); Temperature Threshold keeps the over and under thresholds apart (thermal.ts);
 * Interrupt Vector Configuration is per vector (Get Features reports the IV in CDW11); Keep Alive
 * Timer is refused while Identify KAS is 0 (keep_alive.ts).
 *
 * @module
 */

import { FeatureCapability, FeatureSelect } from "../spec/admin_commands.ts";
import { FeatureId, FEATURES } from "../spec/features.ts";
import { Status, STATUS_DNR as DNR } from "../spec/status.ts";
import type { NvmeController } from "./controller.ts";
import type { Request } from "./request.ts";
import { DATA_FEATURE_DEFAULTS, getDataFeature, setDataFeature } from "./admin_features_data.ts";
import { AsyncEventType, SmartEvent } from "../spec/async_events.ts";
import { LogPageId } from "../spec/log_page_ids.ts";
import { CriticalWarning } from "../spec/smart_log.ts";
import { roundKato } from "./keep_alive.ts";
import { NSID_BROADCAST } from "./namespace.ts";
import {
  decodeThreshold,
  DEFAULT_OVER_THRESHOLD_K,
  encodeThreshold,
  selectorSupported,
  Thermal,
} from "./thermal.ts";

const SV = 1 << 31;
const ZEROS_BASED_ALL = 0xffff;
/** Interrupt Vector Configuration: IV is CDW11 bits 15:0, CD bit 16 (§5.1.25.2.3). */
const IV_MASK = 0xffff;
const CD = 1 << 16;
/** Asynchronous Event Configuration bits 7:0 enable SMART / Health events per Critical Warning
 * bit (§5.1.25.1.5): bit 1 is the temperature warning. */
const AEC_SMART_TEMPERATURE = 1 << CriticalWarning.TEMPERATURE;

/** The features this controller implements and their default DW0 (data features included). */
export function defaultFeatures(ctrl: NvmeController): Map<number, number> {
  const max = ctrl.options.maxIoQueuePairs - 1;
  return new Map<number, number>([
    [FeatureId.ARBITRATION, ctrl.options.arbitrationBurst & 7],
    [FeatureId.POWER_MANAGEMENT, 0],
    [FeatureId.TEMPERATURE_THRESHOLD, DEFAULT_OVER_THRESHOLD_K],
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

/**
 * The NSID check of a namespace-specific feature (Error Recovery): NSID 0 and FFFFFFFFh select
 * the controller-wide value, an NSID above NN is Invalid Namespace or Format, and a valid but
 * inactive NSID is Invalid Field in Command, the status Base 2.1 §3.2.1 gives commands that need
 * an active NSID. Other features ignore the NSID.
 */
function featureNamespaceStatus(ctrl: NvmeController, fid: number, nsid: number): number {
  if (!FEATURES.get(fid)?.namespaceSpecific || nsid === 0 || nsid === NSID_BROADCAST) return 0;
  if (nsid > ctrl.namespaceCount()) return Status.INVALID_NAMESPACE | DNR;
  return ctrl.activeNamespace(nsid) ? 0 : Status.INVALID_FIELD | DNR;
}

/** Set Features (opcode 09h). */
export function setFeatures(ctrl: NvmeController, req: Request): number {
  const cdw10 = req.cdw(10), value = req.cdw(11);
  const fid = cdw10 & 0xff;
  const defaults = defaultFeatures(ctrl);
  if (!defaults.has(fid)) return Status.INVALID_FIELD | DNR;
  if (cdw10 & SV) return Status.FEATURE_NOT_SAVEABLE | DNR;
  const nsStatus = featureNamespaceStatus(ctrl, fid, req.nsid);
  if (nsStatus !== 0) return nsStatus;
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
      // "The value allocated shall not change between resets" (§5.1.25.2.1): a second request
      // reports the allocation already made.
      if (ctrl.grantedIoQueues.sq > 0) {
        req.dw0 = ctrl.features.get(fid)!;
        return 0;
      }
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
      if ((value & IV_MASK) >= ctrl.options.msixVectors) return Status.INVALID_FIELD | DNR;
      ctrl.interrupts.setVectorConfig(value);
      break;
    case FeatureId.TEMPERATURE_THRESHOLD:
      return setTemperatureThreshold(ctrl, value);
    case FeatureId.KEEP_ALIVE_TIMER: {
      // KAS = 0: Keep Alive is not supported, so neither is its feature (§5.1.25.1.8).
      if (ctrl.options.kas === 0) return Status.INVALID_FIELD | DNR;
      const kato = roundKato(value >>> 0, ctrl.options.kas);
      ctrl.keepAlive.start(kato);
      ctrl.features.set(fid, kato);
      return 0;
    }
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
  const nsStatus = featureNamespaceStatus(ctrl, fid, req.nsid);
  if (nsStatus !== 0) return nsStatus;
  const t = ctrl.port.trace;
  if (t.enabled) {
    t.emit({ type: "getfeat", cid: req.cid, nsid: req.nsid, fid, sel, cdw11: req.cdw(11) });
  }
  if (DATA_FEATURE_DEFAULTS.has(fid) && sel !== FeatureSelect.SUPPORTED_CAPABILITIES) {
    return sel <= FeatureSelect.SAVED
      ? getDataFeature(ctrl, req, fid, sel)
      : Status.INVALID_FIELD | DNR;
  }
  if (fid === FeatureId.KEEP_ALIVE_TIMER && ctrl.options.kas === 0) {
    return Status.INVALID_FIELD | DNR; // not supported with KAS = 0, as for Set
  }
  switch (sel) {
    case FeatureSelect.CURRENT:
    case FeatureSelect.DEFAULT:
    case FeatureSelect.SAVED: { // nothing is saveable: the saved value is the default
      // The `features-current-is-default` mutant (mutants.ts) answers SEL = current with the
      // default.
      const current = sel === FeatureSelect.CURRENT && !ctrl.mutants["features-current-is-default"];
      const value = selectedValue(ctrl, fid, req.cdw(11), current);
      if (value < 0) return -value;
      req.dw0 = value;
      return 0;
    }
    case FeatureSelect.SUPPORTED_CAPABILITIES:
      req.dw0 = FeatureCapability.CHANGEABLE |
        (FEATURES.get(fid)?.namespaceSpecific ? FeatureCapability.NAMESPACE_SPECIFIC : 0);
      return 0;
    default:
      return Status.INVALID_FIELD | DNR;
  }
}

/**
 * The current (or default) value of a dword feature for Get Features; a negated status when the
 * CDW11 selection is invalid. Temperature Threshold is per sensor and threshold (TMPSEL, THSEL)
 * and Interrupt Vector Configuration per vector (IV): CDW11 names which one.
 */
function selectedValue(ctrl: NvmeController, fid: number, cdw11: number, current: boolean): number {
  switch (fid) {
    case FeatureId.TEMPERATURE_THRESHOLD: {
      const s = decodeThreshold(cdw11);
      if (!selectorSupported(s)) return -(Status.INVALID_FIELD | DNR);
      const kelvin = current ? ctrl.thermal.threshold(s.thsel) : Thermal.defaultThreshold(s.thsel);
      return encodeThreshold(kelvin, s);
    }
    case FeatureId.INTERRUPT_VECTOR_CONFIG: {
      const iv = cdw11 & IV_MASK;
      if (iv >= ctrl.options.msixVectors) return -(Status.INVALID_FIELD | DNR);
      return (iv | (current && ctrl.interrupts.coalescingDisabled(iv) ? CD : 0)) >>> 0;
    }
  }
  const defaults = defaultFeatures(ctrl);
  return current ? ctrl.features.get(fid) ?? defaults.get(fid)! : defaults.get(fid)!;
}

/**
 * Temperature Threshold (§5.1.25.1.3): sets the over or under threshold of the composite sensor
 * (thermal.ts). Crossing a threshold raises a SMART / Health Temperature Threshold event when
 * Asynchronous Event Configuration enables temperature warnings (§5.1.2.1).
 */
function setTemperatureThreshold(ctrl: NvmeController, cdw11: number): number {
  const s = decodeThreshold(cdw11);
  if (!selectorSupported(s)) return Status.INVALID_FIELD | DNR;
  const crossed = ctrl.thermal.setThreshold(s.thsel, s.tmpth);
  const aec = ctrl.features.get(FeatureId.ASYNC_EVENT_CONFIG) ?? 0;
  if (crossed && aec & AEC_SMART_TEMPERATURE) {
    ctrl.events.enqueue(AsyncEventType.SMART, SmartEvent.TEMPERATURE_THRESHOLD, LogPageId.SMART);
    ctrl.deliverAsyncEvents();
  }
  return 0;
}
