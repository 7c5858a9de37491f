/**
 * The queue engine of the reference controller: doorbells (MMIO and shadow), fetch under
 * arbitration with CQ back-pressure, completion posting with the latency model, interrupts, and
 * queue creation/deletion. {@linkcode NvmeController} extends it with registers, the lifecycle
 * and the command set; the engine knows commands only through three hooks (`execute`,
 * `mediaLatency`, `recordFailure`).
 *
 * @module
 */

import { AsyncEventType } from "../spec/async_events.ts";
import { CQE_SIZE } from "../spec/cqe.ts";
import { FeatureId } from "../spec/features.ts";
import { LogPageId } from "../spec/log_page_ids.ts";
import { Status } from "../spec/status.ts";
import type { DevicePort } from "../platform/ports.ts";
import { Arbiter, arbitrationBurst } from "./arbitration.ts";
import { AsyncEvents } from "./async_events.ts";
import { cqHeadProblem, doorbellEventInfo, sqTailProblem } from "./doorbells.ts";
import { InterruptUnit } from "./interrupts.ts";
import type { ControllerOptions } from "./options.ts";
import { CompletionQueue, SubmissionQueue } from "./queues.ts";
import type { RegisterFile } from "./register_file.ts";
import { PENDING, type Request, RequestPool } from "./request.ts";
import { HOST_RULES, type HostRule } from "./rules.ts";
import { ShadowDoorbells } from "./shadow_doorbells.ts";
import { type MutantFlags, mutantFlags } from "./mutants.ts";
import { ringNext } from "../spec/ring.ts";

const CSTS_RDY = 1 << 0;
const CSTS_CFS = 1 << 1;
const DNR = 1 << 14;
/** SCT and SC bits of a status value: non-zero means the command failed. */
const STATUS_CODE_MASK = 0x7ff;

/** Queues, fetch, completion and interrupts; see the module documentation. */
export abstract class QueueEngine {
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
  /** Current feature values by FID, as set by Set Features. */
  readonly features: Map<number, number> = new Map();
  /**
   * Seeded bugs switched on by the `mutants` option (mutants.ts), computed once: the command path
   * checks a constant boolean per mutant (all false for the reference).
   */
  readonly mutants: MutantFlags;

