/**
 * The NVM I/O command table: opcode → handler. A missing opcode is Invalid Command Opcode.
 *
 * @module
 */

import { NvmOpcode } from "../spec/opcodes.ts";
import type { CommandHandler } from "./controller.ts";
import {
  compare,
  datasetManagement,
  flush,
  read,
  verify,
  write,
  writeUncorrectable,
  writeZeroes,
} from "./nvm_io.ts";
import { copy } from "./nvm_copy.ts";

/** NVM I/O handlers by opcode. */
export const IO_HANDLERS: ReadonlyMap<number, CommandHandler> = new Map<number, CommandHandler>([
  [NvmOpcode.FLUSH, flush],
  [NvmOpcode.WRITE, write],
  [NvmOpcode.READ, read],
  [NvmOpcode.WRITE_UNCORRECTABLE, writeUncorrectable],
  [NvmOpcode.COMPARE, compare],
  [NvmOpcode.WRITE_ZEROES, writeZeroes],
  [NvmOpcode.DATASET_MANAGEMENT, datasetManagement],
  [NvmOpcode.VERIFY, verify],
  [NvmOpcode.COPY, copy],
]);
