/**
 * Feature identifiers and their dword layouts (Base 2.1 §5.1.11 Figure 194; §5.1.25.1 common,
 * §5.1.25.2 PCIe features). Each layout describes Set Features CDW11 and the Get Features
 * completion DW0 unless noted, so `decodeValue(layout, dw0)` reads a feature back.
 *
 * @example Number of Queues: ask for 8 SQs and 8 CQs (0's based)
 * ```ts
 * import { FeatureId, NumberOfQueues } from "./features.ts";
 * import { encodeValue } from "./struct.ts";
 * const cdw11 = Number(encodeValue(NumberOfQueues, { nsqr: 7, ncqr: 7 }));
 * if (cdw11 !== 0x00070007 || FeatureId.NUMBER_OF_QUEUES !== 0x07) throw new Error();
 * ```
 *
 * @module
 */

import { bits, defineStruct, type Layout, rsvd, type Struct, u32, u64 } from "./struct.ts";
import type {
  ApstTableValue,
  FeatArbitrationValue,
  FeatAsyncEventConfigValue,
  FeatAutonomousPowerStateValue,
  FeatErrorRecoveryValue,
  FeatHostMemoryBufferValue,
  FeatHostThermalManagementValue,
  FeatInterruptCoalescingValue,
  FeatInterruptVectorConfigValue,
  FeatKeepAliveTimerValue,
  FeatNumberOfQueuesValue,
  FeatPowerManagementValue,
  FeatTemperatureThresholdValue,
  FeatVolatileWriteCacheValue,
  FeatWriteAtomicityValue,
  HostMemoryBufferAttributesValue,
  HostMemoryBufferDescriptorValue,
  TimestampValue,
} from "./value_types.ts";

// Bits `lo..hi` of a feature dword; generic so the field name stays a literal type.
const dw = <const N extends string>(name: N, lo: number, hi: number) => bits(name, 0, 4, lo, hi);

/** Feature identifiers (Base 2.1 §5.1.11 Figure 194; §5.1.25.1 common, §5.1.25.2 PCIe). */
export const FeatureId = {
  /** Arbitration. */
  ARBITRATION: 0x01,
  /** Power Management. */
  POWER_MANAGEMENT: 0x02,
  /** LBA Range Type. */
  LBA_RANGE_TYPE: 0x03,
  /** Temperature Threshold. */
  TEMPERATURE_THRESHOLD: 0x04,
  /** Error Recovery. */
  ERROR_RECOVERY: 0x05,
  /** Volatile Write Cache. */
  VOLATILE_WRITE_CACHE: 0x06,
  /** Number of Queues. */
  NUMBER_OF_QUEUES: 0x07,
  /** Interrupt Coalescing. */
  INTERRUPT_COALESCING: 0x08,
  /** Interrupt Vector Configuration. */
  INTERRUPT_VECTOR_CONFIG: 0x09,
  /** Write Atomicity Normal. */
  WRITE_ATOMICITY: 0x0a,
  /** Asynchronous Event Configuration. */
  ASYNC_EVENT_CONFIG: 0x0b,
  /** Autonomous Power State Transition. */
  AUTONOMOUS_POWER_STATE: 0x0c,
  /** Host Memory Buffer. */
  HOST_MEMORY_BUFFER: 0x0d,
  /** Timestamp. */
  TIMESTAMP: 0x0e,
  /** Keep Alive Timer. */
  KEEP_ALIVE_TIMER: 0x0f,
  /** Host Controlled Thermal Management. */
  HOST_THERMAL_MANAGEMENT: 0x10,
  /** Non-Operational Power State Config. */
  NON_OPERATIONAL_POWER_STATE: 0x11,
  /** Host Behavior Support. */
  HOST_BEHAVIOR: 0x16,
  /** Software Progress Marker. */
  SOFTWARE_PROGRESS_MARKER: 0x80,
  /** Host Identifier. */
  HOST_IDENTIFIER: 0x81,
} as const;

