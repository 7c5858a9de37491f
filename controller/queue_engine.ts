/**
 * The queue engine of the reference controller: fetch under arbitration with CQ back-pressure,
 * completion posting with the latency model, interrupts, Abort of outstanding commands, and
 * queue creation/deletion. Doorbells (MMIO and shadow) are its base class, {@linkcode
 * DoorbellEngine}; {@linkcode NvmeController} extends it with registers, the lifecycle and the
 * command set. The engine knows commands only through four hooks (`execute`, `mediaLatency`,
 * `recordFailure`, `fatal`).
 *
 * The command path allocates nothing per command: requests come from a pool, the SQE is read
 * into the request's own buffer, outstanding commands live in a typed-array hash table, the CQE
 * is built in one scratch buffer and written with one DMA, and scheduled work uses stable
 * callbacks.
 *
 * @module
 */

import { CompletionQueueEntry, CQE_SIZE } from "../spec/cqe.ts";
import { SQE_SIZE } from "../spec/sqe.ts";
import { FeatureId } from "../spec/features.ts";
import { CstsBit } from "../spec/registers.ts";
import { AdminOpcode } from "../spec/opcodes.ts";
import { Status, STATUS_CODE_MASK, STATUS_DNR as DNR } from "../spec/status.ts";
import { Arbiter, arbitrationBurst } from "./arbitration.ts";
import { DoorbellEngine } from "./doorbell_engine.ts";
import { CompletionQueue, type QueuePageList, SubmissionQueue } from "./queues.ts";
import { PENDING, type Request, RequestPool } from "./request.ts";
import { HOST_RULES } from "./rules.ts";
import { ringNext } from "../spec/ring.ts";
import { offsetOf } from "../spec/struct.ts";

export { DoorbellEngine } from "./doorbell_engine.ts";

const { RDY: CSTS_RDY, CFS: CSTS_CFS } = CstsBit;
const SQE_WORDS = SQE_SIZE / 4;
/** CQE byte offsets (Base 2.1 §4.2.1); the status field is written by `CompletionQueue.post`. */
const CQE = (name: string) => offsetOf(CompletionQueueEntry, name);
const CQE_DW0 = CQE("dw0"), CQE_DW1 = CQE("dw1"), CQE_SQHD = CQE("sqhd"), CQE_SQID = CQE("sqid");
const CQE_CID = CQE("cid");

/** Queues, fetch, completion and interrupts; see the module documentation. */
export abstract class QueueEngine extends DoorbellEngine {
  /** Arbitration between submission queues. */
  readonly arbiter: Arbiter = new Arbiter();

