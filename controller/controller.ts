/**
 * The reference NVMe controller: an {@linkcode NvmeFunction} that a {@linkcode Machine} attaches.
 * This file is the engine — MMIO dispatch, doorbell checks, fetch with CQ back-pressure and
 * round-robin arbitration, completion posting and interrupts. Commands live in their own files
 * (`admin_*.ts`, `nvm_*.ts`) and are looked up by opcode.
 *
 * Doorbells never run the controller inside the MMIO call: they schedule a pass over the queues
 * `doorbellLatencyNs` later, which is how batching and interrupt timing become visible.
 *
 * @example Attach and enable
 * ```ts
 * import { Machine } from "../platform/machine.ts";
 * import { NvmeController } from "./controller.ts";
 * const m = new Machine();
 * const host = m.attach(new NvmeController());
 * if (host.read32(0x08) !== 0x00020100) throw new Error("VS 2.1");
 * ```
 *
 * @module
 */

import { decodeDoorbell } from "../spec/doorbell.ts";
import { CQE_SIZE } from "../spec/cqe.ts";
import { AsyncEventType, ErrorEvent } from "../spec/async_events.ts";
import { Status } from "../spec/status.ts";
import { LogPageId } from "../spec/log_page_ids.ts";
import { nvmeIdentity, type PciIdentity } from "../platform/identity.ts";
import type { DevicePort, NvmeFunction, ResetKind } from "../platform/ports.ts";
import { type ControllerOptions, resolveOptions } from "./options.ts";
import { CompletionQueue, SubmissionQueue } from "./queues.ts";
import { RegisterFile, type RegisterHooks } from "./register_file.ts";
import { PENDING, type Request, RequestPool } from "./request.ts";
import { HOST_RULES, type HostRule } from "./rules.ts";
import { cqHeadProblem, doorbellEventInfo, sqTailProblem } from "./doorbells.ts";
import { AsyncEvents } from "./async_events.ts";
import { ADMIN_HANDLERS } from "./admin_handlers.ts";
import { IO_HANDLERS } from "./io_handlers.ts";
import { NvmSubsystem } from "./subsystem.ts";
import type { Namespace } from "./namespace.ts";
import { ChangedNamespaceLog } from "./changed_ns_log.ts";
import { DataTransfer } from "./data_transfer.ts";
import { FeatureId } from "../spec/features.ts";
import { NoticeEvent } from "../spec/async_events.ts";
import { memoryPageSize } from "../spec/registers.ts";

const CSTS_RDY = 1 << 0;
const CSTS_CFS = 1 << 1;
const CSTS_SHST_MASK = 3 << 2;
const CSTS_SHST_OCCURRING = 1 << 2;
const CSTS_SHST_COMPLETE = 2 << 2;
const CSTS_NSSRO = 1 << 4;
const DNR = 1 << 14;

/** A command handler: returns a status (0 = success) or {@linkcode PENDING}. */
export type CommandHandler = (ctrl: NvmeController, req: Request) => number;

/** The reference controller. */
export class NvmeController implements NvmeFunction {
  /** PCI identity (QEMU-like IDs; DSTRD and vectors from the options). */
  readonly identity: PciIdentity;
  /** The resolved options. */
  readonly options: ControllerOptions;
  /** Register file. */
  readonly regs: RegisterFile;
  /** Submission queues by id (index 0 = admin). */
  readonly sqs: (SubmissionQueue | undefined)[] = [];
  /** Completion queues by id. */
  readonly cqs: (CompletionQueue | undefined)[] = [];
  /** Asynchronous event state (outstanding AERs, pending events, masks). */
  readonly events: AsyncEvents = new AsyncEvents();
  /** Number of I/O queue pairs granted by Set Features Number of Queues (0 until set). */
  grantedIoQueues = { sq: 0, cq: 0 };
  /** Feature values by FID (current), set by the features handler. */
  readonly features: Map<number, number> = new Map();

  /** The NVM subsystem this controller belongs to (namespaces, media). */
  readonly subsystem: NvmSubsystem;
  /** Changed Namespace List for this controller (log page 04h). */
  readonly changedNamespaces: ChangedNamespaceLog = new ChangedNamespaceLog();
  /** Data mover (PRP/SGL walkers), created on attach. */
  transfer!: DataTransfer;
  /** Complete I/O without touching media (latency studies). */
  noopIo = false;

