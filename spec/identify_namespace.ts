/**
 * The NVM Command Set Identify Namespace data structure (CNS 00h, NVM Command Set 1.1 §4.1.5.1),
 * its LBA Format entries, and the FLBAS / NSFEAT / DLFEAT field meanings.
 *
 * Field names follow libnvme's `struct nvme_id_ns`; NVM Command Set 1.1 is the authority for the
 * layout.
 *
 * @example Find the in-use LBA size
 * ```ts
 * import { formatIndex, IdentifyNamespace, lbaDataBytes } from "./identify_namespace.ts";
 * const ns = IdentifyNamespace.decode(
 *   IdentifyNamespace.encode({ nsze: 8n, flbas: 1, lbaf: [{ ds: 9 }, { ds: 12 }] }),
 * );
 * if (lbaDataBytes(ns.lbaf[formatIndex(ns.flbas)].ds) !== 4096) throw new Error("4 KiB");
 * ```
 *
 * @module
 */

import { bitRange, IDENTIFY_DATA_SIZE } from "./identify_controller.ts";
import {
  array,
  bits,
  bytes,
  defineStruct,
  type Layout,
  rsvd,
  u128,
  u16,
  u32,
  u64,
  u8,
} from "./struct.ts";
import type { IdentifyNamespaceValue, LbaFormatValue } from "./value_types.ts";

/** Number of LBA Format entries in Identify Namespace (LBAF0..LBAF63). */
export const LBA_FORMAT_COUNT = 64;

/**
 * One LBA Format (NVM Command Set 1.1 §4.1.5.1, LBA Format data structure): 4 bytes, libnvme
 * `struct nvme_lbaf`. libnvme declares byte 3 whole as `rp`; here RP is bits 1:0 of byte 3 and
 * bits 7:2 are reserved, so the cross-check compares only `ms` and `ds`.
 */
export const LbaFormat: Layout<LbaFormatValue> = defineStruct("LbaFormat", 4, [
  u16("ms", 0), // Metadata Size, bytes per LBA
  u8("ds", 2), // LBA Data Size as log2(bytes); below 9 means the format is not supported
  bits("rp", 3, 1, 0, 1), // Relative Performance, 0 = best
], {
  section: "NVM Command Set 1.1 §4.1.5.1 (LBA Format data structure)",
  libnvme: "nvme_lbaf",
});

/**
 * The I/O Command Set specific Identify Namespace data structure for the NVM Command Set
 * (CNS 00h): NVM Command Set 1.1 §4.1.5.1. 4096 bytes, libnvme `struct nvme_id_ns`.
 */
export const IdentifyNamespace: Layout<IdentifyNamespaceValue> = defineStruct(
  "IdentifyNamespace",
  IDENTIFY_DATA_SIZE,
  [
    u64("nsze", 0), // logical blocks
    u64("ncap", 8),
    u64("nuse", 16),
    u8("nsfeat", 24),
    u8("nlbaf", 25), // 0's based
    u8("flbas", 26), // see Flbas and formatIndex()
    u8("mc", 27),
    u8("dpc", 28),
    u8("dps", 29),
    u8("nmic", 30),
    u8("rescap", 31),
    u8("fpi", 32),
    u8("dlfeat", 33),
    u16("nawun", 34),
    u16("nawupf", 36),
    u16("nacwu", 38),
    u16("nabsn", 40),
    u16("nabo", 42),
    u16("nabspf", 44),
    u16("noiob", 46),
    u128("nvmcap", 48),
    u16("npwg", 64),
    u16("npwa", 66),
    u16("npdg", 68),
    u16("npda", 70),
    u16("nows", 72),
    u16("mssrl", 74),
    u32("mcl", 76),
    u8("msrc", 80), // 0's based
    u8("kpios", 81), // Key Per I/O Status (NVM Command Set 1.1)
    u8("nulbaf", 82),
    rsvd(83, 1),
    u32("kpiodaag", 84), // Key Per I/O Data Access Alignment and Granularity (1.1)
    rsvd(88, 4),
    u32("anagrpid", 92),
    rsvd(96, 3),
    u8("nsattr", 99),
    u16("nvmsetid", 100),
    u16("endgid", 102),
    bytes("nguid", 104, 16),
    bytes("eui64", 120, 8),
    array("lbaf", 128, LBA_FORMAT_COUNT, LbaFormat),
    u64("lbstm", 384), // Logical Block Storage Tag Mask
    rsvd(392, 3320),
    bytes("vs", 3712, 384),
  ],
  {
    section: "NVM Command Set 1.1 §4.1.5.1 (Identify Namespace data structure, CNS 00h)",
    libnvme: "nvme_id_ns",
    libnvmeNames: {
      // NVM Command Set 1.1 additions; libnvme 1.3 has rsvd81 and rsvd83[9] here.
      kpios: null,
      kpiodaag: null,
      // libnvme 1.3 declares vs[3704] at 392: the reserved bytes 392..3711 plus the
      // vendor-specific 3712..4095, so offset and size cannot agree with the spec's VS.
      vs: null,
    },
  },
);

