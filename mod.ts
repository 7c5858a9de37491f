/**
 * nvme-harness: a typed NVMe spec and a simulated PCIe machine for testing NVMe drivers and
 * controllers in virtual time.
 *
 * - `spec/`: every NVMe structure as a field table with a derived codec, status codes, opcodes,
 *   features, and the pure arithmetic of queues, doorbells and EventIdx.
 * - `platform/`: host memory with an IOMMU, BAR0 and PCI config, MSI-X and INTx, a deterministic
 *   virtual-time scheduler, counters, trace sinks and the findings registry, behind the
 *   `HostPort` / `DevicePort` / `NvmeFunction` interfaces.
 * - `controller/`: the reference NVMe controller (`NvmeController`), its NVM subsystem,
 *   namespaces and media, and the host obligations it checks (`HOST_RULES`).
 *
 * @example Decode QEMU's CAP register
 * ```ts
 * import { CAP, decodeRegister } from "./mod.ts";
 * const cap = decodeRegister(CAP, 0x004018200f0107ffn);
 * if (cap.mqes + 1 !== 2048) throw new Error("2048-entry queues");
 * ```
 *
 * @module
 */

export * from "./spec/mod.ts";
export * from "./platform/mod.ts";
export * from "./controller/mod.ts";
export * as driver from "./driver/mod.ts";
export * as conformance from "./conformance/mod.ts";
export * as fuzz from "./fuzz/mod.ts";
