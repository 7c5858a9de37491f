/**
 * The SPDK-like driver model: a poll-only host driver that behaves as SPDK's userspace NVMe PCIe
 * driver does (reference/linux-driver.md §10), written against {@linkcode DriverModel}. It exists
 * to prove the driver-model interface is not shaped around the Linux-like driver, and to give the
 * benchmark a second personality (no interrupts at all, one MMIO SQ doorbell per submit unless
 * batched, SPDK's inclusive `need_event`, one flat PRP list, SGLs with no threshold).
 *
 * Recovery is the application's job, as in SPDK: a command past its timeout is only reported
 * (`onTimeout`), unless `timeoutAction: "reset"` asks for bdev_nvme's reset-on-timeout. When a
 * wait notices CSTS all ones (device gone) or CSTS.CFS, the controller is marked failed and every
 * command in flight ends with host error "dead" (SPDK's `nvme_ctrlr_fail`); `reset()` recovers.
 *
 * @example Bring up, write one block
 * ```ts
 * import { Machine } from "../../platform/machine.ts";
 * import { NvmeController } from "../../controller/controller.ts";
 * import { SpdkDriver } from "./driver.ts";
 * const host = new Machine().attach(new NvmeController());
 * const driver = new SpdkDriver(host);
 * const info = driver.bringUp();
 * const ns = info.namespaces[0];
 * const buf = host.allocate(ns.blockSize, 4096);
 * host.memFill(buf, ns.blockSize, 0xa5);
 * let status = -1;
 * const data = [{ addr: buf, length: ns.blockSize }];
 * driver.submit({ opcode: 0x01, nsid: ns.nsid, data }, (c) => (status = c.status));
 * while (status < 0) driver.wait(1_000_000);
 * if (status !== 0 || info.ioQueues[0].polled !== true) throw new Error();
 * driver.shutdown();
 * ```
 *
 * @module
 */

import type { HostPort } from "../../platform/ports.ts";
import {
  type CompletionCallback,
  type ControllerInfo,
  dataLength,
  type DriverCommand,
  DriverError,
  type DriverModel,
  type HostErrorKind,
} from "../model.ts";
import { RegisterOffset } from "../../spec/registers.ts";
import {
  ALL_ONES,
  type Capabilities,
  CcBits,
  CstsBits,
  disableController,
  shutdownController,
} from "./bring_up.ts";
import {
  deleteIoQueuePair,
  type DriverResources,
  HEALTH_CHECK_NS,
  initController,
  makeAdminExec,
} from "./controller_init.ts";
import { HostEndedQueue } from "./host_ended.ts";
import { resolveSpdkOptions, type SpdkDriverOptions, type SpdkTimeoutEvent } from "./options.ts";
import type { QueuePair } from "./qpair.ts";
import type { TakenTracker } from "./tracker.ts";

/** Polls before `wait` starts sleeping, and its sleep steps (short: I/O is latency bound). */
const WAIT_POLL_SPINS = 64;
const WAIT_FIRST_SLEEP_NS = 1_000;
const WAIT_MAX_SLEEP_NS = 100_000;
/** How often a wait scans for timed-out commands. */
const TIMEOUT_SCAN_NS = 1_000_000;
/** RTD3E is in microseconds. */
const US = 1_000;
const STAT_KEYS = ["sqShadowUpdates", "sqMmio", "cqShadowUpdates", "cqMmio"] as const;

/** The SPDK-like driver. Build it with `createDriver` (mod.ts) or `new SpdkDriver(host, opts)`. */
export class SpdkDriver implements DriverModel {
  /** Driver name. */
  readonly name = "spdk";
  /** Resolved options. */
  readonly options: SpdkDriverOptions;
  /** Warnings (a refused Doorbell Buffer Config, a shutdown that did not complete, …). */
  readonly warnings: string[] = [];

  readonly #host: HostPort;
  #state: "down" | "ready" | "failed" = "down";
  #info: ControllerInfo | null = null;
  #cap: Capabilities | null = null;
  #res: DriverResources = { admin: null, io: [], dbbuf: null, scratch: 0 };
  #ended = new HostEndedQueue();
  #epoch = 0;
  #nextTimeoutScan = 0;
  #nextHealthCheck = 0;

  /** Validates the options (a DriverError names the bad one); touches no hardware. */
  constructor(host: HostPort, options: Readonly<Record<string, unknown>> = {}) {
    this.#host = host;
    this.options = resolveSpdkOptions(options);
  }

  /** What the last bring-up found; null before it, after a failed one, and after shutdown. */
  get info(): ControllerInfo | null {
    return this.#info;
  }

