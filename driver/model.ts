/**
 * The driver-model interface: what a host driver implements so the harness can run it — the
 * conformance suite's driver-obligation scenarios, the fuzzers, the benchmark sweep, and the
 * block-device API all talk to a driver only through this.
 *
 * A driver model is a module exporting `createDriver`, a {@linkcode DriverFactory}. The factory
 * receives a {@linkcode HostPort} (BAR0, config space, DMA memory, interrupts, the virtual clock)
 * and driver-specific options, and returns a {@linkcode DriverModel}. Everything is synchronous:
 * time passes (and the device works) only while the driver waits through the HostPort.
 *
 * Contract, in short:
 * - `bringUp()` takes the controller from whatever state it is in to ready with I/O queues, and
 *   returns what it found ({@linkcode ControllerInfo}); it throws a {@linkcode DriverError} with a
 *   clear message when the controller cannot be brought up.
 * - `submit(cmd, done)` never waits: it returns `false` when no slot is free on the chosen queue
 *   (call `wait()` and try again), otherwise the command is on its way and `done` is called exactly
 *   once, from `processCompletions()`, `wait()`, `reset()` or `shutdown()`.
 * - `processCompletions()` reaps what is already there (interrupt handler + poll queues) without
 *   letting time pass; `wait(ns)` lets time pass until something completes or `ns` is over, and is
 *   where timeouts are handled.
 * - `reset()` and `shutdown()` end every in-flight command (with a host status) before returning.
 *
 * The reference implementations are `driver/linux/` (Linux-like) and `driver/spdk/` (SPDK-like);
 * `driver/examples/minimal_driver.ts` is the smallest complete one, written as a template.
 *
 * @example Run one Read through any driver model
 * ```ts
 * import type { DriverCompletion, DriverModel } from "./model.ts";
 * import type { HostPort } from "../platform/ports.ts";
 * function readBlock(host: HostPort, driver: DriverModel, lba: number): Uint8Array {
 *   const ns = driver.info!.namespaces[0];
 *   const buf = host.allocate(ns.blockSize, 4096);
 *   let done: DriverCompletion | null = null;
 *   const cmd = { opcode: 0x02, nsid: ns.nsid, cdw10: lba, data: [{ addr: buf, length: ns.blockSize }] };
 *   while (!driver.submit(cmd, (c) => (done = { ...c }))) driver.wait(1_000_000);
 *   while (done === null) driver.wait(1_000_000_000);
 *   const out = new Uint8Array(ns.blockSize);
 *   host.memRead(buf, out);
 *   host.free(buf);
 *   return out;
 * }
 * void readBlock;
 * ```
 *
 * @module
 */

import type { HostPort } from "../platform/ports.ts";
import { Status } from "../spec/status.ts";
import type { IdentifyControllerValue } from "../spec/value_types.ts";

/** One physically contiguous piece of a data buffer (host physical address, byte length). */
export interface DataSegment {
  /** Host physical address; dword aligned. */
  readonly addr: number;
  /** Length in bytes. */
  readonly length: number;
}

/**
 * A command as a block layer hands it to a driver. The driver fills in the command identifier,
 * the data pointer (PRP or SGL, from `data`) and PSDT; everything else is taken as given. The
 * transfer direction follows from the opcode (Base 2.1 §5 / NVM CS 1.1 §3: bits 1:0 of the
 * opcode, 01b host to controller, 10b controller to host).
 */
