/**
 * Bookkeeping for driver properties: every command a property submits gets a record; the
 * completion callback checks it ends exactly once, with a legal status and CQE fields, and reads
 * are verified against the pattern of the write they target. Write data is a deterministic
 * pattern of (LBA, version) (`fillPattern` from driver/workload.ts), so the expected content of a
 * block is always known.
 *
 * @example
 * ```ts
 * import { bootSim } from "./sim.ts";
 * import { IoTracker } from "./io_tracker.ts";
 * import { createDriver } from "../driver/linux/driver.ts";
 * const sim = bootSim({ name: "linux", factory: createDriver });
 * const io = new IoTracker(sim.host, sim.driver);
 * io.submitWrite(7);
 * io.drain(10e9);
 * io.submitRead(7);
 * io.drain(10e9);
 * if (io.completed !== 2 || io.problems.length !== 0) throw new Error(io.problems.join("; "));
 * ```
 *
 * @module
 */

import type { DriverCompletion, DriverModel, NamespaceInfo } from "../driver/model.ts";
import { fillPattern } from "../driver/workload.ts";
import { NvmOpcode } from "../spec/opcodes.ts";
import type { GuardedHostPort } from "./guarded_host.ts";
import { HangError, PropertyViolation } from "./property.ts";

/** Buffers are page aligned; one block per command. */
const BUFFER_ALIGN = 4096;
/** Virtual time the drain lets pass when a driver's wait returns at once with nothing done. */
const IDLE_STEP_NS = 1_000_000;
/** CDW11 holds LBA bits 63:32. */
const TWO_POW_32 = 2 ** 32;

/** One submitted command. */
interface Tracked {
  readonly index: number;
  readonly isRead: boolean;
  readonly lba: number;
  readonly version: number;
  readonly buffer: number;
  ends: number;
  refused: boolean;
}

/** Completion policy: what a property accepts besides success. */
export interface TrackerOptions {
  /** Accept error statuses and host errors (hostile devices); default false. */
  readonly allowErrors?: boolean;
  /** Called with every first completion before it is checked; returns a problem or null. */
  readonly onCompletion?: (c: DriverCompletion, what: string) => string | null;
}

/** Tracks commands through a driver model. */
export class IoTracker {
  /** Namespace used. */
  readonly ns: NamespaceInfo;
  /** Commands completed (first ends only). */
  completed = 0;
  /** Commands the driver accepted. */
  submitted = 0;
  /** Completions with an error status or host error (when allowed). */
  errors = 0;
  /** Violations seen, in order (a property throws the first). */
  readonly problems: string[] = [];
  /** LBA → version of the last write that completed successfully. */
  readonly written: Map<number, number> = new Map();
  /** LBAs whose content is uncertain (a write to them failed or is in flight). */
  readonly uncertain: Set<number> = new Set();
  /** Per SQ identifier: successful completions and the SQ head of the last one. */
  readonly sqHeads: Map<number, { count: number; last: number }> = new Map();
  readonly #host: GuardedHostPort;
  readonly #driver: DriverModel;
  readonly #allowErrors: boolean;
  readonly #onCompletion: TrackerOptions["onCompletion"];
  readonly #free: number[] = [];
  readonly #scratch: Uint8Array;
  readonly #expected: Uint8Array;
  readonly #queues: Map<number, number>;
  #version = 0;

  /** Tracks I/O on the driver's first namespace. */
  constructor(host: GuardedHostPort, driver: DriverModel, options: TrackerOptions = {}) {
    const info = driver.info;
    if (!info || info.namespaces.length === 0) {
      throw new PropertyViolation("driver reports no namespace after bring-up");
    }
    this.ns = info.namespaces[0];
    this.#host = host;
    this.#driver = driver;
    this.#allowErrors = options.allowErrors ?? false;
    this.#onCompletion = options.onCompletion;
    this.#scratch = new Uint8Array(this.ns.blockSize);
    this.#expected = new Uint8Array(this.ns.blockSize);
    this.#queues = new Map(info.ioQueues.map((q) => [q.qid, q.depth]));
  }

  /** Commands accepted and not yet ended. */
  get outstanding(): number {
    return this.submitted - this.completed;
  }