  /** Commands submitted whose callback has not run yet. */
  get inFlight(): number {
    let n = this.#ended.length;
    for (const qp of this.#qpairs()) n += qp.outstanding;
    return n;
  }

  /** The admin qpair (for tests and tools), null when down. */
  get adminQueuePair(): QueuePair | null {
    return this.#res.admin;
  }

  /** The I/O qpairs (for tests and tools). */
  get ioQueuePairs(): readonly QueuePair[] {
    return this.#res.io;
  }

  /** SPDK-style statistics over every qpair: doorbell updates, dropped CQEs, ignored SQHDs. */
  get stats(): Record<string, number> {
    const s = { ...Object.fromEntries(STAT_KEYS.map((k) => [k, 0])) };
    s.invalidCompletions = s.invalidSqHeads = 0;
    for (const qp of this.#qpairs()) {
      for (const k of STAT_KEYS) s[k] += qp.stats[k];
      s.invalidCompletions += qp.invalidCompletions;
      s.invalidSqHeads += qp.invalidSqHeads;
    }
    return s;
  }

  #qpairs(): QueuePair[] {
    const { admin, io } = this.#res;
    return admin ? [admin, ...io] : io;
  }

  /** Brings the controller up from whatever state it is in (in-flight commands end aborted). */
  bringUp(): ControllerInfo {
    return this.#restart();
  }

  /** Controller reset: CC.EN = 0, in-flight commands end (Host Aborted), then bring-up again. */
  reset(): ControllerInfo {
    return this.#restart();
  }

  /** Queues a command; false only when its qpair has no free tracker or SQ slot. Never waits. */
  submit(cmd: DriverCommand, done: CompletionCallback): boolean {
    if (this.#state !== "ready") {
      this.#ended.push(done, "dead", -1);
      return true;
    }
    const io = this.#res.io;
    const qp = cmd.admin ? this.#res.admin! : io[this.#queueIndex(cmd.context, io.length)];
    if (!qp.canSubmit()) return false;
    if (dataLength(cmd.data) > this.#info!.maxTransferBytes) {
      this.#badBuffer(done, `longer than ${this.#info!.maxTransferBytes} bytes (MDTS, PRPs)`);
      return true;
    }
    const o = this.options;
    const timeout = cmd.timeoutNs ?? (cmd.admin ? o.adminTimeoutNs : o.timeoutNs);
    const error = qp.submit(cmd, done, this.#host.now(), timeout);
    if (error !== null) this.#badBuffer(done, error);
    return true;
  }

  #queueIndex(context: number | undefined, n: number): number {
    const c = context ?? 0;
    return Number.isInteger(c) ? ((c % n) + n) % n : 0;
  }