  #requests = new RequestPool();
  #cqeScratch = new Uint8Array(CQE_SIZE);
  #cqeView = new DataView(this.#cqeScratch.buffer);
  #passScheduled = false;
  /**
   * With `serialCommandProcessing`: the virtual time at which the one command worker is free
   * again (0 after a reset: free).
   */
  #busyUntil = 0;
  /** Completions waiting for room in their CQ, per CQ id, and how many in all. */
  #held: Map<number, Request[]> = new Map();
  #heldCount = 0;
  /** Requests whose completion is scheduled (latency), so SQ deletion can abort them. */
  #inflight: Set<Request> = new Set();
  #runPass = () => this.pass();
  #finishLater = (req: Request) => this.#finish(req);
  #ready = (sq: SubmissionQueue) => {
    const cq = this.cqs[sq.cqid];
    // Back-pressure: fetch only when the completion is sure to find a free CQ slot.
    return sq.hasWork() && cq !== undefined &&
      (cq.unconsumed() + cq.inFlight < cq.size - 1 || this.mutants["cq-overwrite-when-full"]);
  };

  /** Runs a fetched command: a status (0 = success) or {@linkcode PENDING}. */
  protected abstract execute(req: Request): number;
  /** Media time a successful command adds before its completion, in ns. */
  protected abstract mediaLatency(req: Request): number;
  /** Called for every completion with an error status, before it is posted. */
  protected abstract recordFailure(req: Request): void;
  /** Enters Controller Fatal Status for a failure no command can report. */
  protected abstract fatal(reason: string): void;

  // ---- the queue engine ----

  /**
   * Schedules a pass `doorbellLatencyNs` from now, unless one is pending; with
   * `serialCommandProcessing`, no earlier than when the worker is free.
   */
  protected schedulePass(): void {
    if (this.#passScheduled) return;
    this.#passScheduled = true;
    let delay = this.options.doorbellLatencyNs;
    // One worker: a queue pass starts only once the worker has finished what it holds. The pass
    // itself then fetches every ready SQE at once; only their completions are spread out.
    if (this.options.serialCommandProcessing) {
      delay = Math.max(delay, this.#busyUntil - this.port.now());
    }
    this.port.schedule(delay, this.#runPass);
  }

  /** One pass: take shadow values, post held completions, then fetch while anything is ready. */
  protected pass(): void {
    this.#passScheduled = false;
    if (!(this.regs.csts & CSTS_RDY) || (this.regs.csts & CSTS_CFS)) return;
    const shadow = this.shadow.enabled;
    if (shadow) this.refreshShadowsForPass();
    if (this.#heldCount > 0) this.#postHeld();
    const ams = this.regs.arbitration();
    let burst = 0; // the arbitration burst, looked up when a queue first has a second command
    // Every iteration consumes an SQ entry, or the controller turns fatal and the pass ends.
    while (!(this.regs.csts & CSTS_CFS)) {
      const sq = this.arbiter.next(this.sqs, this.#ready, ams);
      if (!sq) break;
      // The arbiter chose a ready queue: its first command needs no second readiness check.
      for (let b = 0; b === 0 || b < burst && this.#ready(sq); b++) {
        if (!this.#fetch(sq)) return;
        if (shadow && sq.id !== 0 && this.options.eventIdxPolicy === "interrupt") {
          // Publish what we have seen, then look again: a tail written between our read and
          // the EventIdx update is picked up here instead of waiting for an MMIO that the
          // host will not send (its update did not cross the old EventIdx).
          this.shadow.publishEventIdx(sq.id, false, sq.tail);
          this.refreshFromShadow(sq.id, false);
        }
        if (burst === 0 && this.#ready(sq)) burst = this.#burst();
      }
    }
    if (shadow && this.options.eventIdxPolicy === "polling") this.schedulePoll();
  }

  /** Commands fetched from one SQ per arbitration turn (Arbitration feature AB). */
  #burst(): number {
    return arbitrationBurst(
      this.features.get(FeatureId.ARBITRATION) ?? this.options.arbitrationBurst,
    );
  }

  /** Posts held completions into CQs that have room again. */
  #postHeld(): void {
    for (const [cqid, held] of this.#held) {
      const cq = this.cqs[cqid];
      while (cq && held.length && !cq.isFull()) {
        this.#heldCount--;
        this.#post(cq, held.shift()!);
      }
      if (held.length === 0) this.#held.delete(cqid);
    }
  }

  /** Fetches and runs the entry at the SQ head; false when the controller turned fatal. */
  #fetch(sq: SubmissionQueue): boolean {
    const req = this.#requests.take();
    const port = this.port;
    const fetched = port.dmaReadWords
      ? port.dmaReadWords(sq.headAddress(), req.words, 0, SQE_WORDS)
      : port.dmaRead(sq.headAddress(), req.sqe, 0, SQE_SIZE);
    if (!fetched) {
      // The SQ slot is not readable: no command (and no CID) can be reported, so this is fatal.
      this.#requests.give(req);
      this.fatal(`SQ ${sq.id} entry ${sq.head} at 0x${sq.headAddress().toString(16)} not readable`);
      return false;
    }
    sq.advanceHead();
    req.sq = sq;
    req.sqid = sq.id;
    req.cqid = sq.cqid;
    req.readHeader();
    this.cqs[sq.cqid]!.inFlight++;
    const admin = sq.id === 0;
    port.counters.command(admin, req.opcode);
    if (port.trace.enabled) this.#traceFetch(req, admin);
    if (sq.outstanding.has(req.cid)) {
      this.#cidConflict(sq, req);
      return true;
    }
    sq.outstanding.add(req.cid, req);
    const status = this.execute(req);
    if (status === PENDING) return true;
    req.status = status;
    this.complete(req);
    return true;
  }

  // Cold paths of #fetch and #post live in their own methods: the hot ones stay small enough
  // for V8 to inline what they call.

  #traceFetch(req: Request, admin: boolean): void {
    this.port.trace.emit(
      admin
        ? { type: "admin_cmd", cid: req.cid, sqid: req.sqid, opcode: req.opcode }
        : { type: "io_cmd", cid: req.cid, nsid: req.nsid, sqid: req.sqid, opcode: req.opcode },
    );
  }

  /** A CID already outstanding on its SQ: the new command fails, the first one is untouched. */
  #cidConflict(sq: SubmissionQueue, req: Request): void {
    this.hostViolation(HOST_RULES.cidReused, `SQ ${sq.id} CID ${req.cid} reused while outstanding`);
    req.status = Status.CID_CONFLICT | DNR;
    req.sq = null; // not entered in `outstanding`: completing it must not free the first user
    this.#finish(req);
  }

  #traceCompletion(cq: CompletionQueue, req: Request): void {
    this.port.trace.emit({
      type: "enqueue_req_completion",
      cid: req.cid,
      cqid: cq.id,
      dw0: req.dw0,
      dw1: req.dw1,
      status: req.status,
    });
  }

  /**
   * Completes a request after the command and media latency (immediately when both are 0). With
   * `serialCommandProcessing` the command's `commandLatencyNs` starts only when the one worker is
   * free (commands queue behind each other); its media time then overlaps with later commands.
   */
  complete(req: Request): void {
    const commandNs = this.options.commandLatencyNs;
    let delay = commandNs + this.mediaLatency(req);
    if (this.options.serialCommandProcessing && commandNs > 0) {
      const now = this.port.now();
      // The worker takes this command when it is free, and is busy with it for commandNs.
      this.#busyUntil = Math.max(now, this.#busyUntil) + commandNs;
      delay += this.#busyUntil - commandNs - now;
    }
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
      this.#heldCount++;
      return;
    }
    this.#post(cq, req);
  }

  #post(cq: CompletionQueue, req: Request): void {
    const port = this.port, m = this.mutants;
    if (this.shadow.applies(cq.id) && this.options.eventIdxPolicy === "interrupt") {
      this.shadow.publishEventIdx(cq.id, true, cq.head);
      this.refreshFromShadow(cq.id, true);
    }
    const v = this.#cqeView;
    v.setUint32(CQE_DW0, req.dw0, true);
    v.setUint32(CQE_DW1, req.dw1, true);
    const sq = req.sq ?? this.sqs[req.sqid];
    const sqhd = sq?.head ?? 0;
    v.setUint16(CQE_SQHD, m["cqe-sq-head-off-by-one"] && sq ? ringNext(sqhd, sq.size) : sqhd, true);
    v.setUint16(CQE_SQID, m["cqe-sqid-is-cqid"] ? req.cqid : req.sqid, true);
    v.setUint16(CQE_CID, req.cid, true);
    if (port.trace.enabled) this.#traceCompletion(cq, req);
    // Every error completion goes to the Error Information log (Base 2.1 §5.1.12.1.2).
    if (req.status & STATUS_CODE_MASK) this.recordFailure(req);
    // The `dnr-never-set` mutant (mutants.ts) drops Do Not Retry from every completion.
    const status = m["dnr-never-set"] ? req.status & ~DNR : req.status;
    // The CQE goes out through `dmaWrite` (not the word fast path): hostile-controller harnesses
    // interpose on `dmaWrite` to tamper with completions, and must keep seeing them.
    if (!cq.post(port, this.#cqeScratch, status)) {
      this.fatal(`CQ ${cq.id}: completion for CID ${req.cid} could not be written`);
    }
    // Mutants: the phase inversion undone; the admin CQ's last slot skipped.
    if (m["cq-phase-not-inverted"] && cq.tail === 0) cq.phase ^= 1;
    if (m["admin-cq-wrap-early"] && cq.id === 0 && cq.tail === cq.size - 1) {
      cq.tail = 0;
      cq.phase ^= 1;
    }
    port.counters.completion();
    this.#requests.give(req);
    if (!cq.interruptsEnabled) return;
    if (port.msixEnabled) {
      this.interrupts.completionPosted(m["msix-vector-ignored"] ? 0 : cq.vector);
    } else this.updateIntx();
  }

  // ---- Abort (Base 2.1 §5.1.1) ----

  /**
   * Aborts the command `cid` fetched from SQ `sqid` if it is outstanding and can still be
   * stopped: it completes at once with Command Abort Requested (00/07h) and the result is true.
   * Abortable are an outstanding Asynchronous Event Request and an I/O command whose completion
   * the latency model still holds back (its data may or may not have moved: the spec leaves an
   * aborted command's effects indeterminate). Not aborted (false): a CID not outstanding on that
   * SQ (never fetched, or already completed), and an admin command other than an AER (it has
   * taken effect at fetch; reporting it aborted would misstate the controller's state).
   */
  abortCommand(sqid: number, cid: number): boolean {
    const sq = this.sqs[sqid];
    const target = sq?.outstanding.get(cid) as Request | undefined;
    if (!target) return false;
    if (sqid === 0) {
      if (target.opcode !== AdminOpcode.ASYNC_EVENT_REQUEST) return false;
      if (!this.events.removeRequest(target)) return false;
    } else if (target.timer === null) {
      return false; // executing in a handler that completes it itself
    } else {
      this.port.cancel(target.timer);
    }
    target.dw0 = 0;
    target.dw1 = 0;
    target.status = Status.ABORT_REQUESTED;
    this.#finish(target);
    return true;
  }

  /** Number of Abort commands fetched from the admin SQ and not yet completed. */
  outstandingAborts(): number {
    const asq = this.sqs[0];
    if (!asq) return 0;
    let n = 0;
    for (const cid of asq.outstanding) {
      if ((asq.outstanding.get(cid) as Request).opcode === AdminOpcode.ABORT) n++;
    }
    return n;
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

  /**
   * Creates a CQ. The handler validated the parameters. `pages`: the memory pages of a queue that
   * is not physically contiguous (PC = 0); `base` is then the first page's address.
   */
  createCq(
    id: number,
    base: number,
    size: number,
    ien: boolean,
    vector: number,
    pages?: QueuePageList,
  ): void {
    this.cqs[id] = new CompletionQueue(id, base, size, ien, vector, pages);
    if (this.shadow.applies(id)) this.seedShadow(id, true, 0);
  }

  /** Creates an SQ bound to an existing CQ; `pages` as for {@linkcode createCq}. */
  createSq(
    id: number,
    base: number,
    size: number,
    cqid: number,
    priority: number,
    pages?: QueuePageList,
  ): void {
    this.sqs[id] = new SubmissionQueue(id, base, size, cqid, priority, pages);
    this.cqs[cqid]!.sqs.add(id);
    if (this.shadow.applies(id)) this.seedShadow(id, false, 0);
  }

  /**
   * Deletes an SQ. Commands fetched from it and still in flight are completed at once with
   * Command Aborted due to SQ Deletion (Base 2.1 §5.2.4), before the Delete itself completes.
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
    this.#heldCount -= this.#held.get(id)?.length ?? 0;
    this.#held.delete(id);
  }

  /** Controller-level reset of the engine: queues, in-flight commands, events, shadow config. */
  protected resetQueueState(): void {
    for (const req of this.#inflight) this.port.cancel(req.timer!);
    this.#inflight.clear();
    this.#held.clear();
    this.#heldCount = 0;
    this.arbiter.reset();
    this.resetDoorbellState();
    this.#passScheduled = false;
    this.#busyUntil = 0;
  }
}
