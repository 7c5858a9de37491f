/**
 * The Linux-like driver model: `createDriver(host, options)` (see `driver.ts`), its options
 * (Linux module parameters) and the pieces tests and tools look at.
 *
 * @example
 * ```ts
 * import { createDriver, DEFAULT_LINUX_OPTIONS } from "./mod.ts";
 * if (DEFAULT_LINUX_OPTIONS.ioQueueDepth !== 1024 || typeof createDriver !== "function") {
 *   throw new Error();
 * }
 * ```
 *
 * @module
 */

export * from "./driver.ts";
export * from "./options.ts";
export { ADMIN_QUEUE_DEPTH, AER_CID, type DriverLogEntry, type LinuxCtrlState } from "./core.ts";
export { CTRL_PAGE_SIZE, PRPS_PER_PAGE, SMALL_POOL_SIZE } from "./data_mapping.ts";
