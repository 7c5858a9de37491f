/**
 * The reference NVMe controller: an {@linkcode NvmeFunction} that a {@linkcode Machine} attaches.
 * This file is the engine — MMIO dispatch, doorbells (MMIO and shadow), fetch under arbitration
 * with CQ back-pressure, completion posting and interrupts, and the CC/CSTS lifecycle. Commands
 * live in their own files (`admin_*.ts`, `nvm_*.ts`) and are looked up by opcode; arbitration,
 * interrupts and shadow doorbells are units of their own.
 *
 * Doorbells never run the controller inside the MMIO call: they schedule a pass over the queues
 * `doorbellLatencyNs` later, which is how batching and interrupt timing become visible.
 *
 * @example Attach and read VS
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
import { AsyncEventType, ErrorEvent, NoticeEvent } from "../spec/async_events.ts";
import { Status } from "../spec/status.ts";
import { LogPageId } from "../spec/log_page_ids.ts";
import { FeatureId } from "../spec/features.ts";
import { memoryPageSize } from "../spec/registers.ts";
import { NvmOpcode } from "../spec/opcodes.ts";
import { nvmeIdentity, type PciIdentity } from "../platform/identity.ts";
import type { DevicePort, NvmeFunction, ResetKind } from "../platform/ports.ts";
import { type ControllerOptions, resolveOptions } from "./options.ts";
import { CompletionQueue, SubmissionQueue } from "./queues.ts";
import { RegisterFile, type RegisterHooks } from "./register_file.ts";
import { PENDING, type Request, RequestPool } from "./request.ts";
import { HOST_RULES, type HostRule } from "./rules.ts";
import { cqHeadProblem, doorbellEventInfo, sqTailProblem } from "./doorbells.ts";
import { AsyncEvents } from "./async_events.ts";
import { Arbiter, arbitrationBurst } from "./arbitration.ts";
import { InterruptUnit } from "./interrupts.ts";
import { ShadowDoorbells } from "./shadow_doorbells.ts";
import { mediaLatencyNs } from "./latency.ts";
import { ADMIN_HANDLERS } from "./admin_handlers.ts";
import { recordError } from "./admin_log_pages.ts";
import { IO_HANDLERS } from "./io_handlers.ts";
import { NvmSubsystem } from "./subsystem.ts";
import type { Namespace } from "./namespace.ts";
import { ChangedNamespaceLog } from "./changed_ns_log.ts";
import { DataTransfer } from "./data_transfer.ts";

const CSTS_RDY = 1 << 0;
const CSTS_CFS = 1 << 1;
const CSTS_SHST_MASK = 3 << 2;
const CSTS_SHST_OCCURRING = 1 << 2;
const CSTS_SHST_COMPLETE = 2 << 2;
const CSTS_NSSRO = 1 << 4;
const DNR = 1 << 14;
/** SCT and SC bits of a status value: non-zero means the command failed. */
const STATUS_CODE_MASK = 0x7ff;
const REGISTER_AREA_END = 0x1000;
/** MDTS = 0 means "no limit"; the bounce buffer is capped here. */
const UNLIMITED_TRANSFER_BYTES = 32 * 1024 * 1024;
/** AEC bit 8: Namespace Attribute Notices enabled. */
const AEC_NAMESPACE_ATTRIBUTE = 1 << 8;
/** Media-touching NVM opcodes whose completion the latency model delays. */
const MEDIA_OPCODES = new Set<number>([
  NvmOpcode.READ,
  NvmOpcode.WRITE,
  NvmOpcode.COMPARE,
  NvmOpcode.VERIFY,
  NvmOpcode.WRITE_ZEROES,
]);

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
  /** Arbitration between submission queues. */
  readonly arbiter: Arbiter = new Arbiter();
  /** Interrupt generation and coalescing. */
  readonly interrupts: InterruptUnit;
  /** Shadow doorbells and EventIdx (Doorbell Buffer Config). */
  readonly shadow: ShadowDoorbells;
  /** The NVM subsystem this controller belongs to (namespaces, media). */
  readonly subsystem: NvmSubsystem;
  /** Changed Namespace List for this controller (log page 04h). */
  readonly changedNamespaces: ChangedNamespaceLog = new ChangedNamespaceLog();
  /** Number of I/O queues granted by Set Features Number of Queues (0 until set). */
  grantedIoQueues = { sq: 0, cq: 0 };
  /** Current feature values by FID, as set by Set Features. */
  readonly features: Map<number, number> = new Map();
  /** Data mover (PRP/SGL walkers), created on attach. */
  transfer!: DataTransfer;
  /** Complete I/O without touching media (latency studies). */
  noopIo: boolean;

  #port!: DevicePort;
  #requests = new RequestPool();
  #cqeScratch = new Uint8Array(CQE_SIZE);
  #cqeView = new DataView(this.#cqeScratch.buffer);
  #page = new Uint8Array(4096);
  #io = new Uint8Array(0);
  #passScheduled = false;
  #pollScheduled = false;
  /** Completions waiting for room in their CQ, per CQ id. */
  #held: Map<number, Request[]> = new Map();
  /** Requests whose completion is scheduled (latency), so SQ deletion can abort them. */
  #inflight: Set<Request> = new Set();
  /** Last invalid shadow value reported per doorbell slot, to report each bad value once. */
  #badShadow: Map<number, number> = new Map();
  #hooks: RegisterHooks;
  #runPass = () => this.#pass();
  #runPoll = () => this.#pollShadow();
  #finishLater = (req: Request) => this.#finish(req);
  #ready = (sq: SubmissionQueue) => {
    const cq = this.cqs[sq.cqid];
    // Back-pressure: fetch only when the completion is sure to find a free CQ slot.
    return sq.hasWork() && cq !== undefined && cq.unconsumed() + cq.inFlight < cq.size - 1;
  };

  /**
   * Creates a controller; every option has a documented default (see options.ts). Without a
   * `subsystem` the controller gets its own: one private 1 GiB namespace of 512-byte blocks.
   */
  constructor(options: Partial<ControllerOptions> = {}, subsystem?: NvmSubsystem) {
    this.options = resolveOptions(options);
    const o = this.options;
    this.noopIo = o.noopIo;
    this.subsystem = subsystem ?? new NvmSubsystem({ serial: o.serial, model: o.model });
    this.subsystem.registerController({
      cntlid: o.cntlid,
      notifyNamespaceChanged: (nsids) => this.#namespacesChanged(nsids),
    });
    this.identity = nvmeIdentity({ dstrd: o.dstrd, msixVectors: o.msixVectors });
    this.regs = new RegisterFile(o);
    this.interrupts = new InterruptUnit(o.msixVectors);
    this.shadow = new ShadowDoorbells(o.dstrd, o.eventIdxPolicy);
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
    this.interrupts.attach(port);
    this.shadow.attach(port);
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
    return mdts === 0 ? UNLIMITED_TRANSFER_BYTES : 2 ** mdts * memoryPageSize(this.options.mpsmin);
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

  /** Records a host-obligation finding. */
  hostViolation(rule: HostRule, message: string): void {
    this.#port.findings.report(rule, message, this.#port.functionIndex);
  }

  #namespacesChanged(nsids: number[]): void {
    this.changedNamespaces.addAll(nsids);
    // Namespace Attribute Notices are sent only when enabled in Async Event Config bit 8.
    const aec = this.features.get(FeatureId.ASYNC_EVENT_CONFIG) ?? 0;
    if (this.#port && aec & AEC_NAMESPACE_ATTRIBUTE) {
      this.events.enqueue(
        AsyncEventType.NOTICE,
        NoticeEvent.NAMESPACE_ATTRIBUTE_CHANGED,
        LogPageId.CHANGED_NS,
      );
      this.deliverAsyncEvents();
    }
  }

  // ---- MMIO and doorbells ----

  /** BAR0 read: registers below 1000h, doorbells (write-only, read as 0) above. */
  mmioRead(offset: number, _size: 4 | 8): number {
    return offset < REGISTER_AREA_END ? this.regs.read32(offset) : 0;
  }

  /** BAR0 write. */
  mmioWrite(offset: number, size: 4 | 8, value: number): void {
    if (offset < REGISTER_AREA_END) {
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
      const message = `write between doorbells at 0x${offset.toString(16)}`;
      this.#invalidDoorbell(
        HOST_RULES.doorbellInvalidQueue,
        message,
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
    if (!(this.regs.csts & CSTS_RDY)) {
      this.hostViolation(
        HOST_RULES.doorbellBeforeReady,
        `${isCq ? "CQ" : "SQ"} ${qid} value ${value} before CSTS.RDY`,
      );
      return;
    }
    if (this.#apply(qid, isCq, value, "MMIO")) {
      // The admin queue's MMIO value is authoritative; keep its shadow slot in step.
      if (qid === 0 && this.shadow.enabled) this.shadow.writeShadow(0, isCq, value);
      this.#schedulePass();
    }
  }

  /** Validates and applies a new SQ tail / CQ head; false (and a finding) when invalid. */
  #apply(qid: number, isCq: boolean, value: number, source: "MMIO" | "shadow"): boolean {
    const q = isCq ? this.cqs[qid] : this.sqs[qid];
    const rule = isCq ? cqHeadProblem(this.cqs[qid], value) : sqTailProblem(this.sqs[qid], value);
    if (rule) {
      const state = q ? ` (head ${q.head}, tail ${q.tail}, size ${q.size})` : "";
      const what = `${source} ${isCq ? "CQ" : "SQ"} ${qid} ${isCq ? "head" : "tail"} ${value}`;
      this.#invalidDoorbell(rule, what + state, doorbellEventInfo(rule));
      return false;
    }
    if (isCq) {
      this.cqs[qid]!.head = value;
      this.#updateIntx();
    } else {
      this.sqs[qid]!.tail = value;
    }
    return true;
  }

  #invalidDoorbell(rule: HostRule, message: string, info: number): void {
    this.hostViolation(rule, message);
    this.events.enqueue(AsyncEventType.ERROR, info, LogPageId.ERROR);
    this.deliverAsyncEvents();
  }

  /** Reads a shadow doorbell slot and applies it; each distinct bad value is reported once. */
  #refreshFromShadow(qid: number, isCq: boolean): void {
    const q = isCq ? this.cqs[qid] : this.sqs[qid];
    if (!q) return;
    const value = this.shadow.readShadow(qid, isCq);
    if (value < 0 || value === (isCq ? q.head : q.tail)) return; // refused read: keep the old value
    const key = 2 * qid + (isCq ? 1 : 0);
    const rule = isCq ? cqHeadProblem(this.cqs[qid], value) : sqTailProblem(this.sqs[qid], value);
    if (rule) {
      if (this.#badShadow.get(key) === value) return;
      this.#badShadow.set(key, value);
    }
    this.#apply(qid, isCq, value, "shadow");
  }

  // ---- the queue engine ----

  #schedulePass(): void {
    if (this.#passScheduled) return;
    this.#passScheduled = true;
    this.#port.schedule(this.options.doorbellLatencyNs, this.#runPass);
  }

  /** One pass: take shadow values, post held completions, then fetch while anything is ready. */
  #pass(): void {
    this.#passScheduled = false;
    if (!(this.regs.csts & CSTS_RDY) || (this.regs.csts & CSTS_CFS)) return;
    const shadow = this.shadow.enabled;
    if (shadow) {
      for (let qid = 1; qid < this.sqs.length; qid++) this.#refreshFromShadow(qid, false);
      for (let qid = 1; qid < this.cqs.length; qid++) this.#refreshFromShadow(qid, true);
    }
    for (const [cqid, held] of this.#held) {
      const cq = this.cqs[cqid];
      while (cq && held.length && !cq.isFull()) this.#post(cq, held.shift()!);
    }
    const ams = this.regs.arbitration();
    const burst = arbitrationBurst(
      this.features.get(FeatureId.ARBITRATION) ?? this.options.arbitrationBurst,
    );
    for (;;) {
      const sq = this.arbiter.next(this.sqs, this.#ready, ams);
      if (!sq) break;
      for (let b = 0; b < burst && this.#ready(sq); b++) {
        this.#fetch(sq);
        if (shadow && sq.id !== 0 && this.options.eventIdxPolicy === "interrupt") {
          // Publish what we have seen, then look again: a tail written between our read and
          // the EventIdx update is picked up here instead of waiting for an MMIO that the
          // host will not send (its update did not cross the old EventIdx).
          this.shadow.publishEventIdx(sq.id, false, sq.tail);
          this.#refreshFromShadow(sq.id, false);
        }
      }
    }
    if (shadow && this.options.eventIdxPolicy === "polling") this.#schedulePoll();
  }

  #schedulePoll(): void {
    if (this.#pollScheduled) return;
    this.#pollScheduled = true;
    this.#port.schedule(this.options.shadowPollIntervalNs, this.#runPoll);
  }

  #pollShadow(): void {
    this.#pollScheduled = false;
    if (!this.shadow.enabled || !(this.regs.csts & CSTS_RDY)) return;
    for (let qid = 1; qid < this.sqs.length; qid++) {
      const sq = this.sqs[qid];
      if (sq) this.shadow.publishEventIdx(qid, false, sq.tail);
    }
    for (let qid = 1; qid < this.cqs.length; qid++) {
      const cq = this.cqs[qid];
      if (cq) this.shadow.publishEventIdx(qid, true, cq.head);
    }
    this.#pass();
  }

  #fetch(sq: SubmissionQueue): void {
    const req = this.#requests.take();
    this.#port.dmaRead(sq.headAddress(), req.sqe, 0, req.sqe.length);
    sq.advanceHead();
    req.sq = sq;
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
      req.sq = null; // not entered in `outstanding`: completing it must not free the first user
      this.#finish(req);
      return;
    }
    sq.outstanding.add(req.cid);
    const handler = (admin ? ADMIN_HANDLERS : IO_HANDLERS).get(req.opcode);
    const status = handler ? handler(this, req) : Status.INVALID_OPCODE | DNR;
    if (status === PENDING) return;
    req.status = status;
    this.complete(req);
  }

  /** Completes a request after the command and media latency (immediately when both are 0). */
  complete(req: Request): void {
    let delay = this.options.commandLatencyNs;
    if (req.sqid !== 0 && req.status === 0 && MEDIA_OPCODES.has(req.opcode) && !this.noopIo) {
      const ns = this.activeNamespace(req.nsid);
      const bytes = ns ? ((req.cdw(12) & 0xffff) + 1) * ns.blockSize : 0;
      delay += mediaLatencyNs(this.options.latency, bytes, req.opcode !== NvmOpcode.READ);
    }
    if (delay <= 0) {
      this.#finish(req);
      return;
    }
    this.#inflight.add(req);
    req.timer = this.#port.schedule(delay, this.#finishLater, req);
  }

  #finish(req: Request): void {
    if (req.timer !== null) {
      this.#inflight.delete(req);
      req.timer = null;
    }
    const sq = req.sq;
    if (sq) sq.outstanding.delete(req.cid);
    const cq = this.cqs[req.cqid];
    if (!cq) { // the CQ went away (controller reset): nothing to post to
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
    this.#post(cq, req);
  }

  #post(cq: CompletionQueue, req: Request): void {
    if (this.shadow.applies(cq.id) && this.options.eventIdxPolicy === "interrupt") {
      this.shadow.publishEventIdx(cq.id, true, cq.head);
      this.#refreshFromShadow(cq.id, true);
    }
    const v = this.#cqeView;
    v.setUint32(0, req.dw0, true);
    v.setUint32(4, req.dw1, true);
    v.setUint16(8, req.sq?.head ?? this.sqs[req.sqid]?.head ?? 0, true);
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
    // Every error completion goes to the Error Information log (Base 2.1 §5.1.12.1.2).
    if (req.status & STATUS_CODE_MASK) recordError(this, req, req.status);
    cq.post(this.#port, this.#cqeScratch, req.status);
    this.#port.counters.completion();
    this.#requests.give(req);
    if (!cq.interruptsEnabled) return;
    if (this.#port.msixEnabled) this.interrupts.completionPosted(cq.vector);
    else this.#updateIntx();
  }

  /** INTx is a level: asserted while an interrupt-enabled CQ has unconsumed entries, unmasked. */
  #updateIntx(): void {
    const p = this.#port;
    if (!p || p.msixEnabled) return;
    let level = false;
    for (const cq of this.cqs) {
      if (cq && cq.interruptsEnabled && cq.unconsumed() > 0 && !(this.regs.intMask & 1)) {
        level = true;
        break;
      }
    }
    this.interrupts.updateIntx(level);
  }

  // ---- asynchronous events ----

  /** Completes outstanding AERs with pending, unmasked events. */
  deliverAsyncEvents(): void {
    for (let pair = this.events.next(); pair; pair = this.events.next()) {
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
    if (this.shadow.applies(id)) this.#seedShadow(id, true, 0);
  }

  /** Creates an SQ bound to an existing CQ. */
  createSq(id: number, base: number, size: number, cqid: number, priority: number): void {
    this.sqs[id] = new SubmissionQueue(id, base, size, cqid, priority);
    this.cqs[cqid]!.sqs.add(id);
    if (this.shadow.applies(id)) this.#seedShadow(id, false, 0);
  }

  /**
   * Deletes an SQ. Commands fetched from it and still in flight are completed at once with
   * Command Aborted due to SQ Deletion (Base 2.1 §5.2.6), before the Delete itself completes.
   */
  deleteSq(id: number): void {
    const sq = this.sqs[id];
    if (!sq) return;
    for (const req of [...this.#inflight]) {
      if (req.sq !== sq) continue;
      this.#port.cancel(req.timer!);
      req.status = Status.ABORTED_SQ_DELETION;
      this.#finish(req);
    }
    this.cqs[sq.cqid]?.sqs.delete(id);
    this.sqs[id] = undefined;
  }

  /** Deletes a CQ (the handler checked no SQ is bound to it). */
  deleteCq(id: number): void {
    this.cqs[id] = undefined;
    this.#held.delete(id);
  }

  /** Doorbell Buffer Config: enables shadow doorbells, seeding existing I/O queues' slots. */
  configureShadowDoorbells(dbs: number, eis: number): void {
    this.shadow.configure(dbs, eis);
    this.#badShadow.clear();
    for (let qid = 1; qid < this.sqs.length; qid++) {
      const sq = this.sqs[qid];
      if (sq) this.#seedShadow(qid, false, sq.tail);
    }
    for (let qid = 1; qid < this.cqs.length; qid++) {
      const cq = this.cqs[qid];
      if (cq) this.#seedShadow(qid, true, cq.head);
    }
    if (this.options.eventIdxPolicy === "polling") this.#schedulePoll();
  }

  /** Writes a queue's current value to its shadow slot and publishes its first EventIdx. */
  #seedShadow(qid: number, isCq: boolean, value: number): void {
    this.shadow.writeShadow(qid, isCq, value);
    this.shadow.publishEventIdx(qid, isCq, value);
  }

  // ---- lifecycle (CC.EN, CC.SHN, NSSR, FLR, power loss) ----

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

  /** Controller-level reset state (Base 2.1 §3.7.2): queues, events, shadow config, features. */
  #resetControllerState(): void {
    for (const req of this.#inflight) this.#port.cancel(req.timer!);
    this.#inflight.clear();
    this.sqs.length = 0;
    this.cqs.length = 0;
    this.#held.clear();
    this.#badShadow.clear();
    this.events.reset();
    this.arbiter.reset();
    this.interrupts.reset();
    this.shadow.reset();
    this.features.clear();
    this.grantedIoQueues = { sq: 0, cq: 0 };
    this.#passScheduled = false;
    this.#pollScheduled = false;
  }

  #disable(): void {
    this.#resetControllerState();
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
    const o = this.options;
    const delay = abrupt ? Math.ceil(o.shutdownDelayNs / 10) : o.shutdownDelayNs;
    this.#port.schedule(delay, () => {
      // A normal shutdown makes cached data durable first (Base 2.1 §3.6.2).
      if (!abrupt) this.subsystem.flushAll();
      this.regs.setCsts(CSTS_SHST_MASK, CSTS_SHST_COMPLETE);
    });
  }

  #subsystemReset(): void {
    this.reset("flr");
    this.regs.setCsts(CSTS_NSSRO, CSTS_NSSRO);
  }

  /** FLR or power loss: everything back to power-on state; a power loss also drops cached data. */
  reset(kind: ResetKind): void {
    this.#resetControllerState();
    this.regs.resetForSubsystem();
    if (kind === "power-loss") this.subsystem.powerLoss();
  }
}
