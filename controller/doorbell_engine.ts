/**
 * The doorbell half of the reference controller's queue engine: the queue tables, MMIO doorbell
 * writes and shadow doorbells with EventIdx (doorbells: Base 2.1 §3.3.1.2, PCIe Transport 1.1
 * §3.1.2; Doorbell Buffer Config: Base 2.1 §5.2.5), the INTx level, and the host-obligation
 * findings a bad doorbell value earns.
 * {@linkcode QueueEngine} (queue_engine.ts) extends it with fetch, completion and queue
 * management; a valid doorbell value only schedules a pass there, it never runs one inside the
 * MMIO call.
 *
 * @module
 */

import { AsyncEventType } from "../spec/async_events.ts";
import { LogPageId } from "../spec/log_page_ids.ts";
import { CstsBit } from "../spec/registers.ts";
import type { DevicePort } from "../platform/ports.ts";
import { AsyncEvents } from "./async_events.ts";
import { cqHeadProblem, doorbellEventInfo, sqTailProblem } from "./doorbells.ts";
import { InterruptUnit } from "./interrupts.ts";
import { type MutantFlags, mutantFlags } from "./mutants.ts";
import type { ControllerOptions } from "./options.ts";
import type { CompletionQueue, SubmissionQueue } from "./queues.ts";
import type { RegisterFile } from "./register_file.ts";
import { HOST_RULES, type HostRule } from "./rules.ts";
import { ShadowDoorbells } from "./shadow_doorbells.ts";

const CSTS_RDY = CstsBit.RDY;

/** Queue tables, doorbells (MMIO and shadow) and the INTx level; see the module notes. */
export abstract class DoorbellEngine {
  /** Submission queues by id (index 0 = admin). */
  readonly sqs: (SubmissionQueue | undefined)[] = [];
  /** Completion queues by id. */
  readonly cqs: (CompletionQueue | undefined)[] = [];
  /** Asynchronous event state (outstanding AERs, pending events, masks). */
  readonly events: AsyncEvents = new AsyncEvents();
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
  #pollScheduled = false;
  /** Last invalid shadow value reported per doorbell slot, to report each bad value once. */
  #badShadow: Map<number, number> = new Map();
  /**
   * Per doorbell (index 2 × qid + isCq), 1 when its MMIO register was written since the last pass
   * read the shadow slots (see {@linkcode refreshShadowsForPass}); grown, never per command.
   */
  #rung: Uint8Array = new Uint8Array(0);
  #runPoll = () => this.#pollShadow();

  /** Creates the doorbell state for a controller's options and register file. */
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

  /** Schedules a pass over the queues (at most one pending at a time). */
  protected abstract schedulePass(): void;
  /** Runs a pass now: shadow values, held completions, fetch. */
  protected abstract pass(): void;
  /** Completes outstanding AERs with pending, unmasked events. */
  abstract deliverAsyncEvents(): void;

  /** Records a host-obligation finding. */
  hostViolation(rule: HostRule, message: string): void {
    this.#port.findings.report(rule, message, this.#port.functionIndex);
  }

  /** Handles a doorbell write the MMIO decoder routed here. */
  protected doorbell(qid: number, isCq: boolean, value: number): void {
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
      if (this.shadow.enabled) {
        // The admin queue's MMIO value is authoritative; keep its shadow slot in step. An I/O
        // queue's shadow slot may be newer still: the next pass reads it.
        if (qid === 0) this.shadow.writeShadow(0, isCq, value);
        else this.#markRung(2 * qid + (isCq ? 1 : 0));
      }
      this.schedulePass();
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
    if (
      this.mutants["cq-head-unchecked"] &&
      (rule === HOST_RULES.cqHeadOutOfRange || rule === HOST_RULES.cqHeadAhead)
    ) {
      value %= q!.size; // mutant: the bad head is taken as given
      rule = null;
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
  protected refreshFromShadow(qid: number, isCq: boolean): void {
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

  /**
   * Reads the shadow slots a pass needs; when to read them is the controller's choice (Base 2.1
   * §5.2.5 gives none). Polling policy: every I/O queue's, since the poll is how the controller
   * learns of new entries. Interrupt policy: the SQ tails and CQ heads whose MMIO doorbell was
   * written since the last pass — EventIdx (published as the value seen after every fetch and
   * before every post) makes the host ring once the controller has seen everything, so a queue
   * that was not rung has nothing the controller must see now — and the head of every CQ that
   * looks full, whose stale head would hold back fetches or completions. Queues being fetched
   * from or posted to are read again there.
   */
  protected refreshShadowsForPass(): void {
    const all = this.options.eventIdxPolicy === "polling";
    const rung = this.#rung;
    for (let qid = 1; qid < this.sqs.length; qid++) {
      if (all || rung[2 * qid] === 1) this.refreshFromShadow(qid, false);
    }
    for (let qid = 1; qid < this.cqs.length; qid++) {
      const cq = this.cqs[qid];
      if (cq === undefined) continue;
      if (all || rung[2 * qid + 1] === 1 || cq.unconsumed() + cq.inFlight >= cq.size - 1) {
        this.refreshFromShadow(qid, true);
      }
    }
    rung.fill(0);
  }

  #markRung(index: number): void {
    if (index >= this.#rung.length) {
      const grown = new Uint8Array(Math.max(2 * index, 2 * (this.sqs.length + this.cqs.length)));
      grown.set(this.#rung);
      this.#rung = grown;
    }
    this.#rung[index] = 1;
  }

  /** INTx is a level: asserted while an interrupt-enabled CQ has unconsumed entries, unmasked. */
  protected updateIntx(): void {
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

  // ---- shadow doorbells (Doorbell Buffer Config) ----

  /** Polling policy: look at the shadow slots again after `shadowPollIntervalNs`. */
  protected schedulePoll(): void {
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
    this.pass();
  }

  /** Doorbell Buffer Config: enables shadow doorbells, seeding existing I/O queues' slots. */
  configureShadowDoorbells(dbs: number, eis: number): void {
    this.shadow.configure(dbs, eis);
    this.#badShadow.clear();
    this.#rung.fill(0);
    for (let qid = 1; qid < this.sqs.length; qid++) {
      const sq = this.sqs[qid];
      if (sq) this.seedShadow(qid, false, sq.tail);
    }
    for (let qid = 1; qid < this.cqs.length; qid++) {
      const cq = this.cqs[qid];
      if (cq) this.seedShadow(qid, true, cq.head);
    }
    if (this.options.eventIdxPolicy === "polling") this.schedulePoll();
  }

  /** Writes a queue's current value to its shadow slot and publishes its first EventIdx. */
  protected seedShadow(qid: number, isCq: boolean, value: number): void {
    this.shadow.writeShadow(qid, isCq, value);
    this.shadow.publishEventIdx(qid, isCq, value);
  }

  /** Controller-level reset of the doorbell state: queues, events, shadow config, features. */
  protected resetDoorbellState(): void {
    this.sqs.length = 0;
    this.cqs.length = 0;
    this.#badShadow.clear();
    this.#rung.fill(0);
    this.events.reset();
    this.interrupts.reset();
    this.shadow.reset();
    this.features.clear();
    this.#pollScheduled = false;
  }
}
