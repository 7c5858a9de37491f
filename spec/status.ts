/**
 * Status codes (Base 2.1 §4.2.3 and NVM Command Set 1.1 §3.2.3): type, code, name, section,
 * libnvme spelling, and whether DNR is expected (a retry cannot succeed). Conformance cases state
 * **allowed status sets** built from these values where the spec allows more than one answer.
 *
 * A status is identified by the 11-bit value `SCT << 8 | SC`, the same form as libnvme's
 * `NVME_SC_*` once its SCT is applied.
 *
 * @example
 * ```ts
 * import { Status, statusInfo, statusName } from "./status.ts";
 * if (statusInfo(Status.INVALID_QUEUE_IDENTIFIER)?.sct !== 1) throw new Error();
 * if (statusName(0x002) !== "Invalid Field in Command") throw new Error();
 * ```
 *
 * @module
 */

/** One status code. */
export interface StatusInfo {
  /** Status Code Type. */
  readonly sct: number;
  /** Status Code. */
  readonly sc: number;
  /** `SCT << 8 | SC`. */
  readonly value: number;
  /** Constant name, e.g. `INVALID_FIELD`. */
  readonly key: string;
  /** The spec's name, e.g. "Invalid Field in Command". */
  readonly name: string;
  /** libnvme's `NVME_SC_<libnvme>` spelling. */
  readonly libnvme: string;
  /** True when the spec's meaning implies Do Not Retry (retrying cannot succeed). */
  readonly dnr: boolean;
  /** Where the code is defined. */
  readonly section: string;
}

function s(
  sct: number,
  sc: number,
  key: string,
  name: string,
  libnvme: string,
  dnr: boolean,
  section: string,
): StatusInfo {
  return Object.freeze({ sct, sc, value: (sct << 8) | sc, key, name, libnvme, dnr, section });
}

