/**
 * Asynchronous events (Base 2.1 §5.1.2): the Asynchronous Event Request completion DW0 and the
 * event types and informations, with the log page each one points to. Reading that log page (with
 * RAE = 0) is what unmasks the event type again (§5.1.2.1).
 *
 * @example Decode the AER completion for a Namespace Attribute Changed notice
 * ```ts
 * import { AsyncEventCompletion, AsyncEventType, NoticeEvent } from "./async_events.ts";
 * import { decodeValue } from "./struct.ts";
 * const e = decodeValue(AsyncEventCompletion, 0x00040002);
 * if (e.aet !== AsyncEventType.NOTICE || e.aei !== NoticeEvent.NAMESPACE_ATTRIBUTE_CHANGED) {
 *   throw new Error();
 * }
 * if (e.lid !== 0x04) throw new Error("points at the Changed Namespace List");
 * ```
 *
 * @module
 */

import { bits, defineStruct, type Layout } from "./struct.ts";
import type { AsyncEventCompletionValue } from "./value_types.ts";

/** Asynchronous Event Request completion DW0 (Base 2.1 §5.1.2.1). */
export const AsyncEventCompletion: Layout<AsyncEventCompletionValue> = defineStruct(
  "AsyncEventCompletion",
  4,
  [
    bits("aet", 0, 4, 0, 2),
    bits("aei", 0, 4, 8, 15),
    bits("lid", 0, 4, 16, 23),
  ] as const,
  { section: "Base 2.1 §5.1.2.1 (Asynchronous Event Request completion)" },
);

/** Asynchronous Event Type values. */
export const AsyncEventType = {
  /** Error status. */
  ERROR: 0,
  /** SMART / Health status. */
  SMART: 1,
  /** Notice. */
  NOTICE: 2,
  /** Immediate. */
  IMMEDIATE: 3,
  /** One-Shot. */
  ONE_SHOT: 4,
  /** I/O Command specific status. */
  IO_COMMAND_SPECIFIC: 6,
  /** Vendor specific. */
  VENDOR: 7,
} as const;

/** Asynchronous Event Information for Error status events (log page 01h). */
export const ErrorEvent = {
  /** Write to Invalid Doorbell Register. */
  INVALID_DOORBELL_REGISTER: 0x00,
  /** Invalid Doorbell Write Value. */
  INVALID_DOORBELL_VALUE: 0x01,
  /** Diagnostic Failure. */
  DIAGNOSTIC_FAILURE: 0x02,
  /** Persistent Internal Error. */
  PERSISTENT_INTERNAL_ERROR: 0x03,
  /** Transient Internal Error. */
  TRANSIENT_INTERNAL_ERROR: 0x04,
  /** Firmware Image Load Error. */
  FIRMWARE_IMAGE_LOAD_ERROR: 0x05,
} as const;

/** Asynchronous Event Information for SMART / Health status events (log page 02h). */
export const SmartEvent = {
  /** NVM subsystem Reliability. */
  RELIABILITY: 0x00,
  /** Temperature Threshold. */
  TEMPERATURE_THRESHOLD: 0x01,
  /** Spare Below Threshold. */
  SPARE_BELOW_THRESHOLD: 0x02,
} as const;

/** Asynchronous Event Information for Notice events. */
export const NoticeEvent = {
  /** Namespace Attribute Changed (log page 04h, Changed Namespace List). */
  NAMESPACE_ATTRIBUTE_CHANGED: 0x00,
  /** Firmware Activation Starting (log page 03h). */
  FIRMWARE_ACTIVATION_STARTING: 0x01,
  /** Telemetry Log Changed. */
  TELEMETRY_LOG_CHANGED: 0x02,
  /** Asymmetric Namespace Access Change. */
  ANA_CHANGE: 0x03,
  /** Predictable Latency Event Aggregate Log Change. */
  PREDICTABLE_LATENCY_CHANGE: 0x04,
  /** LBA Status Information Alert. */
  LBA_STATUS_ALERT: 0x05,
  /** Endurance Group Event Aggregate Log Page Change. */
  ENDURANCE_GROUP_CHANGE: 0x06,
  /** Normal NVM Subsystem Shutdown. */
  NORMAL_NVM_SUBSYSTEM_SHUTDOWN: 0x07,
} as const;

/** Asynchronous Event Information for I/O Command Set specific events. */
export const IoCommandEvent = {
  /** Reservation Log Page Available. */
  RESERVATION_LOG_AVAILABLE: 0x00,
  /** Sanitize Operation Completed. */
  SANITIZE_COMPLETED: 0x01,
  /** Sanitize Operation Completed With Unexpected Deallocation. */
  SANITIZE_COMPLETED_UNEXPECTED_DEALLOCATION: 0x02,
} as const;

/** Facts about one asynchronous event: type, information, the log page to read and its name. */
export interface AsyncEventInfo {
  /** Asynchronous Event Type. */
  readonly aet: number;
  /** Asynchronous Event Information. */
  readonly aei: number;
  /** Log page the host reads to clear the event. */
  readonly lid: number;
  /** The spec's name. */
  readonly name: string;
}

function ev(aet: number, aei: number, lid: number, name: string): AsyncEventInfo {
  return Object.freeze({ aet, aei, lid, name });
}

/** The asynchronous events this project models. */
export const ASYNC_EVENTS: readonly AsyncEventInfo[] = Object.freeze([
  ev(0, 0x00, 0x01, "Write to Invalid Doorbell Register"),
  ev(0, 0x01, 0x01, "Invalid Doorbell Write Value"),
  ev(0, 0x02, 0x01, "Diagnostic Failure"),
  ev(0, 0x03, 0x01, "Persistent Internal Error"),
  ev(0, 0x04, 0x01, "Transient Internal Error"),
  ev(0, 0x05, 0x01, "Firmware Image Load Error"),
  ev(1, 0x00, 0x02, "NVM subsystem Reliability"),
  ev(1, 0x01, 0x02, "Temperature Threshold"),
  ev(1, 0x02, 0x02, "Spare Below Threshold"),
  ev(2, 0x00, 0x04, "Namespace Attribute Changed"),
  ev(2, 0x01, 0x03, "Firmware Activation Starting"),
  ev(6, 0x01, 0x81, "Sanitize Operation Completed"),
]);
