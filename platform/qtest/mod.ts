/**
 * The QEMU platform: a {@linkcode HostPort} over QEMU's qtest protocol against
 * `qemu-system-x86_64 -M q35 -device nvme` (QEMU ≥ 7.2), so the driver, the conformance suite and
 * the fuzzers run unchanged against QEMU's emulated NVMe controller.
 *
 * @example
 * ```ts ignore
 * import { qemuAvailable, startQemu } from "./mod.ts";
 * const ok = qemuAvailable();
 * if (ok.ok) {
 *   const m = startQemu({ serial: "demo" });
 *   try {
 *     console.log(m.host.read32(0x08).toString(16)); // VS: 10400 on QEMU 7.2
 *   } finally {
 *     m.close();
 *   }
 * }
 * ```
 *
 * @module
 */

export type { HostPort } from "../ports.ts";
export * from "./available.ts";
export { QtestClient } from "./client.ts";
export * from "./errors.ts";
export { QtestHostPort, type QtestLayout } from "./host_port.ts";
export { QtestInterrupts } from "./interrupts.ts";
export { ALLOC_BASE, MSIX_WORDS_BASE, type QemuMachine, startQemu } from "./machine.ts";
export * from "./options.ts";
export { BAR0_BASE, ECAM_BASE } from "./pci.ts";
