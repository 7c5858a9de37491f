/**
 * Admin command layouts (Base 2.1 §5): each command is the common 64-byte SQE with its own
 * CDW10..15 fields, declared as a field table. Build one with `encode`, read one with `decode`.
 *
 * @example Create I/O Completion Queue 1 with 64 entries on vector 1
 * ```ts
 * import { CreateIoCq } from "./admin_commands.ts";
 * import { AdminOpcode } from "./opcodes.ts";
 * const sqe = CreateIoCq.encode({
 *   opcode: AdminOpcode.CREATE_IO_CQ, cid: 7, prp1: 0x20000, qid: 1, qsize: 63, pc: 1, ien: 1, iv: 1,
 * });
 * if (CreateIoCq.decode(sqe).qsize !== 63) throw new Error();
 * ```
 *
 * @module
 */

import { commandStruct } from "./_command.ts";
import { dwBits, type Layout, u32 } from "./struct.ts";
import type {
  AbortValue,
  AsyncEventRequestValue,
  CreateIoCqValue,
  CreateIoSqValue,
  DeleteIoCqValue,
  DeleteIoSqValue,
  DoorbellBufferConfigValue,
  FormatNvmValue,
  GetFeaturesValue,
  GetLogPageValue,
  IdentifyValue,
  KeepAliveValue,
  NamespaceAttachmentValue,
  NamespaceManagementValue,
  SetFeaturesValue,
} from "./value_types.ts";

/** Create I/O Completion Queue (opcode 05h, Base 2.1 §5.2.1). QSIZE is 0's based. */
export const CreateIoCq: Layout<CreateIoCqValue> = commandStruct(
  "CreateIoCq",
  "Base 2.1 §5.2.1",
  [
    dwBits("qid", 40, 0, 15),
    dwBits("qsize", 40, 16, 31),
    dwBits("pc", 44, 0, 0),
    dwBits("ien", 44, 1, 1),
    dwBits("iv", 44, 16, 31),
  ] as const,
);

/** Create I/O Submission Queue (opcode 01h, Base 2.1 §5.2.2). QSIZE is 0's based. */
export const CreateIoSq: Layout<CreateIoSqValue> = commandStruct(
  "CreateIoSq",
  "Base 2.1 §5.2.2",
  [
    dwBits("qid", 40, 0, 15),
    dwBits("qsize", 40, 16, 31),
    dwBits("pc", 44, 0, 0),
    dwBits("qprio", 44, 1, 2),
    dwBits("cqid", 44, 16, 31),
    dwBits("nvmsetid", 48, 0, 15),
  ] as const,
);

/** Delete I/O Submission Queue (opcode 00h, Base 2.1 §5.2.4). */
export const DeleteIoSq: Layout<DeleteIoSqValue> = commandStruct(
  "DeleteIoSq",
  "Base 2.1 §5.2.4",
  [
    dwBits("qid", 40, 0, 15),
  ] as const,
);

/** Delete I/O Completion Queue (opcode 04h, Base 2.1 §5.2.3). */
export const DeleteIoCq: Layout<DeleteIoCqValue> = commandStruct(
  "DeleteIoCq",
  "Base 2.1 §5.2.3",
  [
    dwBits("qid", 40, 0, 15),
  ] as const,
);

/**
 * Get Log Page (opcode 02h, Base 2.1 §5.1.12). The dword count NUMD = NUMDU:NUMDL is 0's based;
 * the offset LPO = LPOU:LPOL is in bytes (or an index when OT = 1).
 */
export const GetLogPage: Layout<GetLogPageValue> = commandStruct(
  "GetLogPage",
  "Base 2.1 §5.1.12",
  [
    dwBits("lid", 40, 0, 7),
    dwBits("lsp", 40, 8, 14),
    dwBits("rae", 40, 15, 15),
    dwBits("numdl", 40, 16, 31),
    dwBits("numdu", 44, 0, 15),
    dwBits("lsi", 44, 16, 31),
    u32("lpol", 48),
    u32("lpou", 52),
    dwBits("uuidx", 56, 0, 6),
    dwBits("ot", 56, 23, 23),
    dwBits("csi", 56, 24, 31),
  ] as const,
);

/** Identify (opcode 06h, Base 2.1 §5.1.13). */
export const Identify: Layout<IdentifyValue> = commandStruct(
  "Identify",
  "Base 2.1 §5.1.13",
  [
    dwBits("cns", 40, 0, 7),
    dwBits("cntid", 40, 16, 31),
    dwBits("cnssid", 44, 0, 15),
    dwBits("csi", 44, 24, 31),
    dwBits("uuidx", 56, 0, 6),
  ] as const,
);

/** Abort (opcode 08h, Base 2.1 §5.1.1): the command `abort_cid` on submission queue `sqid`. */
export const Abort: Layout<AbortValue> = commandStruct(
  "Abort",
  "Base 2.1 §5.1.1",
  [
    dwBits("sqid", 40, 0, 15),
    dwBits("abort_cid", 40, 16, 31),
  ] as const,
);

/** Set Features (opcode 09h, Base 2.1 §5.1.25). CDW11..15 are feature specific (features.ts). */
export const SetFeatures: Layout<SetFeaturesValue> = commandStruct(
  "SetFeatures",
  "Base 2.1 §5.1.25",
  [
    dwBits("fid", 40, 0, 7),
    dwBits("sv", 40, 31, 31),
    u32("cdw11", 44),
    u32("cdw12", 48),
    u32("cdw13", 52),
    dwBits("uuidx", 56, 0, 6),
    u32("cdw15", 60),
  ] as const,
);

