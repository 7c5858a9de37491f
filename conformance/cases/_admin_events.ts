/**
 * Private helpers for cases that keep Asynchronous Event Requests outstanding (Base 2.1 §5.1.2):
 * an admin pump that never drops a completion it was not waiting for (an AER may complete while
 * another admin command runs), AER completion checks, and the invalid-doorbell writes that make
 * a controller report an Error status event (Base 2.1 §5.1.2.1, Asynchronous Event Information –
 * Error Status).
 *
 * @module
 */

import type { HostPort } from "../../platform/ports.ts";
import { AsyncEventRequest, Cns } from "../../spec/admin_commands.ts";
import { AsyncEventCompletion, AsyncEventType, ErrorEvent } from "../../spec/async_events.ts";
import { IdentifyController } from "../../spec/identify_controller.ts";
import { errorLogSize, LogPageId } from "../../spec/log_page_ids.ts";
import { sqTailDoorbell } from "../../spec/doorbell.ts";
import { AdminOpcode } from "../../spec/opcodes.ts";
import { decodeValue } from "../../spec/struct.ts";
import type { AsyncEventCompletionValue } from "../../spec/value_types.ts";
import { type CaseContext, CaseFailure } from "../case.ts";
import {
  type Completion,
  DEFAULT_COMMAND_TIMEOUT_NS,
  pollUntil,
  type RawQueue,
} from "../raw_host.ts";
import { type Admin, getLogPage, hex, identifyOk } from "./_admin_util.ts";

/** How long a case watches for a completion that must not come: 20 ms of target time. */
export const QUIET_WINDOW_NS = 20_000_000;
/** How long a case waits for an event the target must report: 1 s of target time. */
export const EVENT_TIMEOUT_NS = 1_000_000_000;
/** DW0 bits an AER completion leaves reserved: 7:3 and 31:24 (Base 2.1 §5.1.2.1). */
const AER_DW0_RESERVED = 0xff00_00f8;

/** An admin queue driver that keeps every completion it did not wait for. */
export class AdminPump implements Admin {
  /** Completions that arrived while waiting for another command. */
  readonly stash: Completion[] = [];

  /** Wraps the admin queue `q`. */
  constructor(readonly q: RawQueue) {}

  /** The host port. */
  get host(): HostPort {
    return this.q.host;
  }

  /** Submits `sqe`; returns its CID. */
  submit(sqe: Uint8Array): number {
    return this.q.submit(sqe);
  }

  /** Submits `sqe` and waits for its completion. */
  exec(sqe: Uint8Array): Completion {
    return this.waitFor(this.submit(sqe));
  }

  /** Waits for `cid`'s completion (failing the case after `timeoutNs`). */
  waitFor(cid: number, timeoutNs = DEFAULT_COMMAND_TIMEOUT_NS): Completion {
    const c = this.within(cid, timeoutNs);
    if (c === null) throw new CaseFailure(`no completion for admin CID ${cid}`);
    return c;
  }

  /** `cid`'s completion if it arrives within `ns`, else null. */
  within(cid: number, ns: number): Completion | null {
    let found: Completion | null = this.#fromStash(cid);
    if (found) return found;
    pollUntil(this.host, () => {
      for (let c = this.q.take(); c; c = this.q.take()) {
        this.q.release();
        if (c.cid === cid) found = c;
        else this.stash.push(c);
      }
      return found !== null;
    }, ns);
    return found;
  }

  /** Everything that completes within `ns` (stash included), emptying the stash. */
  drain(ns: number): Completion[] {
    this.host.sleep(ns);
    for (let c = this.q.take(); c; c = this.q.take()) {
      this.q.release();
      this.stash.push(c);
    }
    return this.stash.splice(0);
  }

  #fromStash(cid: number): Completion | null {
    const i = this.stash.findIndex((c) => c.cid === cid);
    return i < 0 ? null : this.stash.splice(i, 1)[0];
  }
}

/**
 * Submits one Asynchronous Event Request; returns its CID (it stays outstanding). Unlike
 * `postAer` in `_io_events.ts` it does not wait for the fetch: callers batch AERs
 * (`submitAers`) or wait for an event themselves.
 */
export function submitAer(pump: AdminPump): number {
  return pump.submit(AsyncEventRequest.encode({ opcode: AdminOpcode.ASYNC_EVENT_REQUEST }));
}

/** AERs written to the admin SQ before the controller is given time to fetch them. */
const AER_BATCH = 8;
/** Time given to the controller to fetch a batch: 1 ms of target time. */
const FETCH_PAUSE_NS = 1_000_000;

/**
 * Submits `n` AERs in batches, pausing after each so the controller fetches them as they come
 * rather than finding the whole run at once. Returns their CIDs.
 */
export function submitAers(pump: AdminPump, n: number): number[] {
  const cids: number[] = [];
  for (let i = 0; i < n; i++) {
    if (i > 0 && i % AER_BATCH === 0) pump.host.sleep(FETCH_PAUSE_NS);
    cids.push(submitAer(pump));
  }
  pump.host.sleep(FETCH_PAUSE_NS);
  return cids;
}

/** What an event completion must say. */
export interface ExpectedEvent {
  /** Asynchronous Event Type. */
  readonly aet: number;
  /** Asynchronous Event Information. */
  readonly aei: number;
  /** Log Page Identifier. */
  readonly lid: number;
}

/**
 * Waits for the AER `cid` to complete successfully with the event `want`, checking the reserved
 * bits of DW0 (Base 2.1 §5.1.2.1); returns the decoded DW0.
 */
