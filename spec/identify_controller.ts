/**
 * The Identify Controller data structure (CNS 01h, Base 2.1 §5.1.13.2.1), its Power State
 * Descriptors, and the capability bit positions people test most often (OACS, ONCS, SGLS, VWC,
 * LPA, FRMW, CMIC, CTRATT, OAES, FNA, FUSES) as named data.
 *
 * Field names follow libnvme's `struct nvme_id_ctrl`. The NVMe Base Specification 2.1 is the
 * authority for the layout: fields that 2.1 defines but libnvme 1.3 (Debian bookworm) does not
 * are declared here and listed in `libnvmeNames` as absent, so the libnvme cross-check skips them.
 *
 * @example Read MDTS and a capability bit
 * ```ts
 * import { IdentifyController, Oacs, testBit } from "./identify_controller.ts";
 * const id = IdentifyController.decode(IdentifyController.encode({ mdts: 5, oacs: 1 << 8 }));
 * if (id.mdts !== 5 || !testBit(id.oacs, Oacs.DBBUF)) throw new Error("decode");
 * ```
 *
 * @module
 */

import {
  array,
  ascii,
  bytes,
  defineStruct,
  type Layout,
  rsvd,
  u128,
  u16,
  u32,
  u8,
} from "./struct.ts";
import type { IdentifyControllerValue, PowerStateDescriptorValue } from "./value_types.ts";

/** Size of every Identify data structure returned by the Identify command (Base 2.1 §5.1.13). */
export const IDENTIFY_DATA_SIZE = 4096;

/** Number of Power State Descriptors in Identify Controller (PSD0..PSD31). */
export const POWER_STATE_DESCRIPTOR_COUNT = 32;

/**
 * One Power State Descriptor (Base 2.1 §5.1.13.2.1, Power State Descriptor data structure):
 * 32 bytes, libnvme `struct nvme_id_psd`. Sub-byte fields are kept as the bytes libnvme declares
 * (`flags`, `ips`, `apws`, `epfr_fqv_ts`, `epfvts`); {@linkcode PsdFlags} and
 * {@linkcode PsdBits} name their bits.
 */
export const PowerStateDescriptor: Layout<PowerStateDescriptorValue> = defineStruct(
  "PowerStateDescriptor",
  32,
  [
    u16("mp", 0), // Maximum Power, in units of 0.01 W or 0.0001 W (MXPS)
    rsvd(2, 1),
    u8("flags", 3), // bit 0 MXPS, bit 1 NOPS
    u32("enlat", 4), // Entry Latency, microseconds
    u32("exlat", 8), // Exit Latency, microseconds
    u8("rrt", 12), // bits 4:0 Relative Read Throughput
    u8("rrl", 13), // bits 4:0 Relative Read Latency
    u8("rwt", 14), // bits 4:0 Relative Write Throughput
    u8("rwl", 15), // bits 4:0 Relative Write Latency
    u16("idlp", 16), // Idle Power
    u8("ips", 18), // bits 7:6 Idle Power Scale
    rsvd(19, 1),
    u16("actp", 20), // Active Power
    u8("apws", 22), // bits 2:0 Active Power Workload, bits 7:6 Active Power Scale
    // Power Loss Signaling times (Base 2.1, with PLSI in Identify Controller).
    u8("epfrt", 23), // Emergency Power Fail Recovery Time
    u8("fqvt", 24), // Forced Quiescence Vault Time
    u8("epfvt", 25), // Emergency Power Fail Vault Time
    u8("epfr_fqv_ts", 26), // bits 3:0 EPFRT scale, bits 7:4 FQVT scale
    u8("epfvts", 27), // bits 3:0 EPFVT scale
    rsvd(28, 4),
  ],
  {
    section: "Base 2.1 §5.1.13.2.1 (Power State Descriptor)",
    libnvme: "nvme_id_psd",
    libnvmeNames: {
      // Added with Power Loss Signaling in Base 2.1; libnvme 1.3 has rsvd23[9] here.
      epfrt: null,
      fqvt: null,
      epfvt: null,
      epfr_fqv_ts: null,
      epfvts: null,
    },
  },
);

/**
 * Identify Controller data structure, I/O Command Set Independent (CNS 01h):
 * Base 2.1 §5.1.13.2.1. 4096 bytes, libnvme `struct nvme_id_ctrl`.
 */