/** FLBAS fields: Formatted LBA Size. */
export const Flbas = {
  /** Bits 3:0: LBA format index, least significant 4 bits. */
  FORMAT_LSB: [0, 3] as const,
  /** Bit: metadata is transferred at the end of the data LBA (extended LBA). */
  EXTENDED: 4,
  /** Bits 6:5: LBA format index, most significant 2 bits (when NLBAF > 16). */
  FORMAT_MSB: [5, 6] as const,
} as const;

const FORMAT_LSB_WIDTH = Flbas.FORMAT_LSB[1] - Flbas.FORMAT_LSB[0] + 1;

/**
 * The LBA format index selected by FLBAS: bits 3:0 are the low four bits and bits 6:5 the high
 * two, giving 0..63 (NVM Command Set 1.1 §4.1.5.1, FLBAS).
 */
export function formatIndex(flbas: number): number {
  return bitRange(flbas, Flbas.FORMAT_LSB) +
    bitRange(flbas, Flbas.FORMAT_MSB) * 2 ** FORMAT_LSB_WIDTH;
}

/** The FLBAS value selecting LBA format `index` (0..63), optionally with extended metadata. */
export function flbasFor(index: number, extended = false): number {
  if (!Number.isInteger(index) || index < 0 || index >= LBA_FORMAT_COUNT) {
    throw new RangeError(`LBA format index ${index} is outside 0..${LBA_FORMAT_COUNT - 1}`);
  }
  const lsb = index % 2 ** FORMAT_LSB_WIDTH;
  const msb = Math.floor(index / 2 ** FORMAT_LSB_WIDTH);
  return (lsb << Flbas.FORMAT_LSB[0]) | (msb << Flbas.FORMAT_MSB[0]) |
    (extended ? 1 << Flbas.EXTENDED : 0);
}

/** Smallest LBADS a controller may report for a supported format (512 bytes). */
export const MIN_LBADS = 9;

/** The LBA data size in bytes for an LBADS (`ds`) value, or 0 when the format is unsupported. */
export function lbaDataBytes(ds: number): number {
  return ds < MIN_LBADS ? 0 : 2 ** ds;
}

/** NSFEAT bit positions: Namespace Features. */
export const Nsfeat = {
  /** Thin provisioning supported (NCAP may be below NSZE). */
  THINP: 0,
  /** NAWUN, NAWUPF, NACWU (and atomic boundary fields) are defined for this namespace. */
  NSABP: 1,
  /** Deallocated or Unwritten Logical Block error supported (DULBE). */
  DAE: 2,
  /** NGUID and EUI64 are never reused. */
  UIDREUSE: 3,
  /** NPWG, NPWA, NPDG, NPDA and NOWS are defined (optimal performance fields). */
  OPTPERF: 4,
} as const;

/** DLFEAT fields: Deallocate Logical Block Features. */
export const Dlfeat = {
  /** Bits 2:0: what reading a deallocated block returns, see {@linkcode DlfeatRead}. */
  READ_BEHAVIOR: [0, 2] as const,
  /** Bit: Write Zeroes with DEAC set deallocates. */
  WRITE_ZEROES_DEALLOC: 3,
  /** Bit: the Guard field of deallocated blocks holds the CRC of the returned data. */
  GUARD_CRC: 4,
} as const;

/** Values of DLFEAT bits 2:0. */
export const DlfeatRead = {
  /** Not reported. */
  NOT_REPORTED: 0,
  /** Deallocated blocks read as all bytes 00h. */
  ZEROES: 1,
  /** Deallocated blocks read as all bytes FFh. */
  ONES: 2,
} as const;

/** MC bit positions: Metadata Capabilities. */
export const Mc = {
  /** Metadata may be transferred as part of an extended data LBA. */
  EXTENDED: 0,
  /** Metadata may be transferred in a separate buffer. */
  SEPARATE: 1,
} as const;

/** NMIC bit positions: Namespace Multi-path I/O and Namespace Sharing Capabilities. */
export const Nmic = {
  /** The namespace may be attached to two or more controllers. */
  SHARED: 0,
  /** The namespace is a dispersed namespace. */
  DISPERSED: 1,
} as const;
