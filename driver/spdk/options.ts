/**
 * Options of the SPDK-like driver model, their defaults, and validation. Every option mirrors a
 * knob of SPDK's userspace NVMe driver (`spdk_nvme_ctrlr_opts`, `spdk_nvme_io_qpair_opts`, the
 * timeout callback registration); a bad value is a {@linkcode DriverError} naming the option and
 * what it accepts.
 *
 * | option | default | SPDK counterpart |
 * |---|---|---|
 * | `ioQueues` | 1 | number of I/O qpairs the application allocates |
 * | `ioQueueSize` | 256 | `io_queue_size` (capped by CAP.MQES + 1) |
 * | `adminQueueSize` | 256 | `admin_queue_size` raised to 256 (capped by CAP.MQES + 1) |
 * | `maxCompletions` | 0 | `max_completions` of `process_completions` (0 = the cap) |
 * | `shadowDoorbells` | true | Doorbell Buffer Config when OACS bit 8 is set |
 * | `sgl` | true | use SGLs on I/O qpairs when Identify SGLS says supported |
 * | `delayCmdSubmit` | false | `delay_cmd_submit`: ring SQ doorbells from `process_completions` |
 * | `timeoutNs` | 30 s | `timeout_io_us` of the timeout callback |
 * | `adminTimeoutNs` | 30 s | `timeout_admin_us`; also bounds each bring-up admin command |
 * | `shutdownTimeoutNs` | 10 s | `shutdown_timeout_ms` (RTD3E wins when larger) |
 * | `onTimeout` | none | the timeout callback (`spdk_nvme_ctrlr_register_timeout_callback`) |
 * | `timeoutAction` | "none" | bdev_nvme `action_on_timeout`: "none" or "reset" |
 *
 * @example
 * ```ts
 * import { resolveSpdkOptions } from "./options.ts";
 * const o = resolveSpdkOptions({ ioQueues: 4, sgl: false });
 * if (o.ioQueues !== 4 || o.sgl || o.ioQueueSize !== 256) throw new Error();
 * ```
 *
 * @module
 */

import { DriverError } from "../model.ts";

/** What the driver reports to an `onTimeout` callback, once per timed-out command. */
export interface SpdkTimeoutEvent {
  /** Queue identifier (0 = admin). */
  readonly qid: number;
  /** Command identifier (the tracker index). */
  readonly cid: number;
  /** Opcode of the command. */
  readonly opcode: number;
  /** Virtual time the command was submitted. */
  readonly submittedNs: number;
  /** Virtual time the timeout was noticed. */
  readonly nowNs: number;
}

/** The timeout callback: SPDK leaves the recovery (abort, reset) to the application. */
export type SpdkTimeoutCallback = (event: SpdkTimeoutEvent) => void;

/** The resolved options; see the module table. */
export interface SpdkDriverOptions {
  /** Number of I/O queue pairs (each an SQ and its own CQ). */
  readonly ioQueues: number;
  /** Entries per I/O SQ and CQ, before the CAP.MQES cap. */
  readonly ioQueueSize: number;
  /** Entries of the admin SQ and CQ, before the CAP.MQES cap. */
  readonly adminQueueSize: number;
  /** Most completions one `processCompletions` reaps per qpair (0 = the qpair's cap). */
  readonly maxCompletions: number;
  /** Use shadow doorbells (Doorbell Buffer Config) when the controller offers them. */
  readonly shadowDoorbells: boolean;
  /** Use SGLs on I/O qpairs when the controller supports them. */
  readonly sgl: boolean;
  /** Batch SQ doorbells: ring them from `processCompletions` instead of on each submit. */
  readonly delayCmdSubmit: boolean;
  /** I/O command timeout in ns (reported only with `onTimeout` or `timeoutAction: "reset"`). */
  readonly timeoutNs: number;
  /** Admin command timeout in ns; also the bound on each bring-up admin command. */
  readonly adminTimeoutNs: number;
  /** Bound on the wait for CSTS.SHST = complete at shutdown. */
  readonly shutdownTimeoutNs: number;
  /** Called once for each command past its timeout. */
  readonly onTimeout: SpdkTimeoutCallback | null;
  /** What the driver itself does on a timeout or Controller Fatal Status. */
  readonly timeoutAction: "none" | "reset";
}