export const IdentifyController: Layout<IdentifyControllerValue> = defineStruct(
  "IdentifyController",
  IDENTIFY_DATA_SIZE,
  [
    // ---- Controller Capabilities and Features (bytes 0..255) ----
    u16("vid", 0),
    u16("ssvid", 2),
    ascii("sn", 4, 20),
    ascii("mn", 24, 40),
    ascii("fr", 64, 8),
    u8("rab", 72),
    bytes("ieee", 73, 3), // IEEE OUI, least significant byte first
    u8("cmic", 76),
    u8("mdts", 77), // log2 of MPSMIN units; 0 = no limit
    u16("cntlid", 78),
    u32("ver", 80),
    u32("rtd3r", 84),
    u32("rtd3e", 88),
    u32("oaes", 92),
    u32("ctratt", 96),
    u16("rrls", 100),
    u8("bpcap", 102), // Boot Partition Capabilities (2.1)
    rsvd(103, 1),
    u32("nssl", 104), // NVM Subsystem Shutdown Latency (2.1)
    rsvd(108, 2),
    u8("plsi", 110), // Power Loss Signaling Information (2.1)
    u8("cntrltype", 111),
    bytes("fguid", 112, 16),
    u16("crdt1", 128),
    u16("crdt2", 130),
    u16("crdt3", 132),
    u8("crcap", 134), // Controller Reachability Capabilities (2.1)
    rsvd(135, 118),
    // Bytes 240..255 belong to the NVMe-MI specification; 253..255 are defined there.
    u8("nvmsr", 253),
    u8("vwci", 254),
    u8("mec", 255),
    // ---- Admin Command Set Attributes & Optional Controller Capabilities (256..511) ----
    u16("oacs", 256),
    u8("acl", 258), // 0's based
    u8("aerl", 259), // 0's based
    u8("frmw", 260),
    u8("lpa", 261),
    u8("elpe", 262), // 0's based
    u8("npss", 263), // 0's based
    u8("avscc", 264),
    u8("apsta", 265),
    u16("wctemp", 266), // Kelvin
    u16("cctemp", 268), // Kelvin
    u16("mtfa", 270),
    u32("hmpre", 272),
    u32("hmmin", 276),
    u128("tnvmcap", 280), // bytes
    u128("unvmcap", 296), // bytes
    u32("rpmbs", 312),
    u16("edstt", 316),
    u8("dsto", 318),
    u8("fwug", 319),
    u16("kas", 320),
    u16("hctma", 322),
    u16("mntmt", 324),
    u16("mxtmt", 326),
    u32("sanicap", 328),
    u32("hmminds", 332),
    u16("hmmaxd", 336),
    u16("nsetidmax", 338),
    u16("endgidmax", 340),
    u8("anatt", 342),
    u8("anacap", 343),
    u32("anagrpmax", 344),
    u32("nanagrpid", 348),
    u32("pels", 352),
    u16("domainid", 356),
    u8("kpioc", 358), // Key Per I/O Capabilities (2.1)
    rsvd(359, 1),
    u16("mptfawr", 360), // Max Processing Time for Firmware Activation Without Reset (2.1)
    rsvd(362, 6),
    u128("megcap", 368),
    u8("tmpthha", 384), // Temperature Threshold Hysteresis Attributes (2.1)
    rsvd(385, 1),
    u16("cqt", 386), // Command Quiesce Time (2.1)
    rsvd(388, 124),
    // ---- NVM Command Set Attributes (512..767) ----
    u8("sqes", 512), // bits 3:0 required, 7:4 maximum (log2 bytes)
    u8("cqes", 513),
    u16("maxcmd", 514),
    u32("nn", 516),
    u16("oncs", 520),
    u16("fuses", 522),
    u8("fna", 524),
    u8("vwc", 525),
    u16("awun", 526), // 0's based
    u16("awupf", 528), // 0's based
    u8("icsvscc", 530),
    u8("nwpc", 531),
    u16("acwu", 532), // 0's based
    u16("ocfs", 534),
    u32("sgls", 536),
    u32("mnan", 540),
    u128("maxdna", 544),
    u32("maxcna", 560),
    u32("oaqd", 564), // Optimal Aggregated Queue Depth (2.1)
    u8("rhiri", 568), // Recommended Host-Initiated Refresh Interval (2.1)
    u8("hirt", 569), // Host-Initiated Refresh Time (2.1)
    // Host Managed Live Migration (2.1).
    u16("cmmrtd", 570),
    u16("nmmrtd", 572),
    u8("minmrtg", 574),
    u8("maxmrtg", 575),
    u8("trattr", 576),
    rsvd(577, 1),
    u16("mcudmq", 578),
    u16("mnsudmq", 580),
    u16("mcmr", 582),
    u16("nmcmr", 584),
    u16("mcdqpc", 586),
    rsvd(588, 180),
    ascii("subnqn", 768, 256, "\0"),
    rsvd(1024, 768),
    // ---- Fabrics-only fields (1792..2047) ----
    u32("ioccsz", 1792),
    u32("iorcsz", 1796),
    u16("icdoff", 1800),
    u8("fcatt", 1802),
    u8("msdbd", 1803),
    u16("ofcs", 1804),
    u8("dctype", 1806),
    rsvd(1807, 241),
    // ---- Power State Descriptors and vendor-specific area ----
    array("psd", 2048, POWER_STATE_DESCRIPTOR_COUNT, PowerStateDescriptor),
    bytes("vs", 3072, 1024),
  ],
  {
    section: "Base 2.1 §5.1.13.2.1 (Identify Controller data structure)",
    libnvme: "nvme_id_ctrl",
    libnvmeNames: {
      // Defined by Base 2.1 but absent from libnvme 1.3 (its reserved arrays cover them).
      bpcap: null,
      nssl: null,
      plsi: null,
      crcap: null,
      kpioc: null,
      mptfawr: null,
      tmpthha: null,
      cqt: null,
      oaqd: null,
      rhiri: null,
      hirt: null,
      cmmrtd: null,
      nmmrtd: null,
      minmrtg: null,
      maxmrtg: null,
      trattr: null,
      mcudmq: null,
      mnsudmq: null,
      mcmr: null,
      nmcmr: null,
      mcdqpc: null,
    },
  },
);

