/**
 * Options of a QEMU qtest machine and the QEMU command line they become. The machine is the one
 * `reference/qemu-nvme.md` §11/§15 verified on Debian's QEMU 7.2: `-M q35 -accel tcg -S
 * -nodefaults -display none -qtest stdio -qtest-log /dev/null`, the NVMe controller at
 * 00:04.0, namespaces backed by sparse raw files (data survives a write) or `null-co` (reads return
 * zeros, writes vanish).
 *
 * @example
 * ```ts
 * import { qemuArgs, resolveQemuOptions } from "./options.ts";
 * const o = resolveQemuOptions({ serial: "demo", namespaces: [{ backing: "null" }] });
 * const args = qemuArgs(o, { mediaPaths: [""] });
 * if (!args.includes("nvme,id=nvme0,serial=demo,addr=04.0")) throw new Error(args.join(" "));
 * ```
 *
 * @module
 */

import { InvalidArgumentError } from "../errors.ts";

/** Environment variable naming the QEMU binary (default `qemu-system-x86_64` on PATH). */
export const QEMU_BINARY_ENV = "NVME_HARNESS_QEMU";
/** The binary used when neither the option nor {@linkcode QEMU_BINARY_ENV} names one. */
export const DEFAULT_QEMU_BINARY = "qemu-system-x86_64";
/** PCI slot of the NVMe function; q35 routes its INTA to IOAPIC input 20 (reference §11). */
export const NVME_SLOT = 4;
/** IOAPIC input of slot 4's INTA on q35 without firmware (verified, reference §11). */
export const NVME_INTX_GSI = 20;

/** One namespace. */
export interface QemuNamespaceOptions {
  /** Namespace size in bytes (default 1 GiB; a multiple of the block size). */
  readonly sizeBytes?: number;
  /** Logical block size (default 512). */
  readonly blockSize?: 512 | 4096;
  /** "file": a sparse raw file in a temporary folder (default); "null": `null-co`, reads zeros. */
  readonly backing?: "file" | "null";
  /** Extra `-device nvme-ns` properties, e.g. `{ eui64: "0x5254000000000001", ms: 8 }`. */
  readonly properties?: QemuProperties;
}

/** Options; every field has a default. */
export interface QemuOptions {
  /** QEMU binary (default: `$NVME_HARNESS_QEMU`, else `qemu-system-x86_64`). */
  readonly binary?: string;
  /** Controller serial number (`serial=`; default "nvme-harness"). */
  readonly serial?: string;
  /** Namespaces, NSID 1 first (default one 1 GiB file-backed namespace of 512 B blocks). */
  readonly namespaces?: readonly QemuNamespaceOptions[];
  /** Extra `-device nvme` properties, e.g. `{ mdts: 5, max_ioqpairs: 8, msix_qsize: 9 }`. */
  readonly deviceProperties?: QemuProperties;
  /** Guest RAM in MiB: host memory for queues and buffers (default 512, at most 2048). */
  readonly memoryMiB?: number;
  /** Accelerator (default "tcg"; the CPU never runs, so this only matters for speed of start). */
  readonly accel?: "tcg" | "kvm";
  /** Wall-clock ms QEMU gets to answer one qtest command before it is killed (default 5000). */
  readonly watchdogMs?: number;
  /** Wall-clock ms QEMU gets to start and open its qtest FIFOs (default 15000). */
  readonly startTimeoutMs?: number;
  /** Longest wall-clock wait `waitForInterrupt(…, Infinity)` makes before it throws (60 s). */
  readonly maxWaitMs?: number;
  /** One QEMU trace event pattern (e.g. "pci_nvme_*"); same as `trace: { events: [pattern] }`.
   * Kept for callers that predate {@linkcode QemuOptions.trace}. */
  readonly qemuTrace?: string;
  /** QEMU's own tracing (default: off). Its lines reach the port's trace hub as device events,
   * merged with the host's (see `qemu_trace_bridge.ts`), and `readTrace()` on the machine. */
  readonly trace?: QemuTraceCapture;
}

/** What QEMU traces and where its log goes. */
export interface QemuTraceCapture {
  /** Trace event patterns (`-trace`), e.g. `["pci_nvme_*"]` or `["pci_nvme_io_cmd"]`. */
  readonly events: readonly string[];
  /** Log file (`-D`), kept after the run; default a temporary file, removed once QEMU started. */
  readonly file?: string;
  /** Prefix lines with QEMU's wall-clock time (`-msg timestamp=on`; default true): needed to
   * place QEMU's events in time among the host's. */
  readonly timestamps?: boolean;
}

