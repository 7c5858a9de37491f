/**
 * The Firmware Slot Information log page (Log Identifier 03h, Base 2.1 §5.1.12.1.4): the active
 * and next firmware slots and the revision in each of slots 1..7.
 *
 * @module
 */

import { ascii, defineStruct, type Layout, rsvd, u8 } from "./struct.ts";
import type { FirmwareSlotLogValue } from "./value_types.ts";

/** Size of the Firmware Slot Information log page in bytes. */
export const FW_SLOT_LOG_SIZE = 512;

/** Number of firmware slots a controller may have. */
export const FW_SLOT_COUNT = 7;

/**
 * Firmware Slot Information log page (Base 2.1 §5.1.12.1.4): libnvme
 * `struct nvme_firmware_slot`. The spec names the revisions FRS1..FRS7; libnvme declares them as
 * one `char frs[7][8]`, so each is cross-checked against its element `frs[n-1]`.
 */
export const FirmwareSlotLog: Layout<FirmwareSlotLogValue> = defineStruct(
  "FirmwareSlotLog",
  FW_SLOT_LOG_SIZE,
  [
    u8("afi", 0), // Active Firmware Info, see Afi
    rsvd(1, 7),
    ascii("frs1", 8, 8), // space-padded revision; all zero when the slot is empty
    ascii("frs2", 16, 8),
    ascii("frs3", 24, 8),
    ascii("frs4", 32, 8),
    ascii("frs5", 40, 8),
    ascii("frs6", 48, 8),
    ascii("frs7", 56, 8),
    rsvd(64, 448),
  ],
  {
    section: "Base 2.1 §5.1.12.1.4 (Firmware Slot Information log page)",
    libnvme: "nvme_firmware_slot",
    libnvmeNames: {
      frs1: "frs[0]",
      frs2: "frs[1]",
      frs3: "frs[2]",
      frs4: "frs[3]",
      frs5: "frs[4]",
      frs6: "frs[5]",
      frs7: "frs[6]",
    },
  },
);

/** Bit ranges of the Active Firmware Info byte. */
export const Afi = {
  /** Bits 2:0: the slot the running firmware was loaded from. */
  ACTIVE: [0, 2] as const,
  /** Bits 6:4: the slot activated at the next Controller Level Reset, 0 if not indicated. */
  NEXT: [4, 6] as const,
} as const;

/** The name of a firmware revision field, `frs1`..`frs7`. */
export type FrsField = `frs${1 | 2 | 3 | 4 | 5 | 6 | 7}`;

/** The revision field name of slot `n` (1..7) in a decoded {@linkcode FirmwareSlotLog}. */
export function frsField(n: number): FrsField {
  if (!Number.isInteger(n) || n < 1 || n > FW_SLOT_COUNT) {
    throw new RangeError(`firmware slot ${n} is outside 1..${FW_SLOT_COUNT}`);
  }
  return `frs${n}` as FrsField;
}