/** Tests bit `bit` of a capability field: `testBit(id.oacs, Oacs.DBBUF)`. */
export function testBit(value: number, bit: number): boolean {
  return Math.floor(value / 2 ** bit) % 2 === 1;
}

/** Extracts the inclusive bit range `[lo, hi]` (at most 32 bits) of a capability field. */
export function bitRange(value: number, range: readonly [number, number]): number {
  const [lo, hi] = range;
  return Math.floor(value / 2 ** lo) % 2 ** (hi - lo + 1);
}

/** CMIC bit positions: Controller Multi-Path I/O and Namespace Sharing Capabilities. */
export const Cmic = {
  /** The NVM subsystem may contain more than one port. */
  MULTI_PORT: 0,
  /** The NVM subsystem may contain two or more controllers. */
  MULTI_CTRL: 1,
  /** The controller is associated with an SR-IOV Virtual Function. */
  SRIOV: 2,
  /** Asymmetric Namespace Access Reporting supported. */
  ANA: 3,
} as const;

/** OAES bit positions: Optional Asynchronous Events Supported. */
export const Oaes = {
  /** Namespace Attribute Notices. */
  NS_ATTR: 8,
  /** Firmware Activation Notices. */
  FW_ACTIVATION: 9,
  /** Asymmetric Namespace Access Change Notices. */
  ANA_CHANGE: 11,
  /** Predictable Latency Event Aggregate Log Change Notices. */
  PLEA: 12,
  /** LBA Status Information Notices. */
  LBA_STATUS: 13,
  /** Endurance Group Event Aggregate Log Page Change Notices. */
  EGEA: 14,
  /** Normal NVM Subsystem Shutdown event. */
  NORMAL_NSS_SHUTDOWN: 15,
  /** Temperature Threshold Hysteresis Recovery notices (2.1). */
  TTHR: 16,
  /** Reachability Groups Change Notices. */
  REACHABILITY_GROUPS: 17,
  /** Allocated Namespace Attribute Notices. */
  ALLOCATED_NS_ATTR: 19,
  /** Zone Descriptor Changed Notices (Zoned Namespace Command Set). */
  ZONE_DESC_CHANGED: 27,
  /** Discovery Log Page Change Notices (Discovery controllers). */
  DISCOVERY_LOG_CHANGE: 31,
} as const;

