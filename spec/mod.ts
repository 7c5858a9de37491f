/**
 * The shared typed NVMe spec (NVMe Base 2.1, NVM Command Set 1.1, PCIe Transport 1.1): field
 * tables with derived codecs for every structure, register and command; status codes; opcodes;
 * features; asynchronous events; and the pure arithmetic of queues, doorbells, EventIdx and
 * command identifiers. Both the reference controller and the host drivers build on this module;
 * neither owns it.
 *
 * @example Decode a completion queue entry
 * ```ts
 * import { CompletionQueueEntry, Status, statusName } from "./mod.ts";
 * const cqe = CompletionQueueEntry.decode(
 *   new Uint8Array([0, 0, 0, 0, 0, 0, 0, 0, 3, 0, 1, 0, 7, 0, 0x03, 0x82]),
 * );
 * if (cqe.sqhd !== 3 || cqe.cid !== 7 || cqe.p !== 1) throw new Error();
 * const value = cqe.sct << 8 | cqe.sc;
 * if (value !== Status.INVALID_QUEUE_IDENTIFIER || !cqe.dnr) throw new Error();
 * if (statusName(value) !== "Invalid Queue Identifier") throw new Error();
 * ```
 *
 * @module
 */

export * from "./struct.ts";
export type * from "./value_types.ts";
export * from "./registers.ts";
export * from "./sqe.ts";
export * from "./cqe.ts";
export * from "./sgl.ts";
export * from "./status.ts";
export * from "./opcodes.ts";
export * from "./admin_commands.ts";
export * from "./nvm_commands.ts";
export * from "./features.ts";
export * from "./async_events.ts";
export * from "./identify_controller.ts";
export * from "./identify_namespace.ts";
export * from "./ns_descriptors.ts";
export * from "./ns_list.ts";
export * from "./log_page_ids.ts";
export * from "./error_log.ts";
export * from "./smart_log.ts";
export * from "./fw_slot_log.ts";
export * from "./cmd_effects_log.ts";
export * from "./doorbell.ts";
export * from "./ring.ts";
export * from "./command_id.ts";
export * from "./catalog.ts";
