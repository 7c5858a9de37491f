/**
 * The reference NVMe controller: a strict, documented model of an NVM subsystem's controller,
 * attached to the simulated machine as an `NvmeFunction`. Build one with options (every value has
 * a documented default), optionally sharing an {@linkcode NvmSubsystem} between controllers.
 *
 * @example One controller, default namespace (1 GiB, 512-byte blocks)
 * ```ts
 * import { Machine } from "../platform/mod.ts";
 * import { NvmeController } from "./mod.ts";
 * const machine = new Machine();
 * const host = machine.attach(new NvmeController({ mqes: 1023 }));
 * if ((host.read32(0x00) & 0xffff) !== 1023) throw new Error("CAP.MQES");
 * ```
 *
 * @module
 */

export * from "./controller.ts";
export * from "./options.ts";
export * from "./rules.ts";
export * from "./subsystem.ts";
export * from "./namespace.ts";
export * from "./media.ts";
export * from "./latency.ts";
export * from "./changed_ns_log.ts";
export * from "./queue_engine.ts";
export * from "./controller_lifecycle.ts";
export * from "./doorbell_engine.ts";
export * from "./request.ts";
export * from "./data_transfer.ts";
export * from "./queues.ts";
export * from "./async_events.ts";
export * from "./arbitration.ts";
export * from "./interrupts.ts";
export * from "./shadow_doorbells.ts";
export * from "./register_file.ts";
export * from "./doorbells.ts";
export * from "./prp_walker.ts";
export * from "./sgl_walker.ts";
export * from "./mutants.ts";
export * from "./thermal.ts";
export * from "./keep_alive.ts";