/** CTRATT bit positions: Controller Attributes. */
export const Ctratt = {
  /** 128-bit Host Identifier supported. */
  HOST_ID_128: 0,
  /** Non-Operational Power State Permissive Mode. */
  NOPSPM: 1,
  /** NVM Sets. */
  NVM_SETS: 2,
  /** Read Recovery Levels. */
  READ_RECOVERY_LEVELS: 3,
  /** Endurance Groups. */
  ENDURANCE_GROUPS: 4,
  /** Predictable Latency Mode. */
  PREDICTABLE_LATENCY: 5,
  /** Traffic Based Keep Alive. */
  TBKAS: 6,
  /** Namespace Granularity. */
  NS_GRANULARITY: 7,
  /** SQ Associations. */
  SQ_ASSOCIATIONS: 8,
  /** UUID List. */
  UUID_LIST: 9,
  /** Multi-Domain Subsystem. */
  MDS: 10,
  /** Fixed Capacity Management. */
  FIXED_CAPACITY: 11,
  /** Variable Capacity Management. */
  VARIABLE_CAPACITY: 12,
  /** Delete Endurance Group. */
  DELETE_ENDURANCE_GROUP: 13,
  /** Delete NVM Set. */
  DELETE_NVM_SET: 14,
  /** Extended LBA Formats supported (LBA formats 16..63, FLBAS bits 6:5). */
  ELBAS: 15,
  /** MDTS and size limits exclude metadata. */
  MEM: 16,
  /** HMB Restrict Non-Operational Power State Access. */
  HMBR: 17,
  /** Reservations and Host Identifier Interaction. */
  RHII: 18,
  /** Flexible Data Placement. */
  FDPS: 19,
} as const;

/** OACS bit positions: Optional Admin Command Support. */
export const Oacs = {
  /** Security Send and Security Receive. */
  SECURITY: 0,
  /** Format NVM. */
  FORMAT: 1,
  /** Firmware Commit and Firmware Image Download. */
  FW: 2,
  /** Namespace Management (and Namespace Attachment). */
  NS_MGMT: 3,
  /** Device Self-test. */
  SELF_TEST: 4,
  /** Directives (Directive Send / Directive Receive). */
  DIRECTIVES: 5,
  /** NVMe-MI Send and NVMe-MI Receive. */
  NVME_MI: 6,
  /** Virtualization Management. */
  VIRT_MGMT: 7,
  /** Doorbell Buffer Config (shadow doorbells, PCIe only). */
  DBBUF: 8,
  /** Get LBA Status. */
  LBA_STATUS: 9,
  /** Command and Feature Lockdown. */
  CMD_FEAT_LOCKDOWN: 10,
  /** Host Managed Live Migration (2.1). */
  HMLM: 11,
} as const;

/** FRMW fields: Firmware Updates. */
export const Frmw = {
  /** Bit: firmware slot 1 is read only. */
  SLOT1_RO: 0,
  /** Bits 3:1: number of firmware slots (1..7). */
  NUM_SLOTS: [1, 3] as const,
  /** Bit: firmware activation without reset supported. */
  ACTIVATE_NO_RESET: 4,
  /** Bit: Multiple Update Detection supported. */
  MUDS: 5,
} as const;

/** LPA bit positions: Log Page Attributes. */
export const Lpa = {
  /** SMART / Health log page per namespace. */
  SMART_PER_NS: 0,
  /** Commands Supported and Effects log page. */
  CMD_EFFECTS: 1,
  /** Extended data for Get Log Page (NUMDU, LPOL/LPOU). */
  EXTENDED: 2,
  /** Telemetry Host-Initiated and Controller-Initiated log pages. */
  TELEMETRY: 3,
  /** Persistent Event log. */
  PERSISTENT_EVENT: 4,
  /** Supported Log Pages, Feature Identifiers Supported and Effects, NVMe-MI effects logs. */
  MISC_LOGS: 5,
  /** Telemetry Data Area 4. */
  TELEMETRY_DA4: 6,
} as const;