export interface DriverCommand {
  /** Opcode (admin opcode when `admin` is true, I/O opcode otherwise). */
  readonly opcode: number;
  /** Namespace identifier (default 0). */
  readonly nsid?: number;
  /** Command dwords 2, 3 and 10–15 (default 0). */
  readonly cdw2?: number;
  /** Command dword 3. */
  readonly cdw3?: number;
  /** Command dword 10. */
  readonly cdw10?: number;
  /** Command dword 11. */
  readonly cdw11?: number;
  /** Command dword 12. */
  readonly cdw12?: number;
  /** Command dword 13. */
  readonly cdw13?: number;
  /** Command dword 14. */
  readonly cdw14?: number;
  /** Command dword 15. */
  readonly cdw15?: number;
  /** Metadata pointer (MPTR), default 0. */
  readonly metadata?: number;
  /** The data buffer as physical segments, in transfer order. Omit for no data. */
  readonly data?: readonly DataSegment[];
  /** Send on the admin queue (default false: an I/O queue). */
  readonly admin?: boolean;
  /** Submitting context ("CPU") index; the driver maps it to one of its queues (default 0). */
  readonly context?: number;
  /** Ask for a polled queue (Linux `REQ_POLLED`), when the driver has one. */
  readonly polled?: boolean;
  /** This command is not the last of a batch: the driver may delay the SQ doorbell until the
   * next submit without `more`, or until `flush()` (Linux `bd->last === false`). */
  readonly more?: boolean;
  /** Timeout in nanoseconds of virtual time (default: the driver's I/O or admin timeout). */
  readonly timeoutNs?: number;
}

/** Why a command ended without a completion from the device. */
export type HostErrorKind =
  /** The driver ended it because the controller was reset or shut down. */
  | "aborted"
  /** It timed out and the driver gave up on it. */
  | "timeout"
  /** The driver could not map its data (bad alignment, too long, too many segments). */
  | "bad-buffer"
  /** The controller is gone (CSTS all ones) or dead (bring-up failed). */
  | "dead";

/**
 * How a command ended. The object passed to a completion callback may be reused by the driver
 * after the callback returns: copy what you keep.
 */
export interface DriverCompletion {
  /** `SCT << 8 | SC` from the CQE (no DNR, no phase); 0 is success. For host errors, the NVMe
   * host-side status (Host Aborted Command, 371h) or Internal Error. */
  status: number;
  /** Do Not Retry from the CQE. */
  dnr: boolean;
  /** More Information from the CQE. */
  more: boolean;
  /** Command Retry Delay (0..3) from the CQE. */
  crd: number;
  /** Command-specific DW0 and DW1. */
  dw0: number;
  /** Command-specific DW1. */
  dw1: number;
  /** SQ identifier and SQ head pointer from the CQE (-1 when the host ended the command). */
  sqid: number;
  /** SQ head pointer from the CQE. */
  sqhd: number;
  /** The command identifier the driver used. */
  cid: number;
  /** Set when the host, not the device, ended the command. */
  hostError: HostErrorKind | null;
}

/**
 * A fresh completion record with every field cleared (success, no flags, host error null), with
 * `init` on top: the one scratch record a driver fills and hands to every callback.
 *
 * @example
 * ```ts
 * import { blankCompletion } from "./model.ts";
 * const c = blankCompletion({ sqid: -1, sqhd: -1, cid: -1 });
 * if (c.status !== 0 || c.hostError !== null || c.cid !== -1) throw new Error();
 * ```
 */
export function blankCompletion(init: Partial<DriverCompletion> = {}): DriverCompletion {
  return {
    status: 0,
    dnr: false,
    more: false,
    crd: 0,
    dw0: 0,
    dw1: 0,
    sqid: 0,
    sqhd: 0,
    cid: 0,
    hostError: null,
    ...init,
  };
}

/** Called exactly once per submitted command. */
export type CompletionCallback = (completion: DriverCompletion) => void;

/** A namespace the driver found. */
export interface NamespaceInfo {
  /** Namespace identifier. */
  readonly nsid: number;
  /** Size in logical blocks (NSZE). */
  readonly blocks: number;
  /** Capacity in logical blocks (NCAP). */
  readonly capacity: number;
  /** Logical block data size in bytes. */
  readonly blockSize: number;
  /** Metadata bytes per block of the current format. */
  readonly metadataSize: number;
}

/** An I/O queue pair the driver created. */
export interface IoQueueInfo {
  /** Queue identifier (SQ and CQ share it). */
  readonly qid: number;
  /** Entries in the SQ and in the CQ. */
  readonly depth: number;
  /** Created with IEN=0 and reaped by polling. */
  readonly polled: boolean;
  /** Interrupt vector (meaningless when polled). */
  readonly vector: number;
}

