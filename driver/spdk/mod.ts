/**
 * The SPDK-like driver model (poll-only, one flat PRP list per tracker, SGLs with no threshold,
 * SPDK's inclusive `need_event`, application-driven recovery). A driver-model module: it exports
 * {@linkcode createDriver}. Options and their defaults are in options.ts.
 *
 * @example
 * ```ts
 * import { Machine } from "../../platform/machine.ts";
 * import { NvmeController } from "../../controller/controller.ts";
 * import { createDriver } from "./mod.ts";
 * const host = new Machine().attach(new NvmeController());
 * const driver = createDriver(host, { ioQueues: 2, ioQueueSize: 64 });
 * const info = driver.bringUp();
 * if (info.ioQueues.length !== 2 || info.ioQueues[0].depth !== 64) throw new Error();
 * driver.shutdown();
 * ```
 *
 * @module
 */

import type { DriverFactory, DriverModel } from "../model.ts";
import type { HostPort } from "../../platform/ports.ts";
import { SpdkDriver } from "./driver.ts";

export { SpdkDriver } from "./driver.ts";
export {
  DEFAULT_SPDK_OPTIONS,
  resolveSpdkOptions,
  type SpdkDriverOptions,
  type SpdkTimeoutCallback,
  type SpdkTimeoutEvent,
} from "./options.ts";

/** The factory: validates the options (DriverError on a bad one) and builds the driver. */
export const createDriver: DriverFactory = (
  host: HostPort,
  options?: Readonly<Record<string, unknown>>,
): DriverModel => new SpdkDriver(host, options);
export type { QueuePair } from "./qpair.ts";