/** ONCS bit positions: Optional NVM Command Support. */
export const Oncs = {
  /** Compare. */
  COMPARE: 0,
  /** Write Uncorrectable. */
  WRITE_UNCORRECTABLE: 1,
  /** Dataset Management. */
  DSM: 2,
  /** Write Zeroes. */
  WRITE_ZEROES: 3,
  /** Save field in Set Features and Select field in Get Features. */
  SAVE_SELECT: 4,
  /** Reservations. */
  RESERVATIONS: 5,
  /** Timestamp feature. */
  TIMESTAMP: 6,
  /** Verify. */
  VERIFY: 7,
  /** Copy. */
  COPY: 8,
  /** Copy Single Atomicity. */
  COPY_SINGLE_ATOMICITY: 9,
  /** All Fast Copy. */
  ALL_FAST_COPY: 10,
  /** Write Zeroes with Deallocate size limit (MAXWZD; NVM Command Set 1.1 WZDSL). */
  MAXWZD: 11,
  /** Namespace Zeroes. */
  NS_ZEROES: 12,
} as const;

/** FUSES bit positions: Fused Operation Support. */
export const Fuses = {
  /** Compare and Write fused operation. */
  COMPARE_AND_WRITE: 0,
} as const;

/** FNA bit positions: Format NVM Attributes. */
export const Fna = {
  /** Format applies to all namespaces. */
  FORMAT_ALL: 0,
  /** Cryptographic erase applies to all namespaces. */
  CRYPTO_ERASE_ALL: 1,
  /** Cryptographic erase supported. */
  CRYPTO_ERASE: 2,
  /** Format NVM with NSID FFFFFFFFh supported. */
  BROADCAST: 3,
} as const;

/** VWC fields: Volatile Write Cache. */
export const Vwc = {
  /** Bit: a volatile write cache is present. */
  PRESENT: 0,
  /** Bits 2:1: Flush behaviour with NSID FFFFFFFFh, see {@linkcode VwcFlush}. */
  FLUSH_BROADCAST: [1, 2] as const,
} as const;

/** Values of VWC bits 2:1 (Flush with NSID FFFFFFFFh). */
export const VwcFlush = {
  /** Support for NSID FFFFFFFFh with Flush is not indicated. */
  NOT_INDICATED: 0,
  /** Flush does not support NSID FFFFFFFFh. */
  UNSUPPORTED: 2,
  /** Flush supports NSID FFFFFFFFh. */
  SUPPORTED: 3,
} as const;

/** SGLS fields: SGL Support. */
export const Sgls = {
  /** Bits 1:0: SGL support for the NVM Command Set, see {@linkcode SglSupport}. */
  SUPPORT: [0, 1] as const,
  /** Bit: Keyed SGL Data Block descriptor supported. */
  KEYED: 2,
  /** Bits 15:8: SGL Descriptor Threshold. */
  SDT: [8, 15] as const,
  /** Bit: SGL Bit Bucket descriptor supported. */
  BIT_BUCKET: 16,
  /** Bit: byte-aligned contiguous physical buffer of metadata (MPTR) supported. */
  BYTE_ALIGNED_METADATA: 17,
  /** Bit: SGL length may exceed the data transferred. */
  LENGTH_LARGER_THAN_DATA: 18,
  /** Bit: MPTR may point to an SGL segment holding exactly one descriptor. */
  MPTR_SGL: 19,
  /** Bit: the Address field may be an offset (Fabrics). */
  ADDRESS_AS_OFFSET: 20,
  /** Bit: Transport SGL Data Block descriptor supported. */
  TRANSPORT_DATA_BLOCK: 21,
} as const;

/** Values of SGLS bits 1:0. */
export const SglSupport = {
  /** SGLs are not supported. */
  NONE: 0,
  /** SGLs supported, no alignment or granularity requirement for Data Blocks. */
  BYTE_ALIGNED: 1,
  /** SGLs supported, Data Blocks dword aligned with dword granularity. */
  DWORD_ALIGNED: 2,
} as const;

/** Bit positions in a Power State Descriptor's `flags` byte. */
export const PsdFlags = {
  /** Max Power Scale: `mp` is in 0.0001 W units when set, 0.01 W when clear. */
  MXPS: 0,
  /** Non-Operational State. */
  NOPS: 1,
} as const;

/** Bit ranges inside the Power State Descriptor bytes that libnvme declares whole. */
export const PsdBits = {
  /** `ips` bits 7:6: Idle Power Scale. */
  IPS: [6, 7] as const,
  /** `apws` bits 2:0: Active Power Workload. */
  APW: [0, 2] as const,
  /** `apws` bits 7:6: Active Power Scale. */
  APS: [6, 7] as const,
  /** `rrt`/`rrl`/`rwt`/`rwl` bits 4:0: the relative rank. */
  RELATIVE: [0, 4] as const,
} as const;
