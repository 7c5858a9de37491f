/**
 * The admin command table: opcode → handler. A missing opcode is Invalid Command Opcode.
 *
 * @module
 */

import { AdminOpcode } from "../spec/opcodes.ts";
import type { CommandHandler } from "./controller.ts";
import { getFeatures, setFeatures } from "./admin_features.ts";
import { identify } from "./admin_identify.ts";
import { abort, asyncEventRequest, keepAlive } from "./admin_misc.ts";
import { createIoCq, createIoSq, deleteIoCq, deleteIoSq } from "./admin_queues.ts";
import { getLogPage } from "./admin_log_pages.ts";
import { doorbellBufferConfig } from "./admin_dbbuf.ts";
import { formatNvm, namespaceAttachment, namespaceManagement } from "./admin_namespaces.ts";

/** Admin handlers by opcode. */
export const ADMIN_HANDLERS: ReadonlyMap<number, CommandHandler> = new Map<number, CommandHandler>([
  [AdminOpcode.DELETE_IO_SQ, deleteIoSq],
  [AdminOpcode.CREATE_IO_SQ, createIoSq],
  [AdminOpcode.DELETE_IO_CQ, deleteIoCq],
  [AdminOpcode.CREATE_IO_CQ, createIoCq],
  [AdminOpcode.IDENTIFY, identify],
  [AdminOpcode.ABORT, abort],
  [AdminOpcode.SET_FEATURES, setFeatures],
  [AdminOpcode.GET_FEATURES, getFeatures],
  [AdminOpcode.ASYNC_EVENT_REQUEST, asyncEventRequest],
  [AdminOpcode.KEEP_ALIVE, keepAlive],
  [AdminOpcode.GET_LOG_PAGE, getLogPage],
  [AdminOpcode.NS_MANAGEMENT, namespaceManagement],
  [AdminOpcode.NS_ATTACHMENT, namespaceAttachment],
  [AdminOpcode.FORMAT_NVM, formatNvm],
  [AdminOpcode.DOORBELL_BUFFER_CONFIG, doorbellBufferConfig],
]);
