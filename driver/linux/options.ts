/**
 * Options of the Linux-like driver: the knobs mirror Linux's `nvme` / `nvme_core` module
 * parameters (`io_queue_depth`, `poll_queues`, `write_queues`, `sgl_threshold`, `io_timeout`,
 * `admin_timeout`, `shutdown_timeout`) plus the number of submitting contexts ("CPUs") and an
 * on/off switch for shadow doorbells (Linux always uses them when OACS advertises Doorbell Buffer
 * Config; the switch is for benchmarks).
 *
 * @example
 * ```ts
 * import { resolveLinuxOptions } from "./options.ts";
 * const o = resolveLinuxOptions({ ioQueueDepth: 64, pollQueues: 1 });
 * if (o.sglThreshold !== 32768 || o.cpus !== 4) throw new Error();
 * ```
 *
 * @module
 */

import { DriverError } from "../model.ts";

/** Options; every field has a default (see {@linkcode DEFAULT_LINUX_OPTIONS}). */
export interface LinuxDriverOptions {
  /** `io_queue_depth`: I/O SQ/CQ entries, capped by CAP.MQES+1; range 2..4095 (default 1024). */
  ioQueueDepth: number;
  /** `poll_queues`: I/O queues created with IEN=0 and reaped by polling (default 0). */
  pollQueues: number;
  /** `write_queues`: interrupt queues reserved for writes; reads get the rest (default 0). */
  writeQueues: number;
  /** `sgl_threshold`: average segment size in bytes from which SGLs are used; 0 = never
   * (default 32768). */
  sglThreshold: number;
  /** Send Doorbell Buffer Config when OACS bit 8 is set (default true, as Linux). */
  shadowDoorbells: boolean;
  /** Submitting contexts ("possible CPUs"); each maps to an I/O queue (default 4). */
  cpus: number;
  /** Interrupt delivery: MSI-X (vector per queue) or INTx (one shared line) (default "msix"). */
  interrupts: "msix" | "intx";
  /** `io_timeout` in ns of virtual time (default 30 s). */
  ioTimeoutNs: number;
  /** `admin_timeout` in ns (default 60 s). */
  adminTimeoutNs: number;
  /** `shutdown_timeout` in ns: minimum SHST wait, raised by RTD3E up to 60 s (default 5 s). */
  shutdownTimeoutNs: number;
}

/** Linux's defaults. */
export const DEFAULT_LINUX_OPTIONS: Readonly<LinuxDriverOptions> = Object.freeze({
  ioQueueDepth: 1024,
  pollQueues: 0,
  writeQueues: 0,
  sglThreshold: 32768,
  shadowDoorbells: true,
  cpus: 4,
  interrupts: "msix" as const,
  ioTimeoutNs: 30e9,
  adminTimeoutNs: 60e9,
  shutdownTimeoutNs: 5e9,
});

/** `NVME_PCI_MIN_QUEUE_SIZE` / `NVME_PCI_MAX_QUEUE_SIZE`: 4095 keeps tags within 12 CID bits. */
export const IO_QUEUE_DEPTH_RANGE = [2, 4095] as const;

/** Merges `partial` over the defaults and validates; throws {@linkcode DriverError}. */
export function resolveLinuxOptions(
  partial: Readonly<Record<string, unknown>> = {},
): LinuxDriverOptions {
  const o = { ...DEFAULT_LINUX_OPTIONS } as LinuxDriverOptions;
  for (const [k, v] of Object.entries(partial)) {
    if (!(k in DEFAULT_LINUX_OPTIONS)) {
      throw new DriverError(
        `linux driver: unknown option "${k}"; known: ${
          Object.keys(DEFAULT_LINUX_OPTIONS).join(", ")
        }`,
      );
    }
    const def = (DEFAULT_LINUX_OPTIONS as unknown as Record<string, unknown>)[k];
    if (typeof v !== typeof def) {
      throw new DriverError(`linux driver: option ${k} must be a ${typeof def}, got ${String(v)}`);
    }
    (o as unknown as Record<string, unknown>)[k] = v;
  }
  const int = (k: keyof LinuxDriverOptions, lo: number, hi: number) => {
    const v = o[k] as number;
    if (!Number.isInteger(v) || v < lo || v > hi) {
      throw new DriverError(`linux driver: ${k} ${v} is outside ${lo}..${hi}`);
    }
  };
  int("ioQueueDepth", IO_QUEUE_DEPTH_RANGE[0], IO_QUEUE_DEPTH_RANGE[1]);
  int("pollQueues", 0, 1024);
  int("writeQueues", 0, 1024);
  int("sglThreshold", 0, 2 ** 31);
  int("cpus", 1, 1024);
  for (const k of ["ioTimeoutNs", "adminTimeoutNs", "shutdownTimeoutNs"] as const) {
    if (!(o[k] > 0) || o[k] === Infinity) {
      throw new DriverError(`linux driver: ${k} must be a positive finite number of ns`);
    }
  }
  if (o.interrupts !== "msix" && o.interrupts !== "intx") {
    throw new DriverError(`linux driver: interrupts must be "msix" or "intx"`);
  }
  return o;
}