const SECOND_NS = 1_000_000_000;

/** The defaults. */
export const DEFAULT_SPDK_OPTIONS: Readonly<SpdkDriverOptions> = Object.freeze({
  ioQueues: 1,
  ioQueueSize: 256,
  adminQueueSize: 256,
  maxCompletions: 0,
  shadowDoorbells: true,
  sgl: true,
  delayCmdSubmit: false,
  timeoutNs: 30 * SECOND_NS,
  adminTimeoutNs: 30 * SECOND_NS,
  shutdownTimeoutNs: 10 * SECOND_NS,
  onTimeout: null,
  timeoutAction: "none" as const,
});

/** Queue sizes are 16-bit 0's based values: at most 65536 entries, at least 2. */
const MAX_QUEUE_ENTRIES = 0x10000;
const MIN_QUEUE_ENTRIES = 2;
/** AQA.ASQS/ACQS are 12-bit 0's based values (Base 2.1 §3.1.4.8). */
const MAX_ADMIN_ENTRIES = 0x1000;
/** Number of Queues NSQR/NCQR are 16-bit 0's based; FFFFh is reserved (Base 2.1 §5.1.25.2.1). */
const MAX_IO_QUEUES = 0xffff;

function fail(name: string, what: string, value: unknown): never {
  throw new DriverError(`spdk driver option ${name}: ${what} (got ${String(value)})`);
}

function integer(o: Record<string, unknown>, name: string, lo: number, hi: number): number {
  const v = o[name];
  if (typeof v !== "number" || !Number.isInteger(v) || v < lo || v > hi) {
    fail(name, `must be an integer in ${lo}..${hi}`, v);
  }
  return v;
}

function boolean(o: Record<string, unknown>, name: string): boolean {
  const v = o[name];
  if (typeof v !== "boolean") fail(name, "must be true or false", v);
  return v;
}

function duration(o: Record<string, unknown>, name: string): number {
  const v = o[name];
  if (typeof v !== "number" || !Number.isFinite(v) || v <= 0) {
    fail(name, "must be a positive number of nanoseconds", v);
  }
  return v;
}

/**
 * Fills defaults and validates. Unknown option names are refused too, so a misspelt knob is an
 * error instead of a silently ignored setting.
 */
export function resolveSpdkOptions(
  options: Readonly<Record<string, unknown>> = {},
): SpdkDriverOptions {
  for (const key of Object.keys(options)) {
    if (!(key in DEFAULT_SPDK_OPTIONS)) {
      throw new DriverError(
        `spdk driver: unknown option "${key}" (known: ${
          Object.keys(DEFAULT_SPDK_OPTIONS).join(", ")
        })`,
      );
    }
  }
  const o: Record<string, unknown> = { ...DEFAULT_SPDK_OPTIONS };
  for (const [k, v] of Object.entries(options)) if (v !== undefined) o[k] = v;
  const onTimeout = o.onTimeout;
  if (onTimeout !== null && typeof onTimeout !== "function") {
    fail("onTimeout", "must be a function (event) => void", onTimeout);
  }
  if (o.timeoutAction !== "none" && o.timeoutAction !== "reset") {
    fail("timeoutAction", 'must be "none" or "reset"', o.timeoutAction);
  }
  return Object.freeze({
    ioQueues: integer(o, "ioQueues", 1, MAX_IO_QUEUES),
    ioQueueSize: integer(o, "ioQueueSize", MIN_QUEUE_ENTRIES, MAX_QUEUE_ENTRIES),
    adminQueueSize: integer(o, "adminQueueSize", MIN_QUEUE_ENTRIES, MAX_ADMIN_ENTRIES),
    maxCompletions: integer(o, "maxCompletions", 0, MAX_QUEUE_ENTRIES),
    shadowDoorbells: boolean(o, "shadowDoorbells"),
    sgl: boolean(o, "sgl"),
    delayCmdSubmit: boolean(o, "delayCmdSubmit"),
    timeoutNs: duration(o, "timeoutNs"),
    adminTimeoutNs: duration(o, "adminTimeoutNs"),
    shutdownTimeoutNs: duration(o, "shutdownTimeoutNs"),
    onTimeout: onTimeout as SpdkTimeoutCallback | null,
    timeoutAction: o.timeoutAction as "none" | "reset",
  });
}