export function expectEvent(
  ctx: CaseContext,
  pump: AdminPump,
  cid: number,
  want: ExpectedEvent,
  what: string,
): AsyncEventCompletionValue {
  const c = pump.within(cid, EVENT_TIMEOUT_NS);
  if (c === null) ctx.fail(`${what}: the outstanding AER did not complete`);
  return checkEvent(ctx, c, want, what);
}

/** Fails unless the AER completion `c` reports `want` with reserved DW0 bits clear. */
export function checkEvent(
  ctx: CaseContext,
  c: Completion,
  want: ExpectedEvent,
  what: string,
): AsyncEventCompletionValue {
  ctx.expectStatus(c, 0, `${what}: AER completion`);
  const e = decodeValue(AsyncEventCompletion, c.dw0);
  ctx.check(
    e.aet === want.aet && e.aei === want.aei && e.lid === want.lid,
    `${what}: AER DW0 ${hex(c.dw0)} is type ${e.aet} info ${hex(e.aei)} log ${hex(e.lid)}, ` +
      `expected type ${want.aet} info ${hex(want.aei)} log ${hex(want.lid)}`,
  );
  ctx.check(
    (c.dw0 & AER_DW0_RESERVED) === 0,
    `${what}: AER DW0 ${hex(c.dw0)} sets reserved bits`,
  );
  return e;
}

/** Fails unless AER `cid` stays outstanding for {@linkcode QUIET_WINDOW_NS}. */
export function expectNoEvent(ctx: CaseContext, pump: AdminPump, cid: number, what: string): void {
  const c = pump.within(cid, QUIET_WINDOW_NS);
  ctx.check(
    c === null,
    `${what}: the AER completed (status ${hex(c?.status ?? 0)}, DW0 ${hex(c?.dw0 ?? 0)})`,
  );
}

/**
 * Writes the SQ Tail doorbell of `qid`, a queue that was not created: a Write to Invalid
 * Doorbell Register (Base 2.1 §5.1.2.1, Error Status information 00h).
 */
export function writeUncreatedSqDoorbell(host: HostPort, dstrd: number, qid: number): void {
  host.write32(sqTailDoorbell(qid, dstrd), 1);
}

/** Enables the controller (admin queues of `adminDepth` entries) and returns a pump. */
export function enablePump(ctx: CaseContext, adminDepth?: number): AdminPump {
  return new AdminPump(ctx.ctrl.enable({ adminDepth }));
}

/** The queue a case pretends exists when it writes an invalid doorbell register. */
export const UNCREATED_QID = 1;

/** The Error status event an SQ Tail doorbell write for an uncreated queue reports. */
export const INVALID_REGISTER_EVENT: ExpectedEvent = {
  aet: AsyncEventType.ERROR,
  aei: ErrorEvent.INVALID_DOORBELL_REGISTER,
  lid: LogPageId.ERROR,
};

/** The Error status event an out-of-range doorbell value reports. */
export const INVALID_VALUE_EVENT: ExpectedEvent = {
  aet: AsyncEventType.ERROR,
  aei: ErrorEvent.INVALID_DOORBELL_VALUE,
  lid: LogPageId.ERROR,
};

/** Posts an AER, writes the doorbell of an uncreated SQ, and checks the Error event it reports. */
export function raiseInvalidRegisterEvent(ctx: CaseContext, pump: AdminPump, what: string): void {
  const cid = submitAer(pump);
  writeUncreatedSqDoorbell(pump.host, ctx.ctrl.dstrd, UNCREATED_QID);
  expectEvent(ctx, pump, cid, INVALID_REGISTER_EVENT, what);
}

/** Reads the whole Error Information log (ELPE + 1 entries) with `rae`; it must succeed. */
export function readErrorLog(ctx: CaseContext, pump: AdminPump, rae: number): void {
  const { elpe } = IdentifyController.decode(identifyOk(ctx, pump, Cns.CONTROLLER));
  const r = getLogPage(pump, LogPageId.ERROR, errorLogSize(elpe), { rae });
  ctx.expectStatus(r.c, 0, `Get Log Page Error Information (RAE ${rae})`);
}

/**
 * After the Error event type was reported and then cleared (log read with RAE = 0), an Error
 * event must be reported again to the outstanding AER `cid`: the event held while the type was
 * masked, or a fresh one this writes.
 */
export function expectErrorEventsUnmasked(
  ctx: CaseContext,
  pump: AdminPump,
  cid: number,
  what: string,
): void {
  const held = pump.within(cid, QUIET_WINDOW_NS);
  if (held === null) {
    writeUncreatedSqDoorbell(pump.host, ctx.ctrl.dstrd, UNCREATED_QID);
    expectEvent(ctx, pump, cid, INVALID_REGISTER_EVENT, what);
    return;
  }
  ctx.expectStatus(held, 0, `${what}: AER completion`);
  const e = decodeValue(AsyncEventCompletion, held.dw0);
  ctx.check(e.aet === AsyncEventType.ERROR, `${what}: held event has type ${e.aet}, not Error`);
}

/**
 * With the Error event type masked (reported, its log not yet read with RAE = 0): a new AER gets
 * no event for another invalid doorbell write; after the Error log is read with RAE = 0 an Error
 * event must reach it (Base 2.1 §5.1.2).
 */
export function expectErrorEventsMaskedUntilLogRead(
  ctx: CaseContext,
  pump: AdminPump,
  masked: string,
  unmasked: string,
): void {
  const cid = submitAer(pump);
  writeUncreatedSqDoorbell(ctx.host, ctx.ctrl.dstrd, UNCREATED_QID);
  expectNoEvent(ctx, pump, cid, masked);
  readErrorLog(ctx, pump, 0);
  expectErrorEventsUnmasked(ctx, pump, cid, unmasked);
}
