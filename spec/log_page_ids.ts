/**
 * Log Page Identifiers (Base 2.1 §5.1.12, Get Log Page "Log Page Identifiers" table) and the
 * fixed sizes of the log pages this project declares as field tables.
 *
 * @module
 */

import { CMD_EFFECTS_LOG_SIZE } from "./cmd_effects_log.ts";
import { ERROR_LOG_ENTRY_SIZE } from "./error_log.ts";
import { FW_SLOT_LOG_SIZE } from "./fw_slot_log.ts";
import { IDENTIFY_DATA_SIZE } from "./identify_controller.ts";
import { SMART_LOG_SIZE } from "./smart_log.ts";

/** Log Page Identifiers (LID), as libnvme's `NVME_LOG_LID_*` spell them. */
export const LogPageId = {
  /** Supported Log Pages. */
  SUPPORTED_LOG_PAGES: 0x00,
  /** Error Information. */
  ERROR: 0x01,
  /** SMART / Health Information. */
  SMART: 0x02,
  /** Firmware Slot Information. */
  FW_SLOT: 0x03,
  /** Changed Namespace List (Changed Attached Namespace List). */
  CHANGED_NS: 0x04,
  /** Commands Supported and Effects. */
  CMD_EFFECTS: 0x05,
  /** Device Self-test. */
  DEVICE_SELF_TEST: 0x06,
  /** Telemetry Host-Initiated. */
  TELEMETRY_HOST: 0x07,
  /** Telemetry Controller-Initiated. */
  TELEMETRY_CTRL: 0x08,
  /** Endurance Group Information. */
  ENDURANCE_GROUP: 0x09,
  /** Predictable Latency Per NVM Set. */
  PREDICTABLE_LAT_NVMSET: 0x0a,
  /** Predictable Latency Event Aggregate. */
  PREDICTABLE_LAT_AGG: 0x0b,
  /** Asymmetric Namespace Access. */
  ANA: 0x0c,
  /** Persistent Event Log. */
  PERSISTENT_EVENT: 0x0d,
  /** LBA Status Information. */
  LBA_STATUS: 0x0e,
  /** Endurance Group Event Aggregate. */
  ENDURANCE_GRP_EVT: 0x0f,
  /** Media Unit Status. */
  MEDIA_UNIT_STATUS: 0x10,
  /** Supported Capacity Configuration List. */
  SUPPORTED_CAP_CONFIG_LIST: 0x11,
  /** Feature Identifiers Supported and Effects. */
  FID_SUPPORTED_EFFECTS: 0x12,
  /** NVMe-MI Commands Supported and Effects. */
  MI_CMD_SUPPORTED_EFFECTS: 0x13,
  /** Command and Feature Lockdown. */
  CMD_FEAT_LOCKDOWN: 0x14,
  /** Boot Partition. */
  BOOT_PARTITION: 0x15,
  /** Rotational Media Information. */
  ROTATIONAL_MEDIA: 0x16,
  /** FDP Configurations. */
  FDP_CONFIGS: 0x20,
  /** Reclaim Unit Handle Usage. */
  FDP_RUH_USAGE: 0x21,
  /** FDP Statistics. */
  FDP_STATS: 0x22,
  /** FDP Events. */
  FDP_EVENTS: 0x23,
  /** Discovery (Discovery controllers). */
  DISCOVERY: 0x70,
  /** Reservation Notification. */
  RESERVATION: 0x80,
  /** Sanitize Status. */
  SANITIZE: 0x81,
} as const;

/**
 * Sizes in bytes of the log pages with a fixed layout here, keyed by LID. The Error Information
 * log is a sequence of entries: its value is the size of one entry (the page holds ELPE + 1).
 */
export const LOG_PAGE_SIZE: Readonly<Record<number, number>> = {
  [LogPageId.ERROR]: ERROR_LOG_ENTRY_SIZE,
  [LogPageId.SMART]: SMART_LOG_SIZE,
  [LogPageId.FW_SLOT]: FW_SLOT_LOG_SIZE,
  [LogPageId.CHANGED_NS]: IDENTIFY_DATA_SIZE,
  [LogPageId.CMD_EFFECTS]: CMD_EFFECTS_LOG_SIZE,
};

/** The full size of the Error Information log page for an ELPE value (0's based). */
export function errorLogSize(elpe: number): number {
  return (elpe + 1) * ERROR_LOG_ENTRY_SIZE;
}
