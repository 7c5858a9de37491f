/**
 * Admin and NVM command opcodes (Base 2.1 §5; NVM Command
 * Set 1.1 §3), with the names QEMU's trace events print.
 *
 * @example
 * ```ts
 * import { AdminOpcode, opcodeInfo } from "./opcodes.ts";
 * const info = opcodeInfo(AdminOpcode.IDENTIFY, true);
 * if (info?.qemuName !== "NVME_ADM_CMD_IDENTIFY") throw new Error();
 * ```
 *
 * @module
 */

/** Admin command opcodes. */
export const AdminOpcode = {
  /** Delete I/O Submission Queue (Base 2.1 §5.2.4). */
  DELETE_IO_SQ: 0x00,
  /** Create I/O Submission Queue (§5.2.2). */
  CREATE_IO_SQ: 0x01,
  /** Get Log Page (§5.1.12). */
  GET_LOG_PAGE: 0x02,
  /** Delete I/O Completion Queue (§5.2.3). */
  DELETE_IO_CQ: 0x04,
  /** Create I/O Completion Queue (§5.2.1). */
  CREATE_IO_CQ: 0x05,
  /** Identify (§5.1.13). */
  IDENTIFY: 0x06,
  /** Abort (§5.1.1). */
  ABORT: 0x08,
  /** Set Features (§5.1.25). */
  SET_FEATURES: 0x09,
  /** Get Features (§5.1.11). */
  GET_FEATURES: 0x0a,
  /** Asynchronous Event Request (§5.1.2). */
  ASYNC_EVENT_REQUEST: 0x0c,
  /** Namespace Management (§5.1.21). */
  NS_MANAGEMENT: 0x0d,
  /** Firmware Commit (§5.1.8). */
  FIRMWARE_COMMIT: 0x10,
  /** Firmware Image Download (§5.1.9). */
  FIRMWARE_DOWNLOAD: 0x11,
  /** Namespace Attachment (§5.1.20). */
  NS_ATTACHMENT: 0x15,
  /** Keep Alive (§5.1.14). */
  KEEP_ALIVE: 0x18,
  /** Doorbell Buffer Config (§5.2.5; PCIe only). */
  DOORBELL_BUFFER_CONFIG: 0x7c,
  /** Format NVM (§5.1.10). */
  FORMAT_NVM: 0x80,
} as const;

/** NVM command set I/O opcodes. */
export const NvmOpcode = {
  /** Flush (Base 2.1 §7.2). */
  FLUSH: 0x00,
  /** Write (NVM CS 1.1 §3.3.6). */
  WRITE: 0x01,
  /** Read (NVM CS 1.1 §3.3.4). */
  READ: 0x02,
  /** Write Uncorrectable (NVM CS 1.1 §3.3.7). */
  WRITE_UNCORRECTABLE: 0x04,
  /** Compare (NVM CS 1.1 §3.3.1). */
  COMPARE: 0x05,
  /** Write Zeroes (NVM CS 1.1 §3.3.8). */
  WRITE_ZEROES: 0x08,
  /** Dataset Management (NVM CS 1.1 §3.3.3). */
  DATASET_MANAGEMENT: 0x09,
  /** Verify (NVM CS 1.1 §3.3.5). */
  VERIFY: 0x0c,
  /** Copy (NVM CS 1.1 §3.3.2). */
  COPY: 0x19,
} as const;

/** Direction of the data transfer, encoded in opcode bits 1:0. */
export type DataDirection = "none" | "host-to-controller" | "controller-to-host" | "bidirectional";

/** Facts about one opcode. */
export interface OpcodeInfo {
  /** The opcode. */
  readonly opcode: number;
  /** True for the admin command set. */
  readonly admin: boolean;
  /** Readable name, e.g. "Create I/O Submission Queue". */
  readonly name: string;
  /** The name QEMU's trace events print (`opname '…'`). */
  readonly qemuName: string;
  /** Where the command is specified. */
  readonly section: string;
  /** Transfer direction from opcode bits 1:0. */
  readonly direction: DataDirection;
}

const DIRECTIONS: readonly DataDirection[] = [
  "none",
  "host-to-controller",
  "controller-to-host",
  "bidirectional",
];

/** Data transfer direction of an opcode from its low two bits. */
export function dataDirection(opcode: number): DataDirection {
  return DIRECTIONS[opcode & 3];
}

function info(
  opcode: number,
  admin: boolean,
  name: string,
  qemuName: string,
  section: string,
): OpcodeInfo {
  return Object.freeze({
    opcode,
    admin,
    name,
    qemuName,
    section,
    direction: dataDirection(opcode),
  });
}