/** Get Features (opcode 0Ah, Base 2.1 §5.1.11). SEL: 0 current, 1 default, 2 saved, 3 caps. */
export const GetFeatures: Layout<GetFeaturesValue> = commandStruct(
  "GetFeatures",
  "Base 2.1 §5.1.11",
  [
    dwBits("fid", 40, 0, 7),
    dwBits("sel", 40, 8, 10),
    u32("cdw11", 44),
    dwBits("uuidx", 56, 0, 6),
  ] as const,
);

/** Asynchronous Event Request (opcode 0Ch, Base 2.1 §5.1.2): no command-specific fields. */
export const AsyncEventRequest: Layout<AsyncEventRequestValue> = commandStruct(
  "AsyncEventRequest",
  "Base 2.1 §5.1.2",
  [] as const,
);

/** Namespace Management (opcode 0Dh, Base 2.1 §5.1.21): SEL 0 create, 1 delete. */
export const NamespaceManagement: Layout<NamespaceManagementValue> = commandStruct(
  "NamespaceManagement",
  "Base 2.1 §5.1.21",
  [
    dwBits("sel", 40, 0, 3),
    dwBits("csi", 44, 24, 31),
  ] as const,
);

/** Namespace Attachment (opcode 15h, Base 2.1 §5.1.20): SEL 0 attach, 1 detach. */
export const NamespaceAttachment: Layout<NamespaceAttachmentValue> = commandStruct(
  "NamespaceAttachment",
  "Base 2.1 §5.1.20",
  [
    dwBits("sel", 40, 0, 3),
  ] as const,
);

/** Keep Alive (opcode 18h, Base 2.1 §5.1.14): no command-specific fields. */
export const KeepAlive: Layout<KeepAliveValue> = commandStruct(
  "KeepAlive",
  "Base 2.1 §5.1.14",
  [] as const,
);

/**
 * Doorbell Buffer Config (opcode 7Ch, Base 2.1 §5.2.5): PRP1 is the Shadow Doorbell buffer and
 * PRP2 the EventIdx buffer, each one memory page, page aligned.
 */
export const DoorbellBufferConfig: Layout<DoorbellBufferConfigValue> = commandStruct(
  "DoorbellBufferConfig",
  "Base 2.1 §5.2.5",
  [] as const,
);

/** Format NVM (opcode 80h, Base 2.1 §5.1.10). The LBA format index is LBAFU:LBAFL. */
export const FormatNvm: Layout<FormatNvmValue> = commandStruct(
  "FormatNvm",
  "Base 2.1 §5.1.10",
  [
    dwBits("lbafl", 40, 0, 3),
    dwBits("mset", 40, 4, 4),
    dwBits("pi", 40, 5, 7),
    dwBits("pil", 40, 8, 8),
    dwBits("ses", 40, 9, 11),
    dwBits("lbafu", 40, 12, 13),
  ] as const,
);

/** Identify CNS values (Base 2.1 §5.1.13.1). */
export const Cns = {
  /** Identify Namespace data structure for the NSID. */
  NAMESPACE: 0x00,
  /** Identify Controller data structure. */
  CONTROLLER: 0x01,
  /** Active Namespace ID list (NSIDs greater than the NSID given). */
  ACTIVE_NS_LIST: 0x02,
  /** Namespace Identification Descriptor list for the NSID. */
  NS_DESCRIPTORS: 0x03,
  /** NVM Set list. */
  NVM_SET_LIST: 0x04,
  /** I/O Command Set specific Identify Namespace. */
  CSI_NAMESPACE: 0x05,
  /** I/O Command Set specific Identify Controller. */
  CSI_CONTROLLER: 0x06,
  /** I/O Command Set specific active Namespace ID list. */
  CSI_ACTIVE_NS_LIST: 0x07,
  /** I/O Command Set Independent Identify Namespace. */
  CS_INDEPENDENT_NAMESPACE: 0x08,
  /** Allocated Namespace ID list. */
  ALLOCATED_NS_LIST: 0x10,
  /** Identify Namespace for an allocated NSID. */
  ALLOCATED_NAMESPACE: 0x11,
  /** Controller list: controllers attached to the NSID. */
  NS_CONTROLLER_LIST: 0x12,
  /** Controller list: all controllers in the subsystem. */
  CONTROLLER_LIST: 0x13,
  /** Primary Controller Capabilities. */
  PRIMARY_CONTROLLER_CAPS: 0x14,
  /** Secondary Controller list. */
  SECONDARY_CONTROLLER_LIST: 0x15,
  /** Namespace Granularity list. */
  NS_GRANULARITY_LIST: 0x16,
  /** UUID list. */
  UUID_LIST: 0x17,
  /** I/O Command Set data structure. */
  IO_COMMAND_SET: 0x1c,
} as const;

/** Get Features SEL values (Base 2.1 §5.1.11). */
export const FeatureSelect = {
  /** Current value. */
  CURRENT: 0,
  /** Default value. */
  DEFAULT: 1,
  /** Saved value. */
  SAVED: 2,
  /** Supported capabilities (saveable, namespace specific, changeable) in DW0. */
  SUPPORTED_CAPABILITIES: 3,
} as const;

/** Bits of DW0 returned by Get Features with SEL = supported capabilities. */
export const FeatureCapability = {
  /** The feature is saveable. */
  SAVEABLE: 1 << 0,
  /** The feature is namespace specific. */
  NAMESPACE_SPECIFIC: 1 << 1,
  /** The feature is changeable. */
  CHANGEABLE: 1 << 2,
} as const;

/** Namespace Management / Attachment SEL values. */
export const NamespaceSelect = {
  /** Create (Management) or Controller Attach (Attachment). */
  CREATE_OR_ATTACH: 0,
  /** Delete (Management) or Controller Detach (Attachment). */
  DELETE_OR_DETACH: 1,
} as const;