/** Every status code this project knows, in (SCT, SC) order. */
export const STATUS_CODES: readonly StatusInfo[] = Object.freeze([
  s(
    0,
    0x00,
    "SUCCESS",
    "Successful Completion",
    "SUCCESS",
    false,
    "Base 2.1 §4.2.3.1 (Generic Command Status Values)",
  ),
  s(
    0,
    0x01,
    "INVALID_OPCODE",
    "Invalid Command Opcode",
    "INVALID_OPCODE",
    true,
    "Base 2.1 §4.2.3.1 (Generic Command Status Values)",
  ),
  s(
    0,
    0x02,
    "INVALID_FIELD",
    "Invalid Field in Command",
    "INVALID_FIELD",
    true,
    "Base 2.1 §4.2.3.1 (Generic Command Status Values)",
  ),
  s(
    0,
    0x03,
    "CID_CONFLICT",
    "Command ID Conflict",
    "CMDID_CONFLICT",
    true,
    "Base 2.1 §4.2.3.1 (Generic Command Status Values)",
  ),
  s(
    0,
    0x04,
    "DATA_TRANSFER_ERROR",
    "Data Transfer Error",
    "DATA_XFER_ERROR",
    false,
    "Base 2.1 §4.2.3.1 (Generic Command Status Values)",
  ),
  s(
    0,
    0x05,
    "ABORTED_POWER_LOSS",
    "Commands Aborted due to Power Loss Notification",
    "POWER_LOSS",
    false,
    "Base 2.1 §4.2.3.1 (Generic Command Status Values)",
  ),
  s(
    0,
    0x06,
    "INTERNAL_ERROR",
    "Internal Error",
    "INTERNAL",
    false,
    "Base 2.1 §4.2.3.1 (Generic Command Status Values)",
  ),
  s(
    0,
    0x07,
    "ABORT_REQUESTED",
    "Command Abort Requested",
    "ABORT_REQ",
    false,
    "Base 2.1 §4.2.3.1 (Generic Command Status Values)",
  ),
  s(
    0,
    0x08,
    "ABORTED_SQ_DELETION",
    "Command Aborted due to SQ Deletion",
    "ABORT_QUEUE",
    false,
    "Base 2.1 §4.2.3.1 (Generic Command Status Values)",
  ),
  s(
    0,
    0x09,
    "ABORTED_FUSED_FAIL",
    "Command Aborted due to Failed Fused Command",
    "FUSED_FAIL",
    false,
    "Base 2.1 §4.2.3.1 (Generic Command Status Values)",
  ),
  s(
    0,
    0x0a,
    "ABORTED_FUSED_MISSING",
    "Command Aborted due to Missing Fused Command",
    "FUSED_MISSING",
    true,
    "Base 2.1 §4.2.3.1 (Generic Command Status Values)",
  ),
  s(
    0,
    0x0b,
    "INVALID_NAMESPACE",
    "Invalid Namespace or Format",
    "INVALID_NS",
    true,
    "Base 2.1 §4.2.3.1 (Generic Command Status Values)",
  ),
  s(
    0,
    0x0c,
    "COMMAND_SEQUENCE_ERROR",
    "Command Sequence Error",
    "CMD_SEQ_ERROR",
    true,
    "Base 2.1 §4.2.3.1 (Generic Command Status Values)",
  ),
  s(
    0,
    0x0d,
    "INVALID_SGL_SEGMENT_DESCRIPTOR",
    "Invalid SGL Segment Descriptor",
    "SGL_INVALID_LAST",
    true,
    "Base 2.1 §4.2.3.1 (Generic Command Status Values)",
  ),
  s(
    0,
    0x0e,
    "INVALID_SGL_DESCRIPTOR_COUNT",
    "Invalid Number of SGL Descriptors",
    "SGL_INVALID_COUNT",
    true,
    "Base 2.1 §4.2.3.1 (Generic Command Status Values)",
  ),
  s(
    0,
    0x0f,
    "DATA_SGL_LENGTH_INVALID",
    "Data SGL Length Invalid",
    "SGL_INVALID_DATA",
    true,
    "Base 2.1 §4.2.3.1 (Generic Command Status Values)",
  ),
  s(
    0,
    0x10,
    "METADATA_SGL_LENGTH_INVALID",
    "Metadata SGL Length Invalid",
    "SGL_INVALID_METADATA",
    true,
    "Base 2.1 §4.2.3.1 (Generic Command Status Values)",
  ),
  s(
    0,
    0x11,
    "SGL_DESCRIPTOR_TYPE_INVALID",
    "SGL Descriptor Type Invalid",
    "SGL_INVALID_TYPE",
    true,
    "Base 2.1 §4.2.3.1 (Generic Command Status Values)",
  ),
  s(
    0,
    0x12,
    "INVALID_CMB_USE",
    "Invalid Use of Controller Memory Buffer",
    "CMB_INVALID_USE",
    true,
    "Base 2.1 §4.2.3.1 (Generic Command Status Values)",
  ),
  s(
    0,
    0x13,
    "PRP_OFFSET_INVALID",
    "PRP Offset Invalid",
    "PRP_INVALID_OFFSET",
    true,
    "Base 2.1 §4.2.3.1 (Generic Command Status Values)",
  ),
  s(
    0,
    0x14,
    "ATOMIC_WRITE_UNIT_EXCEEDED",
    "Atomic Write Unit Exceeded",
    "AWU_EXCEEDED",
    true,
    "Base 2.1 §4.2.3.1 (Generic Command Status Values)",
  ),
  s(
    0,
    0x15,
    "OPERATION_DENIED",
    "Operation Denied",
    "OP_DENIED",
    true,
    "Base 2.1 §4.2.3.1 (Generic Command Status Values)",
  ),
  s(
    0,
    0x16,
    "SGL_OFFSET_INVALID",
    "SGL Offset Invalid",
    "SGL_INVALID_OFFSET",
    true,
    "Base 2.1 §4.2.3.1 (Generic Command Status Values)",
  ),
  s(
    0,
    0x18,
    "HOST_ID_INCONSISTENT_FORMAT",
    "Host Identifier Inconsistent Format",
    "HOSTID_FORMAT",
    true,
    "Base 2.1 §4.2.3.1 (Generic Command Status Values)",
  ),
  s(
    0,
    0x19,
    "KEEP_ALIVE_EXPIRED",
    "Keep Alive Timer Expired",
    "KAT_EXPIRED",
    false,
    "Base 2.1 §4.2.3.1 (Generic Command Status Values)",
  ),
  s(
    0,
    0x1a,
    "KEEP_ALIVE_TIMEOUT_INVALID",
    "Keep Alive Timeout Invalid",
    "KAT_INVALID",
    true,
    "Base 2.1 §4.2.3.1 (Generic Command Status Values)",
  ),
  s(
    0,
    0x1b,
    "ABORTED_PREEMPT_AND_ABORT",
    "Command Aborted due to Preempt and Abort",
    "CMD_ABORTED_PREMEPT",
    false,
    "Base 2.1 §4.2.3.1 (Generic Command Status Values)",
  ),
  s(
    0,
    0x1c,
    "SANITIZE_FAILED",
    "Sanitize Failed",
    "SANITIZE_FAILED",
    true,
    "Base 2.1 §4.2.3.1 (Generic Command Status Values)",
  ),
  s(
    0,
    0x1d,
    "SANITIZE_IN_PROGRESS",
    "Sanitize In Progress",
    "SANITIZE_IN_PROGRESS",
    false,
    "Base 2.1 §4.2.3.1 (Generic Command Status Values)",
  ),
  s(
    0,
    0x1e,
    "SGL_DATA_BLOCK_GRANULARITY_INVALID",
    "SGL Data Block Granularity Invalid",
    "SGL_INVALID_GRANULARITY",
    true,
    "Base 2.1 §4.2.3.1 (Generic Command Status Values)",
  ),
  s(
    0,
    0x1f,
    "NOT_SUPPORTED_FOR_QUEUE_IN_CMB",
    "Command Not Supported for Queue in CMB",
    "CMD_IN_CMBQ_NOT_SUPP",
    true,
    "Base 2.1 §4.2.3.1 (Generic Command Status Values)",
  ),
  s(
    0,
    0x20,
    "NAMESPACE_WRITE_PROTECTED",
    "Namespace is Write Protected",
    "NS_WRITE_PROTECTED",
    true,
    "Base 2.1 §4.2.3.1 (Generic Command Status Values)",
  ),
  s(
    0,
    0x21,
    "COMMAND_INTERRUPTED",
    "Command Interrupted",
    "CMD_INTERRUPTED",
    false,
    "Base 2.1 §4.2.3.1 (Generic Command Status Values)",
  ),
  s(
    0,
    0x22,
    "TRANSIENT_TRANSPORT_ERROR",
    "Transient Transport Error",
    "TRAN_TPORT_ERROR",
    false,
    "Base 2.1 §4.2.3.1 (Generic Command Status Values)",
  ),
  s(
    0,
    0x23,
    "PROHIBITED_BY_LOCKDOWN",
    "Command Prohibited by Command and Feature Lockdown",
    "PROHIBITED_BY_CMD_AND_FEAT",
    true,
    "Base 2.1 §4.2.3.1 (Generic Command Status Values)",
  ),
  s(
    0,
    0x24,
    "ADMIN_MEDIA_NOT_READY",
    "Admin Command Media Not Ready",
    "ADMIN_CMD_MEDIA_NOT_READY",
    false,
    "Base 2.1 §4.2.3.1 (Generic Command Status Values)",
  ),
  s(
    0,
    0x80,
    "LBA_OUT_OF_RANGE",
    "LBA Out of Range",
    "LBA_RANGE",
    true,
    "NVM CS 1.1 §3.2.3.1 (Generic Command Status, NVM command set)",
  ),
  s(
    0,
    0x81,
    "CAPACITY_EXCEEDED",
    "Capacity Exceeded",
    "CAP_EXCEEDED",
    true,
    "NVM CS 1.1 §3.2.3.1 (Generic Command Status, NVM command set)",
  ),
  s(
    0,
    0x82,
    "NAMESPACE_NOT_READY",
    "Namespace Not Ready",
    "NS_NOT_READY",
    false,
    "NVM CS 1.1 §3.2.3.1 (Generic Command Status, NVM command set)",
  ),
  s(
    0,
    0x83,
    "RESERVATION_CONFLICT",
    "Reservation Conflict",
    "RESERVATION_CONFLICT",
    true,
    "NVM CS 1.1 §3.2.3.1 (Generic Command Status, NVM command set)",
  ),
  s(
    0,
    0x84,
    "FORMAT_IN_PROGRESS",
    "Format In Progress",
    "FORMAT_IN_PROGRESS",
    false,
    "NVM CS 1.1 §3.2.3.1 (Generic Command Status, NVM command set)",
  ),
  s(
    1,
    0x00,
    "COMPLETION_QUEUE_INVALID",
    "Completion Queue Invalid",
    "CQ_INVALID",
    true,
    "Base 2.1 §4.2.3.2 (Command Specific Status Values)",
  ),
  s(
    1,
    0x01,
    "INVALID_QUEUE_IDENTIFIER",
    "Invalid Queue Identifier",
    "QID_INVALID",
    true,
    "Base 2.1 §4.2.3.2 (Command Specific Status Values)",
  ),
  s(
    1,
    0x02,
    "INVALID_QUEUE_SIZE",
    "Invalid Queue Size",
    "QUEUE_SIZE",
    true,
    "Base 2.1 §4.2.3.2 (Command Specific Status Values)",
  ),
  s(
    1,
    0x03,
    "ABORT_COMMAND_LIMIT_EXCEEDED",
    "Abort Command Limit Exceeded",
    "ABORT_LIMIT",
    false,
    "Base 2.1 §4.2.3.2 (Command Specific Status Values)",
  ),
  s(
    1,
    0x05,
    "ASYNC_EVENT_REQUEST_LIMIT_EXCEEDED",
    "Asynchronous Event Request Limit Exceeded",
    "ASYNC_LIMIT",
    true,
    "Base 2.1 §4.2.3.2 (Command Specific Status Values)",
  ),
  s(
    1,
    0x06,
    "INVALID_FIRMWARE_SLOT",
    "Invalid Firmware Slot",
    "FIRMWARE_SLOT",
    true,
    "Base 2.1 §4.2.3.2 (Command Specific Status Values)",
  ),
  s(
    1,
    0x07,
    "INVALID_FIRMWARE_IMAGE",
    "Invalid Firmware Image",
    "FIRMWARE_IMAGE",
    true,
    "Base 2.1 §4.2.3.2 (Command Specific Status Values)",
  ),
  s(
    1,
    0x08,
    "INVALID_INTERRUPT_VECTOR",
    "Invalid Interrupt Vector",
    "INVALID_VECTOR",
    true,
    "Base 2.1 §4.2.3.2 (Command Specific Status Values)",
  ),
  s(
    1,
    0x09,
    "INVALID_LOG_PAGE",
    "Invalid Log Page",
    "INVALID_LOG_PAGE",
    true,
    "Base 2.1 §4.2.3.2 (Command Specific Status Values)",
  ),
  s(
    1,
    0x0a,
    "INVALID_FORMAT",
    "Invalid Format",
    "INVALID_FORMAT",
    true,
    "Base 2.1 §4.2.3.2 (Command Specific Status Values)",
  ),
  s(
    1,
    0x0b,
    "FW_ACTIVATION_REQUIRES_CONVENTIONAL_RESET",
    "Firmware Activation Requires Conventional Reset",
    "FW_NEEDS_CONV_RESET",
    false,
    "Base 2.1 §4.2.3.2 (Command Specific Status Values)",
  ),
  s(
    1,
    0x0c,
    "INVALID_QUEUE_DELETION",
    "Invalid Queue Deletion",
    "INVALID_QUEUE",
    true,
    "Base 2.1 §4.2.3.2 (Command Specific Status Values)",
  ),
  s(
    1,
    0x0d,
    "FEATURE_NOT_SAVEABLE",
    "Feature Identifier Not Saveable",
    "FEATURE_NOT_SAVEABLE",
    true,
    "Base 2.1 §4.2.3.2 (Command Specific Status Values)",
  ),
  s(
    1,
    0x0e,
    "FEATURE_NOT_CHANGEABLE",
    "Feature Not Changeable",
    "FEATURE_NOT_CHANGEABLE",
    true,
    "Base 2.1 §4.2.3.2 (Command Specific Status Values)",
  ),
  s(
    1,
    0x0f,
    "FEATURE_NOT_NAMESPACE_SPECIFIC",
    "Feature Not Namespace Specific",
    "FEATURE_NOT_PER_NS",
    true,
    "Base 2.1 §4.2.3.2 (Command Specific Status Values)",
  ),
  s(
    1,
    0x10,
    "FW_ACTIVATION_REQUIRES_NSS_RESET",
    "Firmware Activation Requires NVM Subsystem Reset",
    "FW_NEEDS_SUBSYS_RESET",
    false,
    "Base 2.1 §4.2.3.2 (Command Specific Status Values)",
  ),
  s(
    1,
    0x11,
    "FW_ACTIVATION_REQUIRES_CONTROLLER_RESET",
    "Firmware Activation Requires Controller Level Reset",
    "FW_NEEDS_RESET",
    false,
    "Base 2.1 §4.2.3.2 (Command Specific Status Values)",
  ),
  s(
    1,
    0x12,
    "FW_ACTIVATION_REQUIRES_MAX_TIME_VIOLATION",
    "Firmware Activation Requires Maximum Time Violation",
    "FW_NEEDS_MAX_TIME",
    false,
    "Base 2.1 §4.2.3.2 (Command Specific Status Values)",
  ),
  s(
    1,
    0x13,
    "FW_ACTIVATION_PROHIBITED",
    "Firmware Activation Prohibited",
    "FW_ACTIVATE_PROHIBITED",
    true,
    "Base 2.1 §4.2.3.2 (Command Specific Status Values)",
  ),
  s(
    1,
    0x14,
    "OVERLAPPING_RANGE",
    "Overlapping Range",
    "OVERLAPPING_RANGE",
    true,
    "Base 2.1 §4.2.3.2 (Command Specific Status Values)",
  ),
  s(
    1,
    0x15,
    "NAMESPACE_INSUFFICIENT_CAPACITY",
    "Namespace Insufficient Capacity",
    "NS_INSUFFICIENT_CAP",
    true,
    "Base 2.1 §4.2.3.2 (Command Specific Status Values)",
  ),
  s(
    1,
    0x16,
    "NAMESPACE_ID_UNAVAILABLE",
    "Namespace Identifier Unavailable",
    "NS_ID_UNAVAILABLE",
    true,
    "Base 2.1 §4.2.3.2 (Command Specific Status Values)",
  ),
  s(
    1,
    0x18,
    "NAMESPACE_ALREADY_ATTACHED",
    "Namespace Already Attached",
    "NS_ALREADY_ATTACHED",
    true,
    "Base 2.1 §4.2.3.2 (Command Specific Status Values)",
  ),
  s(
    1,
    0x19,
    "NAMESPACE_IS_PRIVATE",
    "Namespace Is Private",
    "NS_IS_PRIVATE",
    true,
    "Base 2.1 §4.2.3.2 (Command Specific Status Values)",
  ),
  s(
    1,
    0x1a,
    "NAMESPACE_NOT_ATTACHED",
    "Namespace Not Attached",
    "NS_NOT_ATTACHED",
    true,
    "Base 2.1 §4.2.3.2 (Command Specific Status Values)",
  ),
  s(
    1,
    0x1b,
    "THIN_PROVISIONING_NOT_SUPPORTED",
    "Thin Provisioning Not Supported",
    "THIN_PROV_NOT_SUPP",
    true,
    "Base 2.1 §4.2.3.2 (Command Specific Status Values)",
  ),
  s(
    1,
    0x1c,
    "CONTROLLER_LIST_INVALID",
    "Controller List Invalid",
    "CTRL_LIST_INVALID",
    true,
    "Base 2.1 §4.2.3.2 (Command Specific Status Values)",
  ),
  s(
    1,
    0x1d,
    "SELF_TEST_IN_PROGRESS",
    "Device Self-test In Progress",
    "SELF_TEST_IN_PROGRESS",
    false,
    "Base 2.1 §4.2.3.2 (Command Specific Status Values)",
  ),
  s(
    1,
    0x1e,
    "BOOT_PARTITION_WRITE_PROHIBITED",
    "Boot Partition Write Prohibited",
    "BP_WRITE_PROHIBITED",
    true,
    "Base 2.1 §4.2.3.2 (Command Specific Status Values)",
  ),
  s(
    1,
    0x1f,
    "INVALID_CONTROLLER_ID",
    "Invalid Controller Identifier",
    "INVALID_CTRL_ID",
    true,
    "Base 2.1 §4.2.3.2 (Command Specific Status Values)",
  ),
  s(
    1,
    0x20,
    "INVALID_SECONDARY_CONTROLLER_STATE",
    "Invalid Secondary Controller State",
    "INVALID_SEC_CTRL_STATE",
    true,
    "Base 2.1 §4.2.3.2 (Command Specific Status Values)",
  ),
  s(
    1,
    0x21,
    "INVALID_CONTROLLER_RESOURCES",
    "Invalid Number of Controller Resources",
    "INVALID_CTRL_RESOURCES",
    true,
    "Base 2.1 §4.2.3.2 (Command Specific Status Values)",
  ),
  s(
    1,
    0x22,
    "INVALID_RESOURCE_ID",
    "Invalid Resource Identifier",
    "INVALID_RESOURCE_ID",
    true,
    "Base 2.1 §4.2.3.2 (Command Specific Status Values)",
  ),
  s(
    1,
    0x23,
    "SANITIZE_PROHIBITED_WITH_PMR",
    "Sanitize Prohibited While Persistent Memory Region is Enabled",
    "PMR_SAN_PROHIBITED",
    true,
    "Base 2.1 §4.2.3.2 (Command Specific Status Values)",
  ),
  s(
    1,
    0x24,
    "ANA_GROUP_ID_INVALID",
    "ANA Group Identifier Invalid",
    "ANA_GROUP_ID_INVALID",
    true,
    "Base 2.1 §4.2.3.2 (Command Specific Status Values)",
  ),
  s(
    1,
    0x25,
    "ANA_ATTACH_FAILED",
    "ANA Attach Failed",
    "ANA_ATTACH_FAILED",
    true,
    "Base 2.1 §4.2.3.2 (Command Specific Status Values)",
  ),
  s(
    1,
    0x26,
    "INSUFFICIENT_CAPACITY",
    "Insufficient Capacity",
    "INSUFFICIENT_CAP",
    true,
    "Base 2.1 §4.2.3.2 (Command Specific Status Values)",
  ),
  s(
    1,
    0x27,
    "NAMESPACE_ATTACHMENT_LIMIT_EXCEEDED",
    "Namespace Attachment Limit Exceeded",
    "NS_ATTACHMENT_LIMIT_EXCEEDED",
    true,
    "Base 2.1 §4.2.3.2 (Command Specific Status Values)",
  ),
  s(
    1,
    0x28,
    "PROHIBITION_NOT_SUPPORTED",
    "Prohibition of Command Execution Not Supported",
    "PROHIBIT_CMD_EXEC_NOT_SUPPORTED",
    true,
    "Base 2.1 §4.2.3.2 (Command Specific Status Values)",
  ),
  s(
    1,
    0x29,
    "IO_COMMAND_SET_NOT_SUPPORTED",
    "I/O Command Set Not Supported",
    "IOCS_NOT_SUPPORTED",
    true,
    "Base 2.1 §4.2.3.2 (Command Specific Status Values)",
  ),
  s(
    1,
    0x2a,
    "IO_COMMAND_SET_NOT_ENABLED",
    "I/O Command Set Not Enabled",
    "IOCS_NOT_ENABLED",
    true,
    "Base 2.1 §4.2.3.2 (Command Specific Status Values)",
  ),
  s(
    1,
    0x2b,
    "IO_COMMAND_SET_COMBINATION_REJECTED",
    "I/O Command Set Combination Rejected",
    "IOCS_COMBINATION_REJECTED",
    true,
    "Base 2.1 §4.2.3.2 (Command Specific Status Values)",
  ),
  s(
    1,
    0x2c,
    "INVALID_IO_COMMAND_SET",
    "Invalid I/O Command Set",
    "INVALID_IOCS",
    true,
    "Base 2.1 §4.2.3.2 (Command Specific Status Values)",
  ),
  s(
    1,
    0x2d,
    "IDENTIFIER_UNAVAILABLE",
    "Identifier Unavailable",
    "ID_UNAVAILABLE",
    true,
    "Base 2.1 §4.2.3.2 (Command Specific Status Values)",
  ),
  s(
    1,
    0x80,
    "CONFLICTING_ATTRIBUTES",
    "Conflicting Attributes",
    "BAD_ATTRIBUTES",
    true,
    "NVM CS 1.1 §3.2.3.2 (Command Specific Status, NVM command set)",
  ),
  s(
    1,
    0x81,
    "INVALID_PROTECTION_INFORMATION",
    "Invalid Protection Information",
    "INVALID_PI",
    true,
    "NVM CS 1.1 §3.2.3.2 (Command Specific Status, NVM command set)",
  ),
  s(
    1,
    0x82,
    "WRITE_TO_READ_ONLY_RANGE",
    "Attempted Write to Read Only Range",
    "READ_ONLY",
    true,
    "NVM CS 1.1 §3.2.3.2 (Command Specific Status, NVM command set)",
  ),
  s(
    1,
    0x83,
    "COMMAND_SIZE_LIMIT_EXCEEDED",
    "Command Size Limit Exceeded",
    "CMD_SIZE_LIMIT_EXCEEDED",
    true,
    "NVM CS 1.1 §3.2.3.2 (Command Specific Status, NVM command set)",
  ),
  s(
    2,
    0x80,
    "WRITE_FAULT",
    "Write Fault",
    "WRITE_FAULT",
    false,
    "NVM CS 1.1 §3.2.3.3 (Media and Data Integrity Errors)",
  ),
  s(
    2,
    0x81,
    "UNRECOVERED_READ_ERROR",
    "Unrecovered Read Error",
    "READ_ERROR",
    false,
    "NVM CS 1.1 §3.2.3.3 (Media and Data Integrity Errors)",
  ),
  s(
    2,
    0x82,
    "GUARD_CHECK_ERROR",
    "End-to-end Guard Check Error",
    "GUARD_CHECK",
    true,
    "NVM CS 1.1 §3.2.3.3 (Media and Data Integrity Errors)",
  ),
  s(
    2,
    0x83,
    "APPLICATION_TAG_CHECK_ERROR",
    "End-to-end Application Tag Check Error",
    "APPTAG_CHECK",
    true,
    "NVM CS 1.1 §3.2.3.3 (Media and Data Integrity Errors)",
  ),
  s(
    2,
    0x84,
    "REFERENCE_TAG_CHECK_ERROR",
    "End-to-end Reference Tag Check Error",
    "REFTAG_CHECK",
    true,
    "NVM CS 1.1 §3.2.3.3 (Media and Data Integrity Errors)",
  ),
  s(
    2,
    0x85,
    "COMPARE_FAILURE",
    "Compare Failure",
    "COMPARE_FAILED",
    true,
    "NVM CS 1.1 §3.2.3.3 (Media and Data Integrity Errors)",
  ),
  s(
    2,
    0x86,
    "ACCESS_DENIED",
    "Access Denied",
    "ACCESS_DENIED",
    true,
    "Base 2.1 §4.2.3.3 (Media and Data Integrity Errors)",
  ),
  s(
    2,
    0x87,
    "DEALLOCATED_OR_UNWRITTEN_BLOCK",
    "Deallocated or Unwritten Logical Block",
    "UNWRITTEN_BLOCK",
    true,
    "NVM CS 1.1 §3.2.3.3 (Media and Data Integrity Errors)",
  ),
  s(
    2,
    0x88,
    "STORAGE_TAG_CHECK_ERROR",
    "End-to-End Storage Tag Check Error",
    "STORAGE_TAG_CHECK",
    true,
    "NVM CS 1.1 §3.2.3.3 (Media and Data Integrity Errors)",
  ),
  s(
    3,
    0x00,
    "INTERNAL_PATH_ERROR",
    "Internal Path Error",
    "ANA_INTERNAL_PATH_ERROR",
    false,
    "Base 2.1 §4.2.3.4 (Path Related Status)",
  ),
  s(
    3,
    0x01,
    "ASYMMETRIC_ACCESS_PERSISTENT_LOSS",
    "Asymmetric Access Persistent Loss",
    "ANA_PERSISTENT_LOSS",
    true,
    "Base 2.1 §4.2.3.4 (Path Related Status)",
  ),
  s(
    3,
    0x02,
    "ASYMMETRIC_ACCESS_INACCESSIBLE",
    "Asymmetric Access Inaccessible",
    "ANA_INACCESSIBLE",
    false,
    "Base 2.1 §4.2.3.4 (Path Related Status)",
  ),
  s(
    3,
    0x03,
    "ASYMMETRIC_ACCESS_TRANSITION",
    "Asymmetric Access Transition",
    "ANA_TRANSITION",
    false,
    "Base 2.1 §4.2.3.4 (Path Related Status)",
  ),
  s(
    3,
    0x60,
    "CONTROLLER_PATHING_ERROR",
    "Controller Pathing Error",
    "CTRL_PATH_ERROR",
    false,
    "Base 2.1 §4.2.3.4 (Path Related Status)",
  ),
  s(
    3,
    0x70,
    "HOST_PATHING_ERROR",
    "Host Pathing Error",
    "HOST_PATH_ERROR",
    false,
    "Base 2.1 §4.2.3.4 (Path Related Status)",
  ),
  s(
    3,
    0x71,
    "ABORTED_BY_HOST",
    "Command Aborted By Host",
    "CMD_ABORTED_BY_HOST",
    false,
    "Base 2.1 §4.2.3.4 (Path Related Status)",
  ),
]);

