/**
 * platform/: the simulated PCIe machine between host and device — sparse host memory with an
 * allocator and an IOMMU, BAR0 MMIO with access rules, PCI configuration space, MSI-X and INTx, a
 * virtual clock with a deterministic scheduler and seeded preemption points, counters, typed
 * traces (with a QEMU text sink) and the findings registry — plus the {@linkcode HostPort},
 * {@linkcode DevicePort} and {@linkcode NvmeFunction} interfaces the driver and controller meet
 * through.
 *
 * @example
 * ```ts
 * import { Machine, MemoryTraceSink } from "./mod.ts";
 * const m = new Machine({ preemption: { seed: 7 } });
 * const sink = new MemoryTraceSink();
 * m.trace.addSink(sink);
 * if (m.seed !== 7) throw new Error();
 * ```
 *
 * @module
 */

export * from "./allocator.ts";
export * from "./bar.ts";
export * from "./counters.ts";
export * from "./device_port.ts";
export * from "./errors.ts";
export * from "./findings.ts";
export * from "./forwarding_ports.ts";
export * from "./host_port.ts";
export * from "./identity.ts";
export * from "./intx.ts";
export * from "./iommu.ts";
export * from "./machine.ts";
export * from "./memory.ts";
export * from "./msix.ts";
export * from "./pci_config.ts";
export * from "./pci_function.ts";
export * from "./ports.ts";
export * from "./preemption.ts";
export * from "./scheduler.ts";
export * from "./trace.ts";
export * from "./trace_chrome.ts";
export * from "./trace_events.ts";
export * from "./trace_qemu.ts";
export * from "./trace_perfetto.ts";
export * from "./trace_timeline.ts";