/** Options with every default applied. */
export interface ResolvedQemuOptions {
  /** See {@linkcode QemuOptions}. */
  readonly binary: string;
  /** See {@linkcode QemuOptions}. */
  readonly serial: string;
  /** See {@linkcode QemuOptions}. */
  readonly namespaces: readonly Required<QemuNamespaceOptions>[];
  /** See {@linkcode QemuOptions}. */
  readonly deviceProperties: QemuProperties;
  /** See {@linkcode QemuOptions}. */
  readonly memoryMiB: number;
  /** See {@linkcode QemuOptions}. */
  readonly accel: "tcg" | "kvm";
  /** See {@linkcode QemuOptions}. */
  readonly watchdogMs: number;
  /** See {@linkcode QemuOptions}. */
  readonly startTimeoutMs: number;
  /** See {@linkcode QemuOptions}. */
  readonly maxWaitMs: number;
  /** See {@linkcode QemuOptions}; "" for none. */
  readonly qemuTrace: string;
  /** Every trace event pattern (`qemuTrace` and `trace.events`); empty: no tracing. */
  readonly traceEvents: readonly string[];
  /** See {@linkcode QemuTraceCapture}; "" for a temporary file. */
  readonly traceFile: string;
  /** See {@linkcode QemuTraceCapture}. */
  readonly traceTimestamps: boolean;
}

const GIB = 2 ** 30;
/** q35 keeps RAM below the MMCONFIG window at 0xB0000000 up to 2 GiB; stay under it. */
const MAX_MEMORY_MIB = 2048;
/** Characters allowed in values spliced into QEMU's comma-separated option strings. */
const SAFE_VALUE = /^[A-Za-z0-9_.:@+\-]*$/;
const SAFE_NAME = /^[a-z][a-z0-9_.\-]*$/;
/** A QEMU trace event name or glob pattern. */
const TRACE_PATTERN = /^[A-Za-z0-9_*]+$/;

function defaultBinary(): string {
  try {
    return Deno.env.get(QEMU_BINARY_ENV) || DEFAULT_QEMU_BINARY;
  } catch {
    return DEFAULT_QEMU_BINARY; // no --allow-env: the default
  }
}

function positive(name: string, v: number, max = Number.MAX_SAFE_INTEGER): number {
  if (!Number.isSafeInteger(v) || v <= 0 || v > max) {
    throw new InvalidArgumentError(`QEMU option ${name}: ${v} must be an integer in 1..${max}`);
  }
  return v;
}

/** QEMU `-device` properties: lower-case names, values without commas. */
export type QemuProperties = Readonly<Record<string, string | number | boolean>>;

function checkProperties(props: QemuProperties, what: string): QemuProperties {
  for (const [k, v] of Object.entries(props)) {
    if (!SAFE_NAME.test(k) || !SAFE_VALUE.test(String(v))) {
      throw new InvalidArgumentError(
        `QEMU ${what} property ${k}=${String(v)}: names are lower-case words, values ` +
          "[A-Za-z0-9_.:@+-] (no commas)",
      );
    }
  }
  return { ...props };
}

function propertyText(props: QemuProperties): string {
  return Object.entries(props).map(([k, v]) => `,${k}=${String(v)}`).join("");
}

