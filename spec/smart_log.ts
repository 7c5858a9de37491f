/**
 * The SMART / Health Information log page (Log Identifier 02h, Base 2.1 §5.1.12.1.3): 512 bytes
 * of health counters, for the controller (NSID FFFFFFFFh) or one namespace.
 *
 * The 16-byte counters are 128-bit little-endian integers (decoded as bigint); libnvme declares
 * them as `__u8[16]` arrays of the same name, offset and size.
 *
 * @module
 */

import { defineStruct, type Layout, rsvd, u128, u16, u32, u8, uints } from "./struct.ts";
import type { SmartLogValue } from "./value_types.ts";

/** Size of the SMART / Health Information log page in bytes. */
export const SMART_LOG_SIZE = 512;

/** Number of Temperature Sensor fields. */
export const TEMP_SENSOR_COUNT = 8;

/** SMART / Health Information log page (Base 2.1 §5.1.12.1.3): libnvme `struct nvme_smart_log`. */
export const SmartLog: Layout<SmartLogValue> = defineStruct("SmartLog", SMART_LOG_SIZE, [
  u8("critical_warning", 0),
  u16("temperature", 1), // Composite Temperature, Kelvin (unaligned)
  u8("avail_spare", 3), // percent
  u8("spare_thresh", 4), // percent
  u8("percent_used", 5), // may exceed 100
  u8("endu_grp_crit_warn_sumry", 6),
  rsvd(7, 25),
  u128("data_units_read", 32), // thousands of 512-byte units
  u128("data_units_written", 48),
  u128("host_reads", 64), // Host Read Commands
  u128("host_writes", 80), // Host Write Commands
  u128("ctrl_busy_time", 96), // minutes
  u128("power_cycles", 112),
  u128("power_on_hours", 128),
  u128("unsafe_shutdowns", 144),
  u128("media_errors", 160),
  u128("num_err_log_entries", 176),
  u32("warning_temp_time", 192), // minutes
  u32("critical_comp_time", 196), // minutes
  uints("temp_sensor", 200, TEMP_SENSOR_COUNT, 2), // Kelvin, 0 = not implemented
  u32("thm_temp1_trans_count", 216),
  u32("thm_temp2_trans_count", 220),
  u32("thm_temp1_total_time", 224),
  u32("thm_temp2_total_time", 228),
  rsvd(232, 280),
], {
  section: "Base 2.1 §5.1.12.1.3 (SMART / Health Information log page)",
  libnvme: "nvme_smart_log",
});

/** Critical Warning bit positions. */
export const CriticalWarning = {
  /** Available spare is below the threshold. */
  SPARE: 0,
  /** A temperature is outside a threshold. */
  TEMPERATURE: 1,
  /** NVM subsystem reliability is degraded by media or internal errors. */
  DEGRADED: 2,
  /** All media are read-only. */
  READ_ONLY: 3,
  /** The volatile memory backup device has failed. */
  VOLATILE_BACKUP: 4,
  /** The Persistent Memory Region has become read-only or unreliable. */
  PMR_READ_ONLY: 5,
} as const;

/** Kelvin to degrees Celsius offset, for `temperature` and `temp_sensor` values. */
export const KELVIN_OFFSET = 273;