/** Arbitration (FID 01h): burst and weights for weighted round robin. */
export const Arbitration: Layout<FeatArbitrationValue> = defineStruct(
  "FeatArbitration",
  4,
  [
    dw("ab", 0, 2),
    dw("lpw", 8, 15),
    dw("mpw", 16, 23),
    dw("hpw", 24, 31),
  ] as const,
  { section: "Base 2.1 §5.1.25.1.1 (Arbitration)" },
);

/** Power Management (FID 02h): power state and workload hint. */
export const PowerManagement: Layout<FeatPowerManagementValue> = defineStruct(
  "FeatPowerManagement",
  4,
  [
    dw("ps", 0, 4),
    dw("wh", 5, 7),
  ] as const,
  { section: "Base 2.1 §5.1.25.1.2 (Power Management)" },
);

/** Temperature Threshold (FID 04h): threshold in kelvins, sensor and over/under select. */
export const TemperatureThreshold: Layout<FeatTemperatureThresholdValue> = defineStruct(
  "FeatTemperatureThreshold",
  4,
  [
    dw("tmpth", 0, 15),
    dw("tmpsel", 16, 19),
    dw("thsel", 20, 21),
  ] as const,
  { section: "Base 2.1 §5.1.25.1.3 (Temperature Threshold)" },
);

/** Error Recovery (FID 05h): time limited error recovery (100 ms units), DULBE. */
export const ErrorRecovery: Layout<FeatErrorRecoveryValue> = defineStruct(
  "FeatErrorRecovery",
  4,
  [
    dw("tler", 0, 15),
    dw("dulbe", 16, 16),
  ] as const,
  { section: "NVM CS 1.1 (Error Recovery feature)" },
);

/** Volatile Write Cache (FID 06h): WCE enables the cache. */
export const VolatileWriteCache: Layout<FeatVolatileWriteCacheValue> = defineStruct(
  "FeatVolatileWriteCache",
  4,
  [
    dw("wce", 0, 0),
  ] as const,
  { section: "Base 2.1 §5.1.25.1.4 (Volatile Write Cache)" },
);

/**
 * Number of Queues (FID 07h): requested I/O SQs/CQs in CDW11 (NSQR/NCQR, 0's based); the
 * completion DW0 has the same layout with the allocated counts (NSQA/NCQA).
 */
export const NumberOfQueues: Layout<FeatNumberOfQueuesValue> = defineStruct(
  "FeatNumberOfQueues",
  4,
  [
    dw("nsqr", 0, 15),
    dw("ncqr", 16, 31),
  ] as const,
  { section: "Base 2.1 §5.1.25.2.1 (Number of Queues)" },
);

/** Interrupt Coalescing (FID 08h): THR is 0's based, TIME is in 100 µs units. */
export const InterruptCoalescing: Layout<FeatInterruptCoalescingValue> = defineStruct(
  "FeatInterruptCoalescing",
  4,
  [
    dw("thr", 0, 7),
    dw("time", 8, 15),
  ] as const,
  { section: "Base 2.1 §5.1.25.2.2 (Interrupt Coalescing)" },
);

/** Interrupt Vector Configuration (FID 09h): CD disables coalescing for vector IV. */
export const InterruptVectorConfig: Layout<FeatInterruptVectorConfigValue> = defineStruct(
  "FeatInterruptVectorConfig",
  4,
  [
    dw("iv", 0, 15),
    dw("cd", 16, 16),
  ] as const,
  { section: "Base 2.1 §5.1.25.2.3 (Interrupt Vector Configuration)" },
);

/** Write Atomicity Normal (FID 0Ah). */
export const WriteAtomicity: Layout<FeatWriteAtomicityValue> = defineStruct(
  "FeatWriteAtomicity",
  4,
  [
    dw("dn", 0, 0),
  ] as const,
  { section: "NVM CS 1.1 (Write Atomicity Normal feature)" },
);

/** Asynchronous Event Configuration (FID 0Bh): which events generate an AER completion. */
export const AsyncEventConfig: Layout<FeatAsyncEventConfigValue> = defineStruct(
  "FeatAsyncEventConfig",
  4,
  [
    dw("shcw", 0, 7),
    dw("nan", 8, 8),
    dw("fan", 9, 9),
    dw("tln", 10, 10),
    dw("anacn", 11, 11),
    dw("plealcn", 12, 12),
    dw("lsian", 13, 13),
    dw("egealcn", 14, 14),
    dw("nnsshdn", 15, 15),
    dw("dlpcn", 31, 31),
  ] as const,
  { section: "Base 2.1 §5.1.25.1.5 (Asynchronous Event Configuration)" },
);