  #badBuffer(done: CompletionCallback, why: string): void {
    this.#ended.push(done, "bad-buffer", -1);
    const t = this.#host.trace;
    if (t.enabled) t.emit({ type: "host_note", text: `spdk: bad buffer: ${why}` });
  }

  /** Rings every SQ doorbell a batch (`more`, `delayCmdSubmit`) left pending. */
  flush(): void {
    for (const qp of this.#qpairs()) qp.ringSq();
  }

  /** Host-ended commands first, then the admin qpair, then each I/O qpair; returns callbacks run. */
  processCompletions(): number {
    let n = this.#ended.deliver();
    const epoch = this.#epoch, max = this.options.maxCompletions;
    for (const qp of this.#qpairs()) {
      if (this.#epoch !== epoch) break; // a callback reset or shut the driver down
      n += qp.process(max);
    }
    return n;
  }

  /**
   * Polls (then sleeps in growing steps) until something completes or `timeoutNs` passes. Also
   * where timed-out commands are reported and CSTS is watched while commands are in flight.
   */
  wait(timeoutNs: number): number {
    let n = this.processCompletions();
    if (n > 0 || !(timeoutNs > 0)) return n;
    const host = this.#host, deadline = host.now() + timeoutNs;
    let spins = 0, step = WAIT_FIRST_SLEEP_NS;
    for (;;) {
      const now = host.now();
      if (now >= deadline) return 0;
      if (this.inFlight === 0) {
        host.sleep(deadline - now);
        return this.processCompletions();
      }
      if (spins < WAIT_POLL_SPINS) {
        spins++;
        host.poll();
      } else {
        host.sleep(Math.min(step, deadline - now));
        step = Math.min(step * 2, WAIT_MAX_SLEEP_NS);
      }
      n = this.processCompletions();
      if (n > 0) return n;
      const acted = this.#housekeeping();
      if (acted >= 0) return acted;
    }
  }

  /** Timeout scan and CSTS watch; returns -1 when nothing happened, else commands ended. */
  #housekeeping(): number {
    const now = this.#host.now(), o = this.options;
    let acted = -1;
    if ((o.onTimeout || o.timeoutAction === "reset") && now >= this.#nextTimeoutScan) {
      this.#nextTimeoutScan = now + TIMEOUT_SCAN_NS;
      const late: SpdkTimeoutEvent[] = [];
      for (const qp of this.#qpairs()) {
        qp.forEachActive((tr) => {
          if (tr.timedOut || tr.timeoutNs <= 0 || now - tr.submittedNs < tr.timeoutNs) return;
          tr.timedOut = true;
          const { cid, opcode, submittedNs } = tr;
          late.push({ qid: qp.qid, cid, opcode, submittedNs, nowNs: now });
        });
      }
      if (late.length > 0) {
        const epoch = this.#epoch;
        for (const event of late) o.onTimeout?.(event);
        acted = 0;
        if (o.timeoutAction === "reset" && this.#epoch === epoch) acted = this.#recover();
      }
    }
    if (this.#state === "ready" && now >= this.#nextHealthCheck) {
      this.#nextHealthCheck = now + HEALTH_CHECK_NS;
      const csts = this.#host.read32(RegisterOffset.CSTS);
      if (csts === ALL_ONES) return this.#fail("device gone (CSTS reads all ones)");
      if (csts & CstsBits.CFS) {
        return o.timeoutAction === "reset" ? this.#recover() : this.#fail("CSTS.CFS set");
      }
    }
    return acted;
  }

  /** bdev_nvme's reset-on-timeout: returns commands ended; a failed reset leaves it failed. */
  #recover(): number {
    const before = this.inFlight;
    try {
      this.#restart();
    } catch (e) {
      if (!(e instanceof DriverError)) throw e;
      this.warnings.push(`reset after a timeout failed: ${e.message}`);
    }
    return before;
  }

  /** Marks the controller failed and ends every command in flight with host error "dead". */
  #fail(reason: string): number {
    this.#state = "failed";
    this.warnings.push(`controller failed: ${reason}; reset() to recover`);
    this.#endAll(this.#takeAll(), "dead");
    return this.#ended.deliver();
  }

  /** Orderly shutdown: delete each qpair (SQ, then CQ), SHN = normal, wait SHST complete. */
  shutdown(): void {
    if (this.#state !== "down") {
      this.#epoch++;
      const { admin, io } = this.#res;
      if (this.#state === "ready" && admin) {
        const exec = makeAdminExec(this.#host, admin, this.options.adminTimeoutNs);
        try {
          for (const qp of io) deleteIoQueuePair(exec, qp.qid);
        } catch (e) {
          if (!(e instanceof DriverError)) throw e;
          this.warnings.push(`shutdown: ${e.message}`);
        }
      }
      const ended = this.#takeAll();
      const rtd3e = (this.#info?.identify.rtd3e ?? 0) * US;
      const timeout = Math.max(this.options.shutdownTimeoutNs, rtd3e);
      if (!shutdownController(this.#host, timeout)) {
        this.warnings.push(`shutdown: CSTS.SHST did not reach complete within ${timeout / 1e6} ms`);
      }
      this.#release();
      this.#state = "down";
      this.#info = null;
      this.#endAll(ended, "aborted");
    }
    this.#ended.deliver();
  }

  // ---- bring-up and teardown ----

  #restart(): ControllerInfo {
    this.#epoch++;
    if (this.#cap && this.#state !== "down") {
      try {
        disableController(this.#host, this.#cap); // no DMA once RDY is 0
      } catch (e) {
        if (!(e instanceof DriverError)) throw e; // bring-up below reports it
      }
    }
    const ended = this.#takeAll();
    this.#release();
    this.#info = null;
    this.#state = "down";
    try {
      const r = initController(this.#host, this.options, this.#res, (w) => this.warnings.push(w));
      this.#cap = r.cap;
      this.#info = r.info;
      this.#state = "ready";
      this.#nextHealthCheck = this.#host.now() + HEALTH_CHECK_NS;
      return r.info;
    } catch (e) {
      this.#abandon();
      throw e;
    } finally {
      this.#endAll(ended, "aborted");
      this.#ended.deliver();
    }
  }

  /** After a failed bring-up: stop the controller (no wait) before its memory is freed. */
  #abandon(): void {
    const cc = this.#host.read32(RegisterOffset.CC);
    if (cc !== ALL_ONES) this.#host.write32(RegisterOffset.CC, cc & ~CcBits.EN);
    this.#takeAll();
    this.#release();
  }

  #takeAll(): TakenTracker[] {
    return this.#qpairs().flatMap((qp) => qp.takeAll());
  }

  #release(): void {
    const r = this.#res;
    for (const qp of this.#qpairs()) qp.destroy();
    r.dbbuf?.free();
    if (r.scratch) this.#host.free(r.scratch);
    this.#res = { admin: null, io: [], dbbuf: null, scratch: 0 };
  }

  /** Queues the callbacks of taken trackers (a reported timeout ends as "timeout"). */
  #endAll(ended: readonly TakenTracker[], kind: HostErrorKind): void {
    for (const e of ended) this.#ended.push(e.done, e.timedOut ? "timeout" : kind, e.cid);
  }
}