  #buffer(): number {
    return this.#free.pop() ?? this.#host.allocate(this.ns.blockSize, BUFFER_ALIGN);
  }

  #problem(message: string): void {
    this.problems.push(message);
  }

  #submit(isRead: boolean, lba: number, context: number): boolean {
    const buffer = this.#buffer();
    const version = isRead ? this.written.get(lba) ?? -1 : ++this.#version;
    if (!isRead) {
      fillPattern(this.#scratch, lba, version, this.ns.blockSize);
      this.#host.memWrite(buffer, this.#scratch);
    }
    const t: Tracked = {
      index: this.submitted,
      isRead,
      lba,
      version,
      buffer,
      ends: 0,
      refused: false,
    };
    const ok = this.#driver.submit({
      opcode: isRead ? NvmOpcode.READ : NvmOpcode.WRITE,
      nsid: this.ns.nsid,
      cdw10: lba >>> 0,
      cdw11: Math.floor(lba / TWO_POW_32),
      cdw12: 0,
      data: [{ addr: buffer, length: this.ns.blockSize }],
      context,
    }, (c) => this.#ended(t, c));
    if (!ok) {
      t.refused = true;
      this.#free.push(buffer);
      if (t.ends > 0) this.#problem(`a refused submit (command #${t.index}) was completed`);
      return false;
    }
    this.submitted++;
    if (!isRead) this.uncertain.add(lba);
    return true;
  }

  /** Submits a one-block write of a new version to `lba`; false when the queue is full. */
  submitWrite(lba: number, context = 0): boolean {
    return this.#submit(false, lba, context);
  }

  /** Submits a one-block read of `lba`; false when the queue is full. */
  submitRead(lba: number, context = 0): boolean {
    return this.#submit(true, lba, context);
  }

  #ended(t: Tracked, c: DriverCompletion): void {
    t.ends++;
    const what = `${t.isRead ? "read" : "write"} #${t.index} (LBA ${t.lba})`;
    if (t.refused) {
      this.#problem(`${what}: submit returned false, yet the command completed`);
      return;
    }
    if (t.ends > 1) {
      this.#problem(`${what} completed ${t.ends} times`);
      return;
    }
    this.completed++;
    const extra = this.#onCompletion?.(c, what);
    if (extra) this.#problem(extra);
    const failed = c.status !== 0 || c.hostError !== null;
    // A buffer is reused only after a clean completion: after an error the device may still
    // hold the command (a timed-out one), and a late DMA must not land in another command's data.
    if (!failed) this.#free.push(t.buffer);
    if (failed) {
      this.errors++;
      if (!this.#allowErrors) {
        this.#problem(
          `${what} ended with status 0x${c.status.toString(16)}` +
            (c.hostError ? ` (host error: ${c.hostError})` : ""),
        );
      }
      return;
    }
    if (c.hostError === null && c.sqid >= 0) {
      const depth = this.#queues.get(c.sqid);
      if (depth === undefined) this.#problem(`${what}: CQE SQID ${c.sqid} is not an I/O queue`);
      else if (c.sqhd >= depth) {
        this.#problem(`${what}: CQE SQ head ${c.sqhd} is outside SQ ${c.sqid} of ${depth} entries`);
      }
      const h = this.sqHeads.get(c.sqid) ?? { count: 0, last: 0 };
      h.count++;
      h.last = c.sqhd;
      this.sqHeads.set(c.sqid, h);
    }
    if (!t.isRead) {
      // Only the newest completed version counts: an older write completing later is overtaken.
      if ((this.written.get(t.lba) ?? -1) < t.version) this.written.set(t.lba, t.version);
      this.uncertain.delete(t.lba);
      return;
    }
    if (t.version < 0 || this.uncertain.has(t.lba)) return; // nothing known to compare with
    this.#host.memRead(t.buffer, this.#scratch);
    fillPattern(this.#expected, t.lba, t.version, this.ns.blockSize);
    for (let i = 0; i < this.#scratch.length; i++) {
      if (this.#scratch[i] !== this.#expected[i]) {
        this.#problem(
          `${what}: byte ${i} reads 0x${this.#scratch[i].toString(16)}, version ${t.version} ` +
            `wrote 0x${this.#expected[i].toString(16)}`,
        );
        return;
      }
    }
  }

  /**
   * Once every command ended: the SQ head reported in each SQ's last completion must be the
   * number of commands the SQ carried, modulo its size — all were fetched before the last
   * completion was posted (Base 2.1 §4.2.1, SQHD). Assumes the driver put no commands of its own
   * on I/O queues and no reset recreated them (any error fails a case first).
   */
  assertSqHeads(): void {
    for (const [sqid, h] of this.sqHeads) {
      const depth = this.#queues.get(sqid)!;
      if (h.last !== h.count % depth) {
        throw new PropertyViolation(
          `SQ ${sqid} carried ${h.count} commands, so its head must be ${h.count % depth} of ` +
            `${depth} after the last completion; the CQE says ${h.last}`,
        );
      }
    }
  }

  /** Throws the first problem as a PropertyViolation. */
  assertClean(): void {
    if (this.problems.length > 0) {
      const more = this.problems.length > 1 ? ` (and ${this.problems.length - 1} more)` : "";
      throw new PropertyViolation(this.problems[0] + more);
    }
  }

  /**
   * Waits until every accepted command ended, within `budgetNs` of virtual time; a command that
   * never ends is a lost completion (PropertyViolation).
   */
  drain(budgetNs: number): void {
    const host = this.#host;
    const saved = host.deadlineNs;
    host.extend(budgetNs);
    try {
      while (this.outstanding > 0) {
        const before = host.now();
        const n = this.#driver.wait(Math.max(1, host.deadlineNs - before));
        // A wait that neither completed anything nor let time pass would spin: let time pass.
        if (n === 0 && host.now() === before) host.sleep(IDLE_STEP_NS);
      }
    } catch (e) {
      if (!(e instanceof HangError)) throw e;
      throw new PropertyViolation(
        `${this.outstanding} of ${this.submitted} commands never completed within ` +
          `${budgetNs / 1e9} s of virtual time (lost completion): ${e.message}`,
      );
    } finally {
      host.deadlineNs = saved;
    }
  }
}
