/**
 * The transport-independent heart of the Linux-like driver, in the spirit of
 * `drivers/nvme/host/core.c` + the I/O path of `pci.c`: queues and tags, command identifiers with
 * the generation counter, SQE construction, completion handling (unknown or stale ids are logged
 * and dropped), interrupt and polled reaping, waiting in virtual time, and synchronous admin
 * commands for bring-up. Bring-up itself is in `setup.ts`, timeouts and resets in `recovery.ts`.
 *
 * @module
 */

import { type HostPort, INTX_VECTOR, WAIT_TIMEOUT } from "../../platform/ports.ts";
import { makeCid } from "../../spec/command_id.ts";
import { NvmOpcode } from "../../spec/opcodes.ts";
import { SQE_SIZE } from "../../spec/sqe.ts";
import { STATUS_CODE_MASK } from "../../spec/status.ts";
import {
  blankCompletion,
  type CompletionCallback,
  type ControllerInfo,
  dataLength,
  type DriverCommand,
  type DriverCompletion,
  DriverError,
  type HostErrorKind,
  hostErrorStatus,
} from "../model.ts";
import {
  CQE_CID,
  CQE_DW0,
  CQE_SQID,
  CQE_STATUS,
  readCompletion,
  SQE_CID,
  SQE_OPCODE,
  writeCommand,
} from "./_queue_entries.ts";
import { LinuxDataMapper, type SglPolicy, SmallPool } from "./data_mapping.ts";
import type { ShadowDoorbellBuffers } from "./dbbuf.ts";
import type { LinuxDriverOptions } from "./options.ts";
import { type LinuxRequest, NvmeQueue } from "./queue.ts";

/** Controller states (`enum nvme_ctrl_state`). */
export type LinuxCtrlState = "new" | "connecting" | "live" | "resetting" | "deleting" | "dead";

/** `NVME_AQ_DEPTH`: admin queue entries. */
export const ADMIN_QUEUE_DEPTH = 32;
/** `NVME_AQ_BLK_MQ_DEPTH`: the AER uses this command id; admin tags are below it. */
export const AER_CID = ADMIN_QUEUE_DEPTH - 1;
/** `NVME_AQ_MQ_TAG_DEPTH`: admin tags (one entry left empty for "queue full"). */
export const ADMIN_TAGS = AER_CID - 1;
/** Polls before a polling wait starts sleeping between checks. */
const POLL_SPINS = 64;
/** Longest sleep between polls of a polling wait (1 µs). */
const MAX_POLL_SLEEP_NS = 1_000;

/** A message the driver logs (dmesg-like), kept for tests and people. */
export interface DriverLogEntry {
  /** Virtual time. */
  readonly time: number;
  /** The message. */
  readonly message: string;
}

