/**
 * The Commands Supported and Effects log page (Log Identifier 05h, Base 2.1 §5.1.12.1.6): one
 * 32-bit entry per opcode for the Admin commands and for the I/O commands of the selected command
 * set, describing whether the command is supported and what it may change.
 *
 * @module
 */

import { defineStruct, type Layout, rsvd, uints } from "./struct.ts";
import type { CommandsSupportedEffectsLogValue } from "./value_types.ts";

/** Size of the Commands Supported and Effects log page in bytes. */
export const CMD_EFFECTS_LOG_SIZE = 4096;

/** Entries per table: one per 8-bit opcode. */
export const CMD_EFFECTS_ENTRIES = 256;

/**
 * Commands Supported and Effects log page (Base 2.1 §5.1.12.1.6): libnvme
 * `struct nvme_cmd_effects_log`. `acs[opcode]` is the Admin command entry, `iocs[opcode]` the I/O
 * command entry; see {@linkcode CmdEffects} for the entry bits.
 */
export const CommandsSupportedEffectsLog: Layout<CommandsSupportedEffectsLogValue> = defineStruct(
  "CommandsSupportedEffectsLog",
  CMD_EFFECTS_LOG_SIZE,
  [
    uints("acs", 0, CMD_EFFECTS_ENTRIES, 4),
    uints("iocs", 1024, CMD_EFFECTS_ENTRIES, 4),
    rsvd(2048, 2048),
  ],
  {
    section: "Base 2.1 §5.1.12.1.6 (Commands Supported and Effects log page)",
    libnvme: "nvme_cmd_effects_log",
  },
);

/** Fields of a Commands Supported and Effects entry (bit positions and inclusive ranges). */
export const CmdEffects = {
  /** Bit: Command Supported. */
  CSUPP: 0,
  /** Bit: Logical Block Content Change. */
  LBCC: 1,
  /** Bit: Namespace Capability Change. */
  NCC: 2,
  /** Bit: Namespace Inventory Change. */
  NIC: 3,
  /** Bit: Controller Capability Change. */
  CCC: 4,
  /** Bits 15:14: Command Submission and Execution Relaxations. */
  CSER: [14, 15] as const,
  /** Bits 18:16: Command Submission and Execution, see {@linkcode Cse}. */
  CSE: [16, 18] as const,
  /** Bit: UUID Selection Supported. */
  USS: 19,
  /** Bits 31:20: Command Scope, see {@linkcode CommandScope}. */
  CSP: [20, 31] as const,
} as const;

/** Values of the CSE field. */
export const Cse = {
  /** No command submission or execution restriction. */
  NONE: 0,
  /** Submit only when no other command to the same namespace is outstanding. */
  SAME_NAMESPACE: 1,
  /** Submit only when no other command to any namespace is outstanding. */
  ANY_NAMESPACE: 2,
} as const;

/** Bit positions inside the CSP field (relative to bit 20 of the entry). */
export const CommandScope = {
  /** Namespace scope. */
  NAMESPACE: 0,
  /** Controller scope. */
  CONTROLLER: 1,
  /** NVM Set scope. */
  NVM_SET: 2,
  /** Endurance Group scope. */
  ENDURANCE_GROUP: 3,
  /** Domain scope. */
  DOMAIN: 4,
  /** NVM subsystem scope. */
  NVM_SUBSYSTEM: 5,
} as const;