/** Every admin opcode this project knows, keyed by opcode. */
export const ADMIN_OPCODES: ReadonlyMap<number, OpcodeInfo> = new Map([
  info(0x00, true, "Delete I/O Submission Queue", "NVME_ADM_CMD_DELETE_SQ", "Base 2.1 §5.2.4"),
  info(0x01, true, "Create I/O Submission Queue", "NVME_ADM_CMD_CREATE_SQ", "Base 2.1 §5.2.2"),
  info(0x02, true, "Get Log Page", "NVME_ADM_CMD_GET_LOG_PAGE", "Base 2.1 §5.1.12"),
  info(0x04, true, "Delete I/O Completion Queue", "NVME_ADM_CMD_DELETE_CQ", "Base 2.1 §5.2.3"),
  info(0x05, true, "Create I/O Completion Queue", "NVME_ADM_CMD_CREATE_CQ", "Base 2.1 §5.2.1"),
  info(0x06, true, "Identify", "NVME_ADM_CMD_IDENTIFY", "Base 2.1 §5.1.13"),
  info(0x08, true, "Abort", "NVME_ADM_CMD_ABORT", "Base 2.1 §5.1.1"),
  info(0x09, true, "Set Features", "NVME_ADM_CMD_SET_FEATURES", "Base 2.1 §5.1.25"),
  info(0x0a, true, "Get Features", "NVME_ADM_CMD_GET_FEATURES", "Base 2.1 §5.1.11"),
  info(0x0c, true, "Asynchronous Event Request", "NVME_ADM_CMD_ASYNC_EV_REQ", "Base 2.1 §5.1.2"),
  info(0x0d, true, "Namespace Management", "NVME_ADM_CMD_NS_MANAGEMENT", "Base 2.1 §5.1.21"),
  info(0x10, true, "Firmware Commit", "NVME_ADM_CMD_FW_COMMIT", "Base 2.1 §5.1.8"),
  info(0x11, true, "Firmware Image Download", "NVME_ADM_CMD_FW_DOWNLOAD", "Base 2.1 §5.1.9"),
  info(0x15, true, "Namespace Attachment", "NVME_ADM_CMD_NS_ATTACHMENT", "Base 2.1 §5.1.20"),
  info(0x18, true, "Keep Alive", "NVME_ADM_CMD_KEEP_ALIVE", "Base 2.1 §5.1.14"),
  info(0x7c, true, "Doorbell Buffer Config", "NVME_ADM_CMD_DBBUF_CONFIG", "Base 2.1 §5.2.5"),
  info(0x80, true, "Format NVM", "NVME_ADM_CMD_FORMAT_NVM", "Base 2.1 §5.1.10"),
].map((i) => [i.opcode, i]));

/** Every NVM command set opcode this project knows, keyed by opcode. */
export const NVM_OPCODES: ReadonlyMap<number, OpcodeInfo> = new Map([
  info(0x00, false, "Flush", "NVME_NVM_CMD_FLUSH", "Base 2.1 §7.2"),
  info(0x01, false, "Write", "NVME_NVM_CMD_WRITE", "NVM CS 1.1 §3.3.6"),
  info(0x02, false, "Read", "NVME_NVM_CMD_READ", "NVM CS 1.1 §3.3.4"),
  info(0x04, false, "Write Uncorrectable", "NVME_NVM_CMD_WRITE_UNCOR", "NVM CS 1.1 §3.3.7"),
  info(0x05, false, "Compare", "NVME_NVM_CMD_COMPARE", "NVM CS 1.1 §3.3.1"),
  info(0x08, false, "Write Zeroes", "NVME_NVM_CMD_WRITE_ZEROES", "NVM CS 1.1 §3.3.8"),
  info(0x09, false, "Dataset Management", "NVME_NVM_CMD_DSM", "NVM CS 1.1 §3.3.3"),
  info(0x0c, false, "Verify", "NVME_NVM_CMD_VERIFY", "NVM CS 1.1 §3.3.5"),
  info(0x19, false, "Copy", "NVME_NVM_CMD_COPY", "NVM CS 1.1 §3.3.2"),
].map((i) => [i.opcode, i]));

/** Looks up an opcode in the admin or NVM command set; undefined when unknown. */
export function opcodeInfo(opcode: number, admin: boolean): OpcodeInfo | undefined {
  return (admin ? ADMIN_OPCODES : NVM_OPCODES).get(opcode);
}

/** The `opname` QEMU prints for an opcode, `NVME_*_CMD_UNKNOWN` when it is not known. */
export function qemuOpcodeName(opcode: number, admin: boolean): string {
  return opcodeInfo(opcode, admin)?.qemuName ??
    (admin ? "NVME_ADM_CMD_UNKNOWN" : "NVME_NVM_CMD_UNKNOWN");
}