/** Shared driver state and the I/O path. */
export class LinuxCore {
  /** Controller state. */
  state: LinuxCtrlState = "new";
  /** The admin queue (null before bring-up). */
  admin: NvmeQueue | null = null;
  /** I/O queues by qid − 1. */
  io: NvmeQueue[] = [];
  /** Interrupt-driven I/O queues in the default (and write) set. */
  defaultSet: NvmeQueue[] = [];
  /** Interrupt-driven I/O queues in the read set (`write_queues` > 0). */
  readSet: NvmeQueue[] = [];
  /** Polled I/O queues. */
  pollSet: NvmeQueue[] = [];
  /** Vectors the driver waits on (MSI-X numbers, or INTX_VECTOR). */
  vectors: number[] = [];
  /** Queues by vector. */
  byVector: Map<number, NvmeQueue[]> = new Map();
  /** Shadow doorbell buffers, when Doorbell Buffer Config succeeded or is pending. */
  dbbuf: ShadowDoorbellBuffers | null = null;
  /** What bring-up found. */
  info: ControllerInfo | null = null;
  /** Largest transfer in bytes. */
  maxTransferBytes = 0;
  /** SGL policy for I/O queues. */
  sgl: SglPolicy = "unsupported";
  /** Doorbell stride (CAP.DSTRD). */
  dstrd = 0;
  /** Aborts still allowed (Identify ACL + 1). */
  abortLimit = 1;
  /** An AER is outstanding. */
  aerOutstanding = false;
  /** Handler for AER completions (set by setup). */
  onAsyncEvent: ((dw0: number, status: number) => void) | null = null;
  /** Earliest request deadline (Infinity when none is known). */
  nextDeadline = Infinity;
  /** Completions delivered so far (device or host ended). */
  completed = 0;
  /** Driver log. */
  readonly log: DriverLogEntry[] = [];
  /** The PRP/SGL builder. */
  readonly mapper: LinuxDataMapper;
  readonly #sqe = new Uint8Array(SQE_SIZE);
  readonly #sqeView = new DataView(this.#sqe.buffer);
  readonly #completion: DriverCompletion = blankCompletion();
  readonly #deferred: LinuxRequest[] = [];
  readonly #deferredKind: HostErrorKind[] = [];
  /** Commands accepted while the controller was not live; they end with host error "dead". */
  readonly #rejected: CompletionCallback[] = [];

  /** A core over `host` with resolved options. */
  constructor(readonly host: HostPort, readonly options: LinuxDriverOptions) {
    this.mapper = new LinuxDataMapper(host, new SmallPool(host));
  }

  /** Logs a driver message (and traces it as a host note when tracing is on). */
  warn(message: string): void {
    this.log.push({ time: this.host.now(), message });
    const t = this.host.trace;
    if (t.enabled) t.emit({ type: "host_note", text: `nvme: ${message}` });
  }

  /** Requests in flight on every queue (the AER excluded). */
  get inFlight(): number {
    let n = this.#rejected.length + (this.admin ? this.admin.inFlight : 0);
    for (const q of this.io) n += q.inFlight;
    return n;
  }

  /** The I/O queue for a command from `context` (blk-mq's CPU → hardware queue map). */
  ioQueueFor(cmd: DriverCommand): NvmeQueue | null {
    const ctx = cmd.context ?? 0;
    if (cmd.polled && this.pollSet.length) return this.pollSet[ctx % this.pollSet.length];
    if (this.readSet.length && cmd.opcode === NvmOpcode.READ) {
      return this.readSet[ctx % this.readSet.length];
    }
    if (this.defaultSet.length) return this.defaultSet[ctx % this.defaultSet.length];
    return null;
  }

  /**
   * Builds the SQE, maps the data and copies it to `q`. Returns false when no tag is free.
   * `internal` requests (bring-up, Abort) may be sent in any state.
   */
  submitOn(
    q: NvmeQueue,
    cmd: DriverCommand,
    done: CompletionCallback | null,
    prp1 = 0,
    prp2 = 0,
  ): boolean {
    const req = q.allocTag();
    if (req === null) return false;
    const sqe = this.#sqe;
    const v = this.#sqeView;
    sqe.fill(0);
    const cid = makeCid(req.tag, req.genctr);
    writeCommand(sqe, v, cmd, cid, prp1, prp2);
    req.cid = cid;
    req.cmd = cmd;
    req.done = done;
    req.aborted = false;
    req.inFlight = true;
    q.inFlight++;
    const timeout = cmd.timeoutNs ??
      (q.qid === 0 ? this.options.adminTimeoutNs : this.options.ioTimeoutNs);
    req.deadline = this.host.now() + timeout;
    if (req.deadline < this.nextDeadline) this.nextDeadline = req.deadline;
    const data = cmd.data;
    if (data && data.length) {
      const length = dataLength(data);
      const policy: SglPolicy = q.qid === 0 ? "unsupported" : this.sgl;
      const ok = length <= this.maxTransferBytes &&
        this.mapper.map(v, data, length, policy, this.options.sglThreshold, req.iod) !==
          "bad-buffer";
      if (!ok) {
        // Never reaches the device: completed from the next reap with a host error.
        this.#deferred.push(req);
        this.#deferredKind.push("bad-buffer");
        return true;
      }
    }
    q.copyCommand(sqe);
    q.writeSqDoorbell(!cmd.more);
    return true;
  }