/** What bring-up found and set up. */
export interface ControllerInfo {
  /** CAP as read at bring-up. */
  readonly cap: bigint;
  /** VS as read at bring-up. */
  readonly vs: number;
  /** Identify Controller, decoded. */
  readonly identify: IdentifyControllerValue;
  /** Active namespaces. */
  readonly namespaces: readonly NamespaceInfo[];
  /** Admin queue entries. */
  readonly adminQueueDepth: number;
  /** I/O queues created. */
  readonly ioQueues: readonly IoQueueInfo[];
  /** Memory page size the driver configured (CC.MPS). */
  readonly pageSize: number;
  /** Largest transfer the driver will send, in bytes. */
  readonly maxTransferBytes: number;
  /** Doorbell Buffer Config succeeded and I/O doorbells are shadowed. */
  readonly shadowDoorbells: boolean;
  /** The driver will use SGLs for I/O when its policy says so. */
  readonly sglSupported: boolean;
}

/** A host driver, as the harness drives it. */
export interface DriverModel {
  /** Short name, e.g. "linux". */
  readonly name: string;
  /** What the last successful bring-up found; null before bring-up or after shutdown. */
  readonly info: ControllerInfo | null;
  /** Commands submitted and not yet completed. */
  readonly inFlight: number;
  /** Brings the controller up (disable, admin queue, enable, identify, I/O queues). Throws a
   * {@linkcode DriverError} when it cannot. */
  bringUp(): ControllerInfo;
  /** Queues `cmd`; false when no slot is free (nothing was queued). Never waits. On a controller
   * that is not live (before bring-up, after shutdown, or dead) the command is accepted and ends
   * with host error "dead" at the next `processCompletions()` or `wait()`: it never throws. */
  submit(cmd: DriverCommand, done: CompletionCallback): boolean;
  /** Rings any doorbell a batch (`more: true`) left pending. */
  flush(): void;
  /** Reaps completions already posted, without letting time pass; returns how many. */
  processCompletions(): number;
  /** Lets up to `timeoutNs` pass until at least one completion (or a timeout action) happens;
   * returns how many commands completed. */
  wait(timeoutNs: number): number;
  /** Controller reset: in-flight commands end (status Host Aborted), then bring-up runs again. */
  reset(): ControllerInfo;
  /** Orderly shutdown: delete queues, SHN=normal, wait SHST; in-flight commands end first. */
  shutdown(): void;
}

/** Builds a driver model on a HostPort. Modules export one as `createDriver`. */
export type DriverFactory = (
  host: HostPort,
  options?: Readonly<Record<string, unknown>>,
) => DriverModel;

/** What a driver-model module must export. */
export interface DriverModule {
  /** The factory. */
  readonly createDriver: DriverFactory;
}

/** A driver failure a user should read: bring-up failed, controller dead, bad option. */
export class DriverError extends Error {
  /** Creates the error; `message` says what happened and, where possible, what to check. */
  constructor(message: string) {
    super(message);
    this.name = "DriverError";
  }
}

/** Host-side status for commands the driver ends itself: Command Aborted By Host (SCT 3h Path
 * Related Status, SC 71h; Base 2.1 §4.2.3.4), as Linux completes the commands it cancels. */
export const HOST_ABORTED_STATUS: number = Status.ABORTED_BY_HOST;
/** Host-side status for a command whose data the driver could not map: Internal Error (SCT 0h,
 * SC 06h). The command never reached the device. */
export const HOST_INTERNAL_ERROR_STATUS: number = Status.INTERNAL_ERROR;

/** The status a driver reports for a command it ended itself with `kind`: Internal Error for
 * data it could not map, Command Aborted By Host for everything else. */
export function hostErrorStatus(kind: HostErrorKind): number {
  return kind === "bad-buffer" ? HOST_INTERNAL_ERROR_STATUS : HOST_ABORTED_STATUS;
}

/** Total length of a segment list. */
export function dataLength(data: readonly DataSegment[] | undefined): number {
  if (!data) return 0;
  let n = 0;
  for (let i = 0; i < data.length; i++) n += data[i].length;
  return n;
}