/** Applies defaults and validates; throws {@linkcode InvalidArgumentError}. */
export function resolveQemuOptions(o: QemuOptions = {}): ResolvedQemuOptions {
  const serial = o.serial ?? "nvme-harness";
  if (!SAFE_VALUE.test(serial) || serial === "" || serial.length > 20) {
    throw new InvalidArgumentError(
      `QEMU option serial "${serial}": use 1..20 characters from [A-Za-z0-9_.:@+-]`,
    );
  }
  const namespaces = (o.namespaces ?? [{}]).map((ns, i) => {
    const blockSize = ns.blockSize ?? 512;
    if (blockSize !== 512 && blockSize !== 4096) {
      throw new InvalidArgumentError(`namespace ${i + 1}: block size ${blockSize} is not 512/4096`);
    }
    const sizeBytes = positive(`namespaces[${i}].sizeBytes`, ns.sizeBytes ?? GIB);
    if (sizeBytes % blockSize !== 0) {
      throw new InvalidArgumentError(
        `namespace ${i + 1}: size ${sizeBytes} is not a multiple of the block size ${blockSize}`,
      );
    }
    const properties = checkProperties(ns.properties ?? {}, `namespace ${i + 1}`);
    return { sizeBytes, blockSize, backing: ns.backing ?? "file", properties } as const;
  });
  if (namespaces.length === 0) {
    throw new InvalidArgumentError("QEMU option namespaces: give at least one namespace");
  }
  const deviceProperties = checkProperties(o.deviceProperties ?? {}, "device");
  const qemuTrace = o.qemuTrace ?? "";
  if (!TRACE_PATTERN.test(qemuTrace) && qemuTrace !== "") {
    throw new InvalidArgumentError(`QEMU option qemuTrace "${qemuTrace}": one event pattern`);
  }
  const traceEvents = [...(qemuTrace === "" ? [] : [qemuTrace]), ...(o.trace?.events ?? [])];
  for (const e of o.trace?.events ?? []) {
    if (!TRACE_PATTERN.test(e)) {
      throw new InvalidArgumentError(
        `QEMU option trace.events "${e}": one event name or pattern of [A-Za-z0-9_*]`,
      );
    }
  }
  const traceFile = o.trace?.file ?? "";
  if (traceFile.includes("\0") || traceFile.includes("\n")) {
    throw new InvalidArgumentError("QEMU option trace.file: a path without NUL or newline");
  }
  return {
    binary: o.binary ?? defaultBinary(),
    serial,
    namespaces,
    deviceProperties,
    memoryMiB: positive("memoryMiB", o.memoryMiB ?? 512, MAX_MEMORY_MIB),
    accel: o.accel ?? "tcg",
    watchdogMs: positive("watchdogMs", o.watchdogMs ?? 5000),
    startTimeoutMs: positive("startTimeoutMs", o.startTimeoutMs ?? 15000),
    maxWaitMs: positive("maxWaitMs", o.maxWaitMs ?? 60000),
    qemuTrace,
    traceEvents,
    traceFile,
    traceTimestamps: o.trace?.timestamps ?? true,
  };
}

/** Paths the command line refers to. */
export interface QemuPaths {
  /** Media file per namespace ("" for a `null-co` namespace). */
  readonly mediaPaths: readonly string[];
  /** Where QEMU writes trace lines (`-D`), when tracing. */
  readonly tracePath?: string;
}

/** The QEMU arguments (without the binary). qtest talks over QEMU's stdin/stdout, which the
 * caller connects to FIFOs (see `process.ts`). */
export function qemuArgs(o: ResolvedQemuOptions, paths: QemuPaths): string[] {
  const args = [
    ...["-M", "q35", "-accel", o.accel, "-S", "-nodefaults", "-display", "none"],
    ...["-m", `${o.memoryMiB}M`],
    ...["-qtest", "stdio", "-qtest-log", "/dev/null"],
  ];
  const props = propertyText(o.deviceProperties);
  args.push("-device", `nvme,id=nvme0,serial=${o.serial},addr=0${NVME_SLOT}.0${props}`);
  o.namespaces.forEach((ns, i) => {
    const id = `ns${i + 1}`;
    const drive = ns.backing === "null"
      ? `driver=null-co,read-zeroes=on,size=${ns.sizeBytes}`
      : `driver=raw,file.driver=file,file.filename=${paths.mediaPaths[i]}`;
    args.push("-blockdev", `${drive},node-name=${id}`);
    args.push(
      "-device",
      `nvme-ns,drive=${id},bus=nvme0,nsid=${i + 1},logical_block_size=${ns.blockSize},` +
        `physical_block_size=${ns.blockSize}${propertyText(ns.properties)}`,
    );
  });
  if (o.traceEvents.length > 0 && paths.tracePath) {
    for (const e of o.traceEvents) args.push("-trace", e);
    args.push("-D", paths.tracePath);
    // QEMU 7.2's log backend prints `<tid>@<sec>.<usec>:` only with this (verified on 7.2.22).
    if (o.traceTimestamps) args.push("-msg", "timestamp=on");
  }
  return args;
}