/** Status values `SCT << 8 | SC` by constant name. */
export const Status = {
  /** Successful Completion (SCT 0h, SC 00h). */
  SUCCESS: 0x000,
  /** Invalid Command Opcode (SCT 0h, SC 01h). */
  INVALID_OPCODE: 0x001,
  /** Invalid Field in Command (SCT 0h, SC 02h). */
  INVALID_FIELD: 0x002,
  /** Command ID Conflict (SCT 0h, SC 03h). */
  CID_CONFLICT: 0x003,
  /** Data Transfer Error (SCT 0h, SC 04h). */
  DATA_TRANSFER_ERROR: 0x004,
  /** Commands Aborted due to Power Loss Notification (SCT 0h, SC 05h). */
  ABORTED_POWER_LOSS: 0x005,
  /** Internal Error (SCT 0h, SC 06h). */
  INTERNAL_ERROR: 0x006,
  /** Command Abort Requested (SCT 0h, SC 07h). */
  ABORT_REQUESTED: 0x007,
  /** Command Aborted due to SQ Deletion (SCT 0h, SC 08h). */
  ABORTED_SQ_DELETION: 0x008,
  /** Command Aborted due to Failed Fused Command (SCT 0h, SC 09h). */
  ABORTED_FUSED_FAIL: 0x009,
  /** Command Aborted due to Missing Fused Command (SCT 0h, SC 0Ah). */
  ABORTED_FUSED_MISSING: 0x00a,
  /** Invalid Namespace or Format (SCT 0h, SC 0Bh). */
  INVALID_NAMESPACE: 0x00b,
  /** Command Sequence Error (SCT 0h, SC 0Ch). */
  COMMAND_SEQUENCE_ERROR: 0x00c,
  /** Invalid SGL Segment Descriptor (SCT 0h, SC 0Dh). */
  INVALID_SGL_SEGMENT_DESCRIPTOR: 0x00d,
  /** Invalid Number of SGL Descriptors (SCT 0h, SC 0Eh). */
  INVALID_SGL_DESCRIPTOR_COUNT: 0x00e,
  /** Data SGL Length Invalid (SCT 0h, SC 0Fh). */
  DATA_SGL_LENGTH_INVALID: 0x00f,
  /** Metadata SGL Length Invalid (SCT 0h, SC 10h). */
  METADATA_SGL_LENGTH_INVALID: 0x010,
  /** SGL Descriptor Type Invalid (SCT 0h, SC 11h). */
  SGL_DESCRIPTOR_TYPE_INVALID: 0x011,
  /** Invalid Use of Controller Memory Buffer (SCT 0h, SC 12h). */
  INVALID_CMB_USE: 0x012,
  /** PRP Offset Invalid (SCT 0h, SC 13h). */
  PRP_OFFSET_INVALID: 0x013,
  /** Atomic Write Unit Exceeded (SCT 0h, SC 14h). */
  ATOMIC_WRITE_UNIT_EXCEEDED: 0x014,
  /** Operation Denied (SCT 0h, SC 15h). */
  OPERATION_DENIED: 0x015,
  /** SGL Offset Invalid (SCT 0h, SC 16h). */
  SGL_OFFSET_INVALID: 0x016,
  /** Host Identifier Inconsistent Format (SCT 0h, SC 18h). */
  HOST_ID_INCONSISTENT_FORMAT: 0x018,
  /** Keep Alive Timer Expired (SCT 0h, SC 19h). */
  KEEP_ALIVE_EXPIRED: 0x019,
  /** Keep Alive Timeout Invalid (SCT 0h, SC 1Ah). */
  KEEP_ALIVE_TIMEOUT_INVALID: 0x01a,
  /** Command Aborted due to Preempt and Abort (SCT 0h, SC 1Bh). */
  ABORTED_PREEMPT_AND_ABORT: 0x01b,
  /** Sanitize Failed (SCT 0h, SC 1Ch). */
  SANITIZE_FAILED: 0x01c,
  /** Sanitize In Progress (SCT 0h, SC 1Dh). */
  SANITIZE_IN_PROGRESS: 0x01d,
  /** SGL Data Block Granularity Invalid (SCT 0h, SC 1Eh). */
  SGL_DATA_BLOCK_GRANULARITY_INVALID: 0x01e,
  /** Command Not Supported for Queue in CMB (SCT 0h, SC 1Fh). */
  NOT_SUPPORTED_FOR_QUEUE_IN_CMB: 0x01f,
  /** Namespace is Write Protected (SCT 0h, SC 20h). */
  NAMESPACE_WRITE_PROTECTED: 0x020,
  /** Command Interrupted (SCT 0h, SC 21h). */
  COMMAND_INTERRUPTED: 0x021,
  /** Transient Transport Error (SCT 0h, SC 22h). */
  TRANSIENT_TRANSPORT_ERROR: 0x022,
  /** Command Prohibited by Command and Feature Lockdown (SCT 0h, SC 23h). */
  PROHIBITED_BY_LOCKDOWN: 0x023,
  /** Admin Command Media Not Ready (SCT 0h, SC 24h). */
  ADMIN_MEDIA_NOT_READY: 0x024,
  /** LBA Out of Range (SCT 0h, SC 80h). */
  LBA_OUT_OF_RANGE: 0x080,
  /** Capacity Exceeded (SCT 0h, SC 81h). */
  CAPACITY_EXCEEDED: 0x081,
  /** Namespace Not Ready (SCT 0h, SC 82h). */
  NAMESPACE_NOT_READY: 0x082,
  /** Reservation Conflict (SCT 0h, SC 83h). */
  RESERVATION_CONFLICT: 0x083,
  /** Format In Progress (SCT 0h, SC 84h). */
  FORMAT_IN_PROGRESS: 0x084,
  /** Completion Queue Invalid (SCT 1h, SC 00h). */
  COMPLETION_QUEUE_INVALID: 0x100,
  /** Invalid Queue Identifier (SCT 1h, SC 01h). */
  INVALID_QUEUE_IDENTIFIER: 0x101,
  /** Invalid Queue Size (SCT 1h, SC 02h). */
  INVALID_QUEUE_SIZE: 0x102,
  /** Abort Command Limit Exceeded (SCT 1h, SC 03h). */
  ABORT_COMMAND_LIMIT_EXCEEDED: 0x103,
  /** Asynchronous Event Request Limit Exceeded (SCT 1h, SC 05h). */
  ASYNC_EVENT_REQUEST_LIMIT_EXCEEDED: 0x105,
  /** Invalid Firmware Slot (SCT 1h, SC 06h). */
  INVALID_FIRMWARE_SLOT: 0x106,
  /** Invalid Firmware Image (SCT 1h, SC 07h). */
  INVALID_FIRMWARE_IMAGE: 0x107,
  /** Invalid Interrupt Vector (SCT 1h, SC 08h). */
  INVALID_INTERRUPT_VECTOR: 0x108,
  /** Invalid Log Page (SCT 1h, SC 09h). */
  INVALID_LOG_PAGE: 0x109,
  /** Invalid Format (SCT 1h, SC 0Ah). */
  INVALID_FORMAT: 0x10a,
  /** Firmware Activation Requires Conventional Reset (SCT 1h, SC 0Bh). */
  FW_ACTIVATION_REQUIRES_CONVENTIONAL_RESET: 0x10b,
  /** Invalid Queue Deletion (SCT 1h, SC 0Ch). */
  INVALID_QUEUE_DELETION: 0x10c,
  /** Feature Identifier Not Saveable (SCT 1h, SC 0Dh). */
  FEATURE_NOT_SAVEABLE: 0x10d,
  /** Feature Not Changeable (SCT 1h, SC 0Eh). */
  FEATURE_NOT_CHANGEABLE: 0x10e,
  /** Feature Not Namespace Specific (SCT 1h, SC 0Fh). */
  FEATURE_NOT_NAMESPACE_SPECIFIC: 0x10f,
  /** Firmware Activation Requires NVM Subsystem Reset (SCT 1h, SC 10h). */
  FW_ACTIVATION_REQUIRES_NSS_RESET: 0x110,
  /** Firmware Activation Requires Controller Level Reset (SCT 1h, SC 11h). */
  FW_ACTIVATION_REQUIRES_CONTROLLER_RESET: 0x111,
  /** Firmware Activation Requires Maximum Time Violation (SCT 1h, SC 12h). */
  FW_ACTIVATION_REQUIRES_MAX_TIME_VIOLATION: 0x112,
  /** Firmware Activation Prohibited (SCT 1h, SC 13h). */
  FW_ACTIVATION_PROHIBITED: 0x113,
  /** Overlapping Range (SCT 1h, SC 14h). */
  OVERLAPPING_RANGE: 0x114,
  /** Namespace Insufficient Capacity (SCT 1h, SC 15h). */
  NAMESPACE_INSUFFICIENT_CAPACITY: 0x115,
  /** Namespace Identifier Unavailable (SCT 1h, SC 16h). */
  NAMESPACE_ID_UNAVAILABLE: 0x116,
  /** Namespace Already Attached (SCT 1h, SC 18h). */
  NAMESPACE_ALREADY_ATTACHED: 0x118,
  /** Namespace Is Private (SCT 1h, SC 19h). */
  NAMESPACE_IS_PRIVATE: 0x119,
  /** Namespace Not Attached (SCT 1h, SC 1Ah). */
  NAMESPACE_NOT_ATTACHED: 0x11a,
  /** Thin Provisioning Not Supported (SCT 1h, SC 1Bh). */
  THIN_PROVISIONING_NOT_SUPPORTED: 0x11b,
  /** Controller List Invalid (SCT 1h, SC 1Ch). */
  CONTROLLER_LIST_INVALID: 0x11c,
  /** Device Self-test In Progress (SCT 1h, SC 1Dh). */
  SELF_TEST_IN_PROGRESS: 0x11d,
  /** Boot Partition Write Prohibited (SCT 1h, SC 1Eh). */
  BOOT_PARTITION_WRITE_PROHIBITED: 0x11e,
  /** Invalid Controller Identifier (SCT 1h, SC 1Fh). */
  INVALID_CONTROLLER_ID: 0x11f,
  /** Invalid Secondary Controller State (SCT 1h, SC 20h). */
  INVALID_SECONDARY_CONTROLLER_STATE: 0x120,
  /** Invalid Number of Controller Resources (SCT 1h, SC 21h). */
  INVALID_CONTROLLER_RESOURCES: 0x121,
  /** Invalid Resource Identifier (SCT 1h, SC 22h). */
  INVALID_RESOURCE_ID: 0x122,
  /** Sanitize Prohibited While Persistent Memory Region is Enabled (SCT 1h, SC 23h). */
  SANITIZE_PROHIBITED_WITH_PMR: 0x123,
  /** ANA Group Identifier Invalid (SCT 1h, SC 24h). */
  ANA_GROUP_ID_INVALID: 0x124,
  /** ANA Attach Failed (SCT 1h, SC 25h). */
  ANA_ATTACH_FAILED: 0x125,
  /** Insufficient Capacity (SCT 1h, SC 26h). */
  INSUFFICIENT_CAPACITY: 0x126,
  /** Namespace Attachment Limit Exceeded (SCT 1h, SC 27h). */
  NAMESPACE_ATTACHMENT_LIMIT_EXCEEDED: 0x127,
  /** Prohibition of Command Execution Not Supported (SCT 1h, SC 28h). */
  PROHIBITION_NOT_SUPPORTED: 0x128,
  /** I/O Command Set Not Supported (SCT 1h, SC 29h). */
  IO_COMMAND_SET_NOT_SUPPORTED: 0x129,
  /** I/O Command Set Not Enabled (SCT 1h, SC 2Ah). */
  IO_COMMAND_SET_NOT_ENABLED: 0x12a,
  /** I/O Command Set Combination Rejected (SCT 1h, SC 2Bh). */
  IO_COMMAND_SET_COMBINATION_REJECTED: 0x12b,
  /** Invalid I/O Command Set (SCT 1h, SC 2Ch). */
  INVALID_IO_COMMAND_SET: 0x12c,
  /** Identifier Unavailable (SCT 1h, SC 2Dh). */
  IDENTIFIER_UNAVAILABLE: 0x12d,
  /** Conflicting Attributes (SCT 1h, SC 80h). */
  CONFLICTING_ATTRIBUTES: 0x180,
  /** Invalid Protection Information (SCT 1h, SC 81h). */
  INVALID_PROTECTION_INFORMATION: 0x181,
  /** Attempted Write to Read Only Range (SCT 1h, SC 82h). */
  WRITE_TO_READ_ONLY_RANGE: 0x182,
  /** Command Size Limit Exceeded (SCT 1h, SC 83h). */
  COMMAND_SIZE_LIMIT_EXCEEDED: 0x183,
  /** Write Fault (SCT 2h, SC 80h). */
  WRITE_FAULT: 0x280,
  /** Unrecovered Read Error (SCT 2h, SC 81h). */
  UNRECOVERED_READ_ERROR: 0x281,
  /** End-to-end Guard Check Error (SCT 2h, SC 82h). */
  GUARD_CHECK_ERROR: 0x282,
  /** End-to-end Application Tag Check Error (SCT 2h, SC 83h). */
  APPLICATION_TAG_CHECK_ERROR: 0x283,
  /** End-to-end Reference Tag Check Error (SCT 2h, SC 84h). */
  REFERENCE_TAG_CHECK_ERROR: 0x284,
  /** Compare Failure (SCT 2h, SC 85h). */
  COMPARE_FAILURE: 0x285,
  /** Access Denied (SCT 2h, SC 86h). */
  ACCESS_DENIED: 0x286,
  /** Deallocated or Unwritten Logical Block (SCT 2h, SC 87h). */
  DEALLOCATED_OR_UNWRITTEN_BLOCK: 0x287,
  /** End-to-End Storage Tag Check Error (SCT 2h, SC 88h). */
  STORAGE_TAG_CHECK_ERROR: 0x288,
  /** Internal Path Error (SCT 3h, SC 00h). */
  INTERNAL_PATH_ERROR: 0x300,
  /** Asymmetric Access Persistent Loss (SCT 3h, SC 01h). */
  ASYMMETRIC_ACCESS_PERSISTENT_LOSS: 0x301,
  /** Asymmetric Access Inaccessible (SCT 3h, SC 02h). */
  ASYMMETRIC_ACCESS_INACCESSIBLE: 0x302,
  /** Asymmetric Access Transition (SCT 3h, SC 03h). */
  ASYMMETRIC_ACCESS_TRANSITION: 0x303,
  /** Controller Pathing Error (SCT 3h, SC 60h). */
  CONTROLLER_PATHING_ERROR: 0x360,
  /** Host Pathing Error (SCT 3h, SC 70h). */
  HOST_PATHING_ERROR: 0x370,
  /** Command Aborted By Host (SCT 3h, SC 71h). */
  ABORTED_BY_HOST: 0x371,
} as const;