/** Autonomous Power State Transition (FID 0Ch): CDW11.APSTE; the table is in the data buffer. */
export const AutonomousPowerState: Layout<FeatAutonomousPowerStateValue> = defineStruct(
  "FeatAutonomousPowerState",
  4,
  [
    dw("apste", 0, 0),
  ] as const,
  { section: "Base 2.1 §5.1.25.1.6 (Autonomous Power State Transition)" },
);

/** Host Memory Buffer (FID 0Dh) CDW11: EHM enables, MR says memory was returned. */
export const HostMemoryBuffer: Layout<FeatHostMemoryBufferValue> = defineStruct(
  "FeatHostMemoryBuffer",
  4,
  [
    dw("ehm", 0, 0),
    dw("mr", 1, 1),
  ] as const,
  { section: "Base 2.1 §5.1.25.2.4 (Host Memory Buffer)" },
);

/** Host Memory Buffer Attributes returned by Get Features FID 0Dh (4096 bytes). */
export const HostMemoryBufferAttributes: Layout<HostMemoryBufferAttributesValue> = defineStruct(
  "HostMemoryBufferAttributes",
  4096,
  [
    u32("hsize", 0),
    u32("hmdlal", 4),
    u32("hmdlau", 8),
    u32("hmdlec", 12),
    rsvd(16, 4080),
  ] as const,
  {
    section: "Base 2.1 §5.1.25.2.4 (Host Memory Buffer Attributes)",
    libnvme: "nvme_host_mem_buf_attrs",
  },
);

/** Host Memory Buffer Descriptor Entry (16 bytes). BSIZE is in memory page units. */
export const HostMemoryBufferDescriptor: Layout<HostMemoryBufferDescriptorValue> = defineStruct(
  "HostMemoryBufferDescriptor",
  16,
  [
    u64("badd", 0),
    u32("bsize", 8),
    rsvd(12, 4),
  ] as const,
  { section: "Base 2.1 §5.1.25.2.4 (Host Memory Buffer Descriptor Entry)" },
);

/** Timestamp (FID 0Eh) data: milliseconds since the epoch (48 bits) and attributes. */
export const Timestamp: Layout<TimestampValue> = defineStruct(
  "Timestamp",
  8,
  [
    bits("timestamp", 0, 8, 0, 47),
    bits("sync", 0, 8, 48, 48),
    bits("to", 0, 8, 49, 51),
  ] as const,
  {
    section: "Base 2.1 §5.1.25.1.7 (Timestamp)",
    libnvme: null,
  },
);

/** Keep Alive Timer (FID 0Fh): KATO in milliseconds (0 disables). */
export const KeepAliveTimer: Layout<FeatKeepAliveTimerValue> = defineStruct(
  "FeatKeepAliveTimer",
  4,
  [u32("kato", 0)] as const,
  {
    section: "Base 2.1 §5.1.25.1.8 (Keep Alive Timer)",
  },
);

/** Host Controlled Thermal Management (FID 10h): two thresholds in kelvins. */
export const HostThermalManagement: Layout<FeatHostThermalManagementValue> = defineStruct(
  "FeatHostThermalManagement",
  4,
  [
    dw("tmt2", 0, 15),
    dw("tmt1", 16, 31),
  ] as const,
  { section: "Base 2.1 §5.1.25.1.9 (Host Controlled Thermal Management)" },
);

