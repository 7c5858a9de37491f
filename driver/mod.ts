/**
 * driver/: host drivers and what sits on them — the driver-model interface third parties
 * implement (`model.ts`), the Linux-like driver (`linux`), the SPDK-like driver (`spdk`), a
 * block-device API and a verifying workload that work with any driver model, and the registry
 * that resolves `--driver` names and modules.
 *
 * @example
 * ```ts
 * import { Machine } from "../platform/mod.ts";
 * import { NvmeController } from "../controller/mod.ts";
 * import { BlockDevice, linux } from "./mod.ts";
 * const host = new Machine().attach(new NvmeController());
 * const driver = linux.createDriver(host);
 * driver.bringUp();
 * const disk = new BlockDevice(host, driver);
 * if (disk.read(0, 1).length !== disk.blockSize) throw new Error();
 * ```
 *
 * @module
 */

export * from "./model.ts";
export * from "./block_device.ts";
export * from "./workload.ts";
export * from "./registry.ts";
export * as linux from "./linux/mod.ts";
export * as spdk from "./spdk/mod.ts";