/** A status value `SCT << 8 | SC`. */
export type StatusValue = (typeof Status)[keyof typeof Status];

/** The SCT and SC bits of a status value (`SCT << 8 | SC`): non-zero means the command failed. */
export const STATUS_CODE_MASK = 0x7ff;

const BY_VALUE: ReadonlyMap<number, StatusInfo> = new Map(STATUS_CODES.map((i) => [i.value, i]));

/** Looks up a status by `SCT << 8 | SC`; undefined for reserved or vendor-specific values. */
export function statusInfo(value: number): StatusInfo | undefined {
  return BY_VALUE.get(value & STATUS_CODE_MASK);
}

/** A readable name for `SCT << 8 | SC`, e.g. "Invalid Field in Command" or "SCT 7h SC 12h". */
export function statusName(value: number): string {
  const info = statusInfo(value);
  if (info) return info.name;
  const sct = (value >>> 8) & 7;
  const sc = value & 0xff;
  return `SCT ${sct.toString(16).toUpperCase()}h SC ${
    sc.toString(16).toUpperCase().padStart(2, "0")
  }h`;
}

/** `SCT << 8 | SC` from its parts. */
export function statusOf(sct: number, sc: number): number {
  return ((sct & 7) << 8) | (sc & 0xff);
}

/** The Do Not Retry bit in a 15-bit status value (`DNR << 14`). */
export const STATUS_DNR = 1 << 14;

/**
 * `status` (`SCT << 8 | SC`) with DNR set when the table says a retry cannot succeed; success and
 * unknown codes are returned unchanged. The one place a controller derives DNR from the table.
 *
 * @example
 * ```ts
 * import { Status, STATUS_DNR, withTableDnr } from "./status.ts";
 * if (withTableDnr(Status.PRP_OFFSET_INVALID) !== (Status.PRP_OFFSET_INVALID | STATUS_DNR)) throw 0;
 * if (withTableDnr(Status.DATA_TRANSFER_ERROR) !== Status.DATA_TRANSFER_ERROR) throw 0;
 * ```
 */
export function withTableDnr(status: number): number {
  return status !== 0 && statusInfo(status)?.dnr ? status | STATUS_DNR : status;
}