  #port!: DevicePort;
  #requests = new RequestPool();
  #cqeScratch = new Uint8Array(CQE_SIZE);
  #cqeView = new DataView(this.#cqeScratch.buffer);
  #passScheduled = false;
  #pollScheduled = false;
  /** Completions waiting for room in their CQ, per CQ id. */
  #held: Map<number, Request[]> = new Map();
  /** Requests whose completion is scheduled (latency), so SQ deletion can abort them. */
  #inflight: Set<Request> = new Set();
  /** Last invalid shadow value reported per doorbell slot, to report each bad value once. */
  #badShadow: Map<number, number> = new Map();
  #runPass = () => this.#pass();
  #runPoll = () => this.#pollShadow();
  #finishLater = (req: Request) => this.#finish(req);
  #ready = (sq: SubmissionQueue) => {
    const cq = this.cqs[sq.cqid];
    // Back-pressure: fetch only when the completion is sure to find a free CQ slot.
    return sq.hasWork() && cq !== undefined &&
      (cq.unconsumed() + cq.inFlight < cq.size - 1 || this.mutants["cq-overwrite-when-full"]);
  };

  /** Creates the engine for a controller's options and register file. */
  constructor(readonly options: ControllerOptions, readonly regs: RegisterFile) {
    this.interrupts = new InterruptUnit(options.msixVectors);
    const m = this.mutants = mutantFlags(options.mutants);
    this.shadow = new ShadowDoorbells(
      options.dstrd,
      options.eventIdxPolicy,
      m["event-idx-never-updated"],
    );
  }

  /** The device port (after attach). */
  get port(): DevicePort {
    return this.#port;
  }

  /** Binds the engine and its units to the device port. */
  protected bindPort(port: DevicePort): void {
    this.#port = port;
    this.interrupts.attach(port);
    this.shadow.attach(port);
  }

  /** Runs a fetched command: a status (0 = success) or {@linkcode PENDING}. */
  protected abstract execute(req: Request): number;
  /** Media time a successful command adds before its completion, in ns. */
  protected abstract mediaLatency(req: Request): number;
  /** Called for every completion with an error status, before it is posted. */
  protected abstract recordFailure(req: Request): void;
  /** Enters Controller Fatal Status for a failure no command can report. */
  protected abstract fatal(reason: string): void;

  /** Records a host-obligation finding. */
  hostViolation(rule: HostRule, message: string): void {
    this.#port.findings.report(rule, message, this.#port.functionIndex);
  }

  /** Handles a doorbell write the MMIO decoder routed here. */
  protected doorbell(qid: number, isCq: boolean, value: number): void {
    const t = this.port.trace;
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
    let rule = isCq ? cqHeadProblem(this.cqs[qid], value) : sqTailProblem(this.sqs[qid], value);
    if (this.mutants["sq-tail-wraps-silently"] && rule === HOST_RULES.sqTailOutOfRange) {
      value %= q!.size; // mutant: the out-of-range tail is wrapped instead of refused
      rule = sqTailProblem(this.sqs[qid], value);
    }
    if (rule) {
      const state = q ? ` (head ${q.head}, tail ${q.tail}, size ${q.size})` : "";
      const what = `${source} ${isCq ? "CQ" : "SQ"} ${qid} ${isCq ? "head" : "tail"} ${value}`;
      this.invalidDoorbell(rule, what + state, doorbellEventInfo(rule));
      return false;
    }
    if (isCq) {
      this.cqs[qid]!.head = value;
      this.updateIntx();
    } else {
      this.sqs[qid]!.tail = value;
    }
    return true;
  }

  /** Records a doorbell violation and raises the Error asynchronous event it calls for. */
  protected invalidDoorbell(rule: HostRule, message: string, info: number): void {
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
    this.port.schedule(this.options.doorbellLatencyNs, this.#runPass);
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
    // Every iteration consumes an SQ entry, or the controller turns fatal and the pass ends.
    while (!(this.regs.csts & CSTS_CFS)) {
      const sq = this.arbiter.next(this.sqs, this.#ready, ams);
      if (!sq) break;
      for (let b = 0; b < burst && this.#ready(sq); b++) {
        if (!this.#fetch(sq)) return;
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
    this.port.schedule(this.options.shadowPollIntervalNs, this.#runPoll);
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

  /** Fetches and runs the entry at the SQ head; false when the controller turned fatal. */
  #fetch(sq: SubmissionQueue): boolean {
    const req = this.#requests.take();
    if (!this.port.dmaRead(sq.headAddress(), req.sqe, 0, req.sqe.length)) {
      // The SQ slot is not readable: no command (and no CID) can be reported, so this is fatal.
      this.#requests.give(req);
      this.fatal(`SQ ${sq.id} entry ${sq.head} at 0x${sq.headAddress().toString(16)} not readable`);
      return false;
    }
    sq.advanceHead();
    req.sq = sq;
    req.sqid = sq.id;
    req.cqid = sq.cqid;
    req.opcode = req.sqe[0];
    req.cid = req.view.getUint16(2, true);
    req.nsid = req.view.getUint32(4, true);
    this.cqs[sq.cqid]!.inFlight++;
    const admin = sq.id === 0;
    this.port.counters.command(admin, req.opcode);
    const t = this.port.trace;
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
      return true;
    }
    sq.outstanding.add(req.cid);
    const status = this.execute(req);
    if (status === PENDING) return true;
    req.status = status;
    this.complete(req);
    return true;
  }

  /** Completes a request after the command and media latency (immediately when both are 0). */
  complete(req: Request): void {
    const delay = this.options.commandLatencyNs + this.mediaLatency(req);
    if (delay <= 0) {
      this.#finish(req);
      return;
    }
    this.#inflight.add(req);
    req.timer = this.port.schedule(delay, this.#finishLater, req);
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
    if (cq.isFull() && !this.mutants["cq-overwrite-when-full"]) {
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
    const sq = req.sq ?? this.sqs[req.sqid];
    const sqhd = sq?.head ?? 0;
    v.setUint16(
      8,
      this.mutants["cqe-sq-head-off-by-one"] && sq ? ringNext(sqhd, sq.size) : sqhd,
      true,
    );
    v.setUint16(10, this.mutants["cqe-sqid-is-cqid"] ? req.cqid : req.sqid, true);
    v.setUint16(12, req.cid, true);
    const t = this.port.trace;
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
    if (req.status & STATUS_CODE_MASK) this.recordFailure(req);
    // The `dnr-never-set` mutant (mutants.ts) drops Do Not Retry from every completion.
    const status = this.mutants["dnr-never-set"] ? req.status & ~DNR : req.status;
    if (!cq.post(this.port, this.#cqeScratch, status)) {
      this.fatal(`CQ ${cq.id}: completion for CID ${req.cid} could not be written`);
    }
    // Mutants: the phase inversion undone; the admin CQ's last slot skipped.
    if (this.mutants["cq-phase-not-inverted"] && cq.tail === 0) cq.phase ^= 1;
    if (this.mutants["admin-cq-wrap-early"] && cq.id === 0 && cq.tail === cq.size - 1) {
      cq.tail = 0;
      cq.phase ^= 1;
    }
    this.port.counters.completion();
    this.#requests.give(req);
    if (!cq.interruptsEnabled) return;
    if (this.port.msixEnabled) {
      this.interrupts.completionPosted(this.mutants["msix-vector-ignored"] ? 0 : cq.vector);
    } else this.updateIntx();
  }

  /** INTx is a level: asserted while an interrupt-enabled CQ has unconsumed entries, unmasked. */
  protected updateIntx(): void {
    const p = this.port;
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
      this.port.cancel(req.timer!);
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

  /** Controller-level reset of the engine: queues, in-flight commands, events, shadow config. */
  protected resetQueueState(): void {
    for (const req of this.#inflight) this.port.cancel(req.timer!);
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
    this.#passScheduled = false;
    this.#pollScheduled = false;
  }
}