/** Autonomous Power State Transition data: 32 entries of 8 bytes (256 bytes). */
export const ApstTable: Layout<ApstTableValue> = defineStruct(
  "ApstTable",
  256,
  [
    // Spelt out rather than generated so that each entry's name is a literal type.
    u64("apst_entry0", 0),
    u64("apst_entry1", 8),
    u64("apst_entry2", 16),
    u64("apst_entry3", 24),
    u64("apst_entry4", 32),
    u64("apst_entry5", 40),
    u64("apst_entry6", 48),
    u64("apst_entry7", 56),
    u64("apst_entry8", 64),
    u64("apst_entry9", 72),
    u64("apst_entry10", 80),
    u64("apst_entry11", 88),
    u64("apst_entry12", 96),
    u64("apst_entry13", 104),
    u64("apst_entry14", 112),
    u64("apst_entry15", 120),
    u64("apst_entry16", 128),
    u64("apst_entry17", 136),
    u64("apst_entry18", 144),
    u64("apst_entry19", 152),
    u64("apst_entry20", 160),
    u64("apst_entry21", 168),
    u64("apst_entry22", 176),
    u64("apst_entry23", 184),
    u64("apst_entry24", 192),
    u64("apst_entry25", 200),
    u64("apst_entry26", 208),
    u64("apst_entry27", 216),
    u64("apst_entry28", 224),
    u64("apst_entry29", 232),
    u64("apst_entry30", 240),
    u64("apst_entry31", 248),
  ] as const,
  { section: "Base 2.1 §5.1.25.1.6 (APST data structure)", libnvme: null },
);

/** Facts about one feature: what the spec lets a controller do with it. */
export interface FeatureInfo {
  /** Feature identifier. */
  readonly fid: number;
  /** The spec's name. */
  readonly name: string;
  /** Layout of CDW11 / DW0, when the feature is a dword. */
  readonly layout: Struct | null;
  /** Data structure transferred with the command, when there is one. */
  readonly data: Struct | null;
  /** True when the feature may be namespace specific. */
  readonly namespaceSpecific: boolean;
  /** Where the feature is defined. */
  readonly section: string;
}

function f(
  fid: number,
  name: string,
  layout: Struct | null,
  data: Struct | null,
  namespaceSpecific = false,
): FeatureInfo {
  return Object.freeze({
    fid,
    name,
    layout,
    data,
    namespaceSpecific,
    section: layout?.section ?? data?.section ?? "Base 2.1 §5.1.25.1",
  });
}

/** The features this project models, keyed by FID. */
export const FEATURES: ReadonlyMap<number, FeatureInfo> = new Map([
  f(FeatureId.ARBITRATION, "Arbitration", Arbitration, null),
  f(FeatureId.POWER_MANAGEMENT, "Power Management", PowerManagement, null),
  f(FeatureId.TEMPERATURE_THRESHOLD, "Temperature Threshold", TemperatureThreshold, null),
  f(FeatureId.ERROR_RECOVERY, "Error Recovery", ErrorRecovery, null, true),
  f(FeatureId.VOLATILE_WRITE_CACHE, "Volatile Write Cache", VolatileWriteCache, null),
  f(FeatureId.NUMBER_OF_QUEUES, "Number of Queues", NumberOfQueues, null),
  f(FeatureId.INTERRUPT_COALESCING, "Interrupt Coalescing", InterruptCoalescing, null),
  f(
    FeatureId.INTERRUPT_VECTOR_CONFIG,
    "Interrupt Vector Configuration",
    InterruptVectorConfig,
    null,
  ),
  f(FeatureId.WRITE_ATOMICITY, "Write Atomicity Normal", WriteAtomicity, null),
  f(FeatureId.ASYNC_EVENT_CONFIG, "Asynchronous Event Configuration", AsyncEventConfig, null),
  f(
    FeatureId.AUTONOMOUS_POWER_STATE,
    "Autonomous Power State Transition",
    AutonomousPowerState,
    ApstTable,
  ),
  f(
    FeatureId.HOST_MEMORY_BUFFER,
    "Host Memory Buffer",
    HostMemoryBuffer,
    HostMemoryBufferAttributes,
  ),
  f(FeatureId.TIMESTAMP, "Timestamp", null, Timestamp),
  f(FeatureId.KEEP_ALIVE_TIMER, "Keep Alive Timer", KeepAliveTimer, null),
  f(
    FeatureId.HOST_THERMAL_MANAGEMENT,
    "Host Controlled Thermal Management",
    HostThermalManagement,
    null,
  ),
].map((i) => [i.fid, i]));

/** Interrupt Coalescing TIME unit in nanoseconds (100 µs). */
export const COALESCING_TIME_UNIT_NS = 100_000;