  /** Writes the AER (CID 31, no generation) straight into the admin SQ. */
  submitAsyncEvent(opcode: number): void {
    const q = this.admin!;
    const sqe = this.#sqe;
    sqe.fill(0);
    sqe[SQE_OPCODE] = opcode;
    this.#sqeView.setUint16(SQE_CID, AER_CID, true);
    q.copyCommand(sqe);
    q.writeSqDoorbell(true);
    this.aerOutstanding = true;
  }

  /** `nvme_handle_cqe`: finds the request by CID, checks the generation, completes it. */
  readonly handleCqe = (q: NvmeQueue, cqe: DataView): void => {
    const cid = cqe.getUint16(CQE_CID, true);
    const statusField = cqe.getUint16(CQE_STATUS, true);
    if (q.qid === 0 && (cid & 0xfff) >= AER_CID) {
      this.aerOutstanding = false;
      this.onAsyncEvent?.(cqe.getUint32(CQE_DW0, true), (statusField >>> 1) & STATUS_CODE_MASK);
      return;
    }
    const tag = cid & 0xfff;
    const req = tag < q.tags.length ? q.tags[tag] : undefined;
    if (!req || !req.inFlight) {
      this.warn(`could not locate request for tag 0x${tag.toString(16)}`);
      this.warn(`invalid id ${cid} completed on queue ${cqe.getUint16(CQE_SQID, true)}`);
      return;
    }
    if ((req.genctr & 0xf) !== cid >>> 12) {
      this.warn(
        `request 0x${tag.toString(16)} genctr mismatch (got 0x${(cid >>> 12).toString(16)} ` +
          `expected 0x${(req.genctr & 0xf).toString(16)})`,
      );
      this.warn(`invalid id ${cid} completed on queue ${cqe.getUint16(CQE_SQID, true)}`);
      return;
    }
    req.genctr = (req.genctr + 1) & 0xff;
    const c = this.#completion;
    readCompletion(c, cqe, cid, statusField);
    this.#finish(req, c);
  };

  /** Ends a request with a host-side status (reset, shutdown, dead controller, bad buffer). */
  cancel(req: LinuxRequest, kind: HostErrorKind): void {
    this.#finish(req, this.#hostCompletion(kind, req.cid));
  }

  /**
   * Accepts a command for a controller that is not live and ends it with host error "dead" at
   * the next reap, as blk-mq fails requests to a dead or removed controller with an I/O error
   * instead of refusing them. It takes no tag and never reaches the device.
   */
  rejectDead(done: CompletionCallback): void {
    this.#rejected.push(done);
  }