  #port!: DevicePort;
  #page = new Uint8Array(4096);
  #io = new Uint8Array(0);
  #requests = new RequestPool();
  #cqeScratch = new Uint8Array(CQE_SIZE);
  #cqeView = new DataView(this.#cqeScratch.buffer);
  #passScheduled = false;
  #rrNext = 0;
  /** Completions waiting for room in their CQ, per CQ id. */
  #held: Map<number, Request[]> = new Map();
  #hooks: RegisterHooks;
  #runPass = () => this.#pass();

  /**
   * Creates a controller; every option has a documented default (see options.ts). Without a
   * `subsystem` the controller gets its own: one private 1 GiB namespace of 512-byte blocks.
   */
  constructor(options: Partial<ControllerOptions> = {}, subsystem?: NvmSubsystem) {
    this.options = resolveOptions(options);
    this.subsystem = subsystem ??
      new NvmSubsystem({ serial: this.options.serial, model: this.options.model });
    this.subsystem.registerController({
      cntlid: this.options.cntlid,
      notifyNamespaceChanged: (nsids) => this.#namespacesChanged(nsids),
    });
    this.identity = nvmeIdentity({
      dstrd: this.options.dstrd,
      msixVectors: this.options.msixVectors,
    });
    this.regs = new RegisterFile(this.options);
    this.#hooks = {
      enable: () => this.#enable(),
      enableFailed: (reason) => this.#fatal(`enable refused: ${reason}`),
      disable: () => this.#disable(),
      shutdown: (abrupt) => this.#shutdown(abrupt),
      subsystemReset: () => this.#subsystemReset(),
      interruptMaskChanged: () => this.#updateIntx(),
      violation: (rule, message) => this.hostViolation(HOST_RULES[rule], message),
    };
  }

  /** The device port (after attach). */
  get port(): DevicePort {
    return this.#port;
  }

  /** Called by the machine. */
  attach(port: DevicePort): void {
    this.#port = port;
    const o = this.options;
    this.transfer = new DataTransfer(
      port,
      o.sgl === "none" ? null : { alignment: o.sgl, bitBucket: true, oversizedLength: false },
    );
  }

  // ---- services for the command handlers ----

  /** A 4 KiB scratch page for admin data (Identify, log pages). */
  scratchPage(size: number): Uint8Array {
    return size <= this.#page.length ? this.#page.subarray(0, size) : new Uint8Array(size);
  }

  /** The I/O bounce buffer, grown (once) to at least `bytes`. */
  ioBuffer(bytes: number): Uint8Array {
    if (this.#io.length < bytes) {
      this.#io = new Uint8Array(Math.max(bytes, this.maxTransferBytes()));
    }
    return this.#io.subarray(0, bytes);
  }

  /** MDTS in bytes: `2^MDTS` pages of CAP.MPSMIN (MDTS 0 = no limit; capped at 32 MiB here). */
  maxTransferBytes(): number {
    const mdts = this.options.mdts;
    return mdts === 0 ? 32 * 1024 * 1024 : 2 ** mdts * memoryPageSize(this.options.mpsmin);
  }

  /** Number of Namespaces (NN). */
  namespaceCount(): number {
    return this.subsystem.maxNamespaces;
  }

  /** The namespace `nsid` if it is attached to this controller (active), else undefined. */
  activeNamespace(nsid: number): Namespace | undefined {
    const ns = this.subsystem.namespace(nsid);
    return ns && ns.isAttached(this.options.cntlid) ? ns : undefined;
  }

  /** True once any I/O queue exists. */
  hasIoQueues(): boolean {
    return this.sqs.some((q, i) => i > 0 && q) || this.cqs.some((q, i) => i > 0 && q);
  }

  /** Volatile Write Cache feature: applies to every namespace's media. */
  setWriteCache(enabled: boolean): void {
    this.subsystem.setWriteCacheEnabled(enabled);
  }

  #namespacesChanged(nsids: number[]): void {
    this.changedNamespaces.addAll(nsids);
    // Namespace Attribute Notices are sent only when enabled in Async Event Config bit 8.
    const aec = this.features.get(FeatureId.ASYNC_EVENT_CONFIG) ?? 0;
    if (this.#port && aec & (1 << 8)) {
      this.events.enqueue(
        AsyncEventType.NOTICE,
        NoticeEvent.NAMESPACE_ATTRIBUTE_CHANGED,
        LogPageId.CHANGED_NS,
      );
      this.deliverAsyncEvents();
    }
  }

  /** Records a host-obligation finding. */
  hostViolation(rule: HostRule, message: string): void {
    this.#port.findings.report(rule, message, this.#port.functionIndex);
  }

  // ---- MMIO ----

  /** BAR0 read: registers below 1000h, doorbells (write-only, read as 0) above. */
  mmioRead(offset: number, _size: 4 | 8): number {
    return offset < 0x1000 ? this.regs.read32(offset) : 0;
  }

  /** BAR0 write. */
  mmioWrite(offset: number, size: 4 | 8, value: number): void {
    if (offset < 0x1000) {
      this.regs.write32(offset, size, value, this.#hooks);
      return;
    }
    if (size === 8) {
      this.hostViolation(
        HOST_RULES.registerWidth,
        `64-bit doorbell write at 0x${offset.toString(16)}`,
      );
      return;
    }
    const db = decodeDoorbell(offset, this.options.dstrd);
    if (db === null) {
      this.#invalidDoorbell(
        HOST_RULES.doorbellInvalidQueue,
        `write between doorbells at 0x${offset.toString(16)}`,
        ErrorEvent.INVALID_DOORBELL_REGISTER,
      );
      return;
    }
    this.#doorbell(db.qid, db.isCq, value);
  }

  #doorbell(qid: number, isCq: boolean, value: number): void {
    const t = this.#port.trace;
    if (t.enabled) {
      t.emit(
        isCq
          ? { type: "mmio_doorbell_cq", cqid: qid, new_head: value & 0xffff }
          : { type: "mmio_doorbell_sq", sqid: qid, new_tail: value & 0xffff },
      );
    }
    const what = `${isCq ? "CQ" : "SQ"} ${qid} ${isCq ? "head" : "tail"} ${value}`;
    if (!(this.regs.csts & CSTS_RDY)) {
      this.hostViolation(HOST_RULES.doorbellBeforeReady, `${what} before CSTS.RDY`);
      return;
    }
    const q = isCq ? this.cqs[qid] : this.sqs[qid];
    const rule = isCq ? cqHeadProblem(this.cqs[qid], value) : sqTailProblem(this.sqs[qid], value);
    if (rule) {
      const state = q ? ` (head ${q.head}, tail ${q.tail}, size ${q.size})` : "";
      this.#invalidDoorbell(rule, `${what}${state}`, doorbellEventInfo(rule));
      return;
    }
    if (isCq) {
      this.cqs[qid]!.head = value;
      this.#updateIntx();
    } else {
      this.sqs[qid]!.tail = value;
    }
    // New SQ entries, or CQ room that held completions or fetching may have waited for.
    this.#schedulePass();
  }

  #invalidDoorbell(rule: HostRule, message: string, info: number): void {
    this.hostViolation(rule, message);
    this.events.enqueue(AsyncEventType.ERROR, info, LogPageId.ERROR);
    this.deliverAsyncEvents();
  }

  // ---- the queue engine ----

  #schedulePass(): void {
    if (this.#passScheduled) return;
    this.#passScheduled = true;
    this.#port.schedule(this.options.doorbellLatencyNs, this.#runPass);
  }

  /** One pass: post held completions, then fetch and dispatch round robin until no work fits. */
  #pass(): void {
    this.#passScheduled = false;
    if (!(this.regs.csts & CSTS_RDY) || (this.regs.csts & CSTS_CFS)) return;
    for (const [cqid, held] of this.#held) {
      const cq = this.cqs[cqid];
      while (cq && held.length && !cq.isFull()) this.#post(cq, held.shift()!);
    }
    const burst = 1 << this.options.arbitrationBurst;
    let progress = true;
    while (progress) {
      progress = false;
      const n = this.sqs.length;
      for (let k = 0; k < n; k++) {
        const qid = (this.#rrNext + k) % n;
        const sq = this.sqs[qid];
        if (!sq || !sq.hasWork()) continue;
        for (let b = 0; b < burst && sq.hasWork(); b++) {
          const cq = this.cqs[sq.cqid];
          if (!cq || this.#reserved(cq) >= cq.size - 1) break; // back-pressure: no room to complete
          this.#fetch(sq);
          progress = true;
        }
        this.#rrNext = (qid + 1) % n;
      }
    }
  }

  /** Entries a CQ has committed: posted and unconsumed, plus fetched commands not yet posted. */
  #reserved(cq: CompletionQueue): number {
    return cq.unconsumed() + cq.inFlight;
  }

  #fetch(sq: SubmissionQueue): void {
    const req = this.#requests.take();
    this.#port.dmaRead(sq.headAddress(), req.sqe, 0, req.sqe.length);
    sq.advanceHead();
    req.sqid = sq.id;
    req.cqid = sq.cqid;
    req.opcode = req.sqe[0];
    req.cid = req.view.getUint16(2, true);
    req.nsid = req.view.getUint32(4, true);
    this.cqs[sq.cqid]!.inFlight++;
    const admin = sq.id === 0;
    this.#port.counters.command(admin, req.opcode);
    const t = this.#port.trace;
    if (t.enabled) {
      t.emit(
        admin
          ? { type: "admin_cmd", cid: req.cid, sqid: req.sqid, opcode: req.opcode }
          : { type: "io_cmd", cid: req.cid, nsid: req.nsid, sqid: req.sqid, opcode: req.opcode },
      );
    }
    if (sq.outstanding.has(req.cid)) {
      this.hostViolation(
        HOST_RULES.cidReused,
        `SQ ${sq.id} CID ${req.cid} reused while outstanding`,
      );
      req.status = Status.CID_CONFLICT | DNR;
      this.#finish(req, false);
      return;
    }
    sq.outstanding.add(req.cid);
    const handler = (admin ? ADMIN_HANDLERS : IO_HANDLERS).get(req.opcode);
    const status = handler ? handler(this, req) : Status.INVALID_OPCODE | DNR;
    if (status === PENDING) return;
    req.status = status;
    this.complete(req);
  }

  /** Completes a request (after `commandLatencyNs`, when configured). */
  complete(req: Request): void {
    if (this.options.commandLatencyNs > 0) {
      this.#port.schedule(
        this.options.commandLatencyNs,
        (r: Request) => this.#finish(r, true),
        req,
      );
    } else {
      this.#finish(req, true);
    }
  }

  #finish(req: Request, wasOutstanding: boolean): void {
    const sq = this.sqs[req.sqid];
    const cq = this.cqs[req.cqid];
    if (wasOutstanding) sq?.outstanding.delete(req.cid);
    if (!cq) { // queue deleted meanwhile: the command was aborted with it
      this.#requests.give(req);
      return;
    }
    cq.inFlight--;
    if (cq.isFull()) {
      const held = this.#held.get(cq.id) ?? [];
      held.push(req);
      this.#held.set(cq.id, held);
      return;
    }
    this.#post(cq, req, sq?.head ?? 0);
  }

  #post(cq: CompletionQueue, req: Request, sqHead = this.sqs[req.sqid]?.head ?? 0): void {
    const s = this.#cqeScratch;
    const v = this.#cqeView;
    v.setUint32(0, req.dw0, true);
    v.setUint32(4, req.dw1, true);
    v.setUint16(8, sqHead, true);
    v.setUint16(10, req.sqid, true);
    v.setUint16(12, req.cid, true);
    const t = this.#port.trace;
    if (t.enabled) {
      t.emit({
        type: "enqueue_req_completion",
        cid: req.cid,
        cqid: cq.id,
        dw0: req.dw0,
        dw1: req.dw1,
        status: req.status,
      });
    }
    cq.post(this.#port, s, req.status);
    this.#port.counters.completion();
    this.#requests.give(req);
    this.#interrupt(cq);
  }

  #interrupt(cq: CompletionQueue): void {
    if (!cq.interruptsEnabled) return;
    const p = this.#port;
    if (p.msixEnabled) {
      if (p.trace.enabled) p.trace.emit({ type: "irq_msix", vector: cq.vector });
      p.msixNotify(cq.vector);
    } else {
      this.#updateIntx();
    }
  }

  /** INTx is a level: asserted while an interrupt-enabled CQ has unconsumed entries, unmasked. */
  #updateIntx(): void {
    const p = this.#port;
    if (!p || p.msixEnabled) return;
    let level = false;
    for (const cq of this.cqs) {
      if (
        cq && cq.interruptsEnabled && cq.unconsumed() > 0 &&
        !(this.regs.intMask & (1 << (cq.vector & 31)))
      ) {
        level = true;
        break;
      }
    }
    p.setIntx(level);
  }

  // ---- asynchronous events ----

  /** Completes outstanding AERs with pending, unmasked events. */
  deliverAsyncEvents(): void {
    for (;;) {
      const pair = this.events.next();
      if (!pair) return;
      const [req, dw0] = pair;
      req.dw0 = dw0;
      req.status = 0;
      this.complete(req);
    }
  }

  // ---- queue management (used by the admin handlers) ----

  /** Creates a CQ. The handler validated the parameters. */
  createCq(id: number, base: number, size: number, ien: boolean, vector: number): void {
    this.cqs[id] = new CompletionQueue(id, base, size, ien, vector);
  }

  /** Creates an SQ bound to an existing CQ. */
  createSq(id: number, base: number, size: number, cqid: number, priority: number): void {
    this.sqs[id] = new SubmissionQueue(id, base, size, cqid, priority);
    this.cqs[cqid]!.sqs.add(id);
  }

  /** Deletes an SQ: its outstanding commands are aborted (no completion is posted for them). */
  deleteSq(id: number): void {
    const sq = this.sqs[id];
    if (!sq) return;
    this.cqs[sq.cqid]?.sqs.delete(id);
    this.sqs[id] = undefined;
  }

  /** Deletes a CQ (the handler checked no SQ is bound to it). */
  deleteCq(id: number): void {
    this.cqs[id] = undefined;
    this.#held.delete(id);
  }

  // ---- state machine ----

  #enable(): void {
    if (this.regs.csts & CSTS_RDY) {
      this.hostViolation(HOST_RULES.reenableBeforeReadyClear, "CC.EN set while CSTS.RDY = 1");
    }
    const [sqSize, cqSize] = this.regs.adminQueueSizes();
    this.createCq(0, this.regs.acq, cqSize, true, 0);
    this.createSq(0, this.regs.asq, sqSize, 0, 0);
    this.#port.schedule(this.options.readyDelayNs, () => {
      if (this.regs.enabled && !(this.regs.csts & CSTS_CFS)) {
        this.regs.setCsts(CSTS_RDY, CSTS_RDY);
        const t = this.#port.trace;
        if (t.enabled) t.emit({ type: "mmio_start_success" });
      }
    });
  }

  #fatal(reason: string): void {
    const t = this.#port.trace;
    if (t.enabled) t.emit({ type: "err_startfail" });
    this.hostViolation(HOST_RULES.enableRefused, reason);
    this.regs.setCsts(CSTS_CFS, CSTS_CFS);
  }

  #resetQueues(): void {
    this.sqs.length = 0;
    this.cqs.length = 0;
    this.#held.clear();
    this.events.reset();
    this.grantedIoQueues = { sq: 0, cq: 0 };
  }

  #disable(): void {
    this.#resetQueues();
    const t = this.#port.trace;
    if (t.enabled) t.emit({ type: "mmio_stopped" });
    this.#port.schedule(this.options.disableDelayNs, () => {
      if (!this.regs.enabled) this.regs.setCsts(CSTS_RDY | CSTS_CFS | CSTS_SHST_MASK, 0);
    });
  }

  #shutdown(abrupt: boolean): void {
    this.regs.setCsts(CSTS_SHST_MASK, CSTS_SHST_OCCURRING);
    const t = this.#port.trace;
    if (t.enabled) t.emit({ type: "mmio_shutdown_set" });
    const delay = abrupt
      ? Math.ceil(this.options.shutdownDelayNs / 10)
      : this.options.shutdownDelayNs;
    this.#port.schedule(delay, () => this.regs.setCsts(CSTS_SHST_MASK, CSTS_SHST_COMPLETE));
  }

  #subsystemReset(): void {
    this.reset("power-loss");
    this.regs.setCsts(CSTS_NSSRO, CSTS_NSSRO);
  }

  /** FLR or power loss: everything back to power-on state. */
  reset(_kind: ResetKind): void {
    this.#resetQueues();
    this.regs.resetForSubsystem();
    this.features.clear();
    this.#passScheduled = false;
  }
}