  #hostCompletion(kind: HostErrorKind, cid: number): DriverCompletion {
    const c = this.#completion;
    c.status = hostErrorStatus(kind);
    c.crd = 0;
    c.more = false;
    c.dnr = kind !== "aborted";
    c.dw0 = 0;
    c.dw1 = 0;
    c.sqid = -1;
    c.sqhd = -1;
    c.cid = cid;
    c.hostError = kind;
    return c;
  }

  #finish(req: LinuxRequest, c: DriverCompletion): void {
    const done = req.done;
    req.inFlight = false;
    req.cmd = null;
    req.done = null;
    req.queue.inFlight--;
    req.queue.freeTag(req);
    this.completed++;
    done?.(c);
  }

  /** Cancels every request in flight (`nvme_cancel_tagset`). */
  cancelAll(kind: HostErrorKind): void {
    for (const q of [this.admin, ...this.io]) {
      if (!q) continue;
      for (const r of q.tags) if (r.inFlight) this.cancel(r, kind);
    }
    this.aerOutstanding = false;
  }

  /** Reaps the queues an interrupt on `vector` belongs to (`nvme_irq`). */
  reapVector(vector: number): number {
    const qs = this.byVector.get(vector);
    let n = 0;
    if (qs) { for (let i = 0; i < qs.length; i++) n += qs[i].reap(this.handleCqe); }
    return n;
  }

  /** Completions already posted: fired vectors, polled queues, deferred host errors. */
  processCompletions(): number {
    const before = this.completed;
    while (this.#deferred.length) this.cancel(this.#deferred.pop()!, this.#deferredKind.pop()!);
    while (this.#rejected.length) {
      const done = this.#rejected.shift()!;
      this.completed++;
      done(this.#hostCompletion("dead", -1));
    }
    for (let i = 0; i < this.vectors.length; i++) {
      if (this.host.takeInterrupt(this.vectors[i])) this.reapVector(this.vectors[i]);
    }
    for (let i = 0; i < this.pollSet.length; i++) {
      if (this.pollSet[i].inFlight) this.pollSet[i].reap(this.handleCqe);
    }
    return this.completed - before;
  }

  /** True when a polled queue has work, so waiting must poll rather than sleep on interrupts. */
  #mustPoll(): boolean {
    for (let i = 0; i < this.pollSet.length; i++) if (this.pollSet[i].inFlight) return true;
    return this.vectors.length === 0;
  }

  /**
   * Lets time pass until `until()` holds or `deadline` (virtual ns) is reached: sleeps on the
   * interrupt vectors, or polls (backing off to short sleeps) while polled queues are busy.
   * Returns true when `until()` held.
   */
  waitUntil(until: () => boolean, deadline: number): boolean {
    let spins = 0;
    for (;;) {
      this.processCompletions();
      if (until()) return true;
      const now = this.host.now();
      if (now >= deadline) return false;
      if (this.#mustPoll()) {
        if (++spins < POLL_SPINS) this.host.poll();
        else {this.host.sleep(
            Math.min(MAX_POLL_SLEEP_NS * (spins - POLL_SPINS + 1), deadline - now),
          );}
        continue;
      }
      const v = this.host.waitForInterrupt(this.vectors, deadline - now);
      if (v !== WAIT_TIMEOUT) {
        // INTx is a level: if nothing was pending, let time pass so the device can lower it.
        if (this.reapVector(v) === 0 && v === INTX_VECTOR) this.host.poll();
      }
    }
  }

  /**
   * A synchronous admin command (`__nvme_submit_sync_cmd`): submits and waits up to the admin
   * timeout. Returns a copy of the completion, or null on timeout.
   */
  adminSync(cmd: DriverCommand, prp1 = 0, prp2 = 0): DriverCompletion | null {
    let result: DriverCompletion | null = null;
    const q = this.admin;
    if (!q) throw new DriverError("admin queue not set up");
    const deadline = this.host.now() + this.options.adminTimeoutNs;
    const done = (c: DriverCompletion) => (result = { ...c });
    if (!this.submitOn(q, cmd, done, prp1, prp2)) {
      if (!this.waitUntil(() => q.hasFreeTag, deadline)) return null;
      this.submitOn(q, cmd, done, prp1, prp2);
    }
    this.waitUntil(() => result !== null, deadline);
    return result;
  }
}

/**
 * A synchronous admin command for bring-up and recovery: the completion (whatever its status), or
 * a DriverError when none came within the admin timeout.
 */
export function adminCommand(
  core: LinuxCore,
  what: string,
  cmd: DriverCommand,
  prp1 = 0,
  prp2 = 0,
): DriverCompletion {
  const c = core.adminSync(cmd, prp1, prp2);
  if (c === null) {
    throw new DriverError(`${what}: no completion within the admin timeout; controller disabled`);
  }
  return c;
}
