/**
 * Asynchronous Event Request helpers of the doorbell cases (Base 2.1 §5.1.2): post an AER without
 * waiting, then collect its completion (if any) within a bound; and a check that a queue stayed
 * silent for a while.
 *
 * @module
 */

import { AsyncEventRequest } from "../../spec/admin_commands.ts";
import { AsyncEventCompletion } from "../../spec/async_events.ts";
import { AdminOpcode } from "../../spec/opcodes.ts";
import { decodeValue } from "../../spec/struct.ts";
import type { CaseContext } from "../case.ts";
import { type Completion, pollUntil, type RawController, type RawQueue } from "../raw_host.ts";

/** How long a case waits for an event or a completion that may come (virtual ns). */
export const EVENT_WAIT_NS = 10_000_000;
/** How long a case watches a queue that must stay silent (virtual ns). */
export const QUIET_WAIT_NS = 2_000_000;

/** Decoded AER completion DW0 (Base 2.1 §5.1.2.1). */
export interface AsyncEvent {
  /** Asynchronous Event Type (bits 2:0). */
  readonly type: number;
  /** Asynchronous Event Information (bits 15:8). */
  readonly info: number;
  /** Log Page Identifier (bits 23:16). */
  readonly lid: number;
}

/** Decodes an AER completion's DW0 through the spec layout. */
export function asyncEvent(c: Completion): AsyncEvent {
  const e = decodeValue(AsyncEventCompletion, c.dw0);
  return { type: e.aet, info: e.aei, lid: e.lid };
}

/** Time given to the controller to fetch a just-submitted AER (virtual ns). */
const AER_FETCH_NS = 100_000;

/**
 * Submits an Asynchronous Event Request and returns its CID (it completes only on an event). It
 * then lets the controller fetch it: some controllers (QEMU) report a doorbell error only to an
 * AER they already hold, and drop the event otherwise.
 */
export function postAer(ctrl: RawController): number {
  const cid = ctrl.admin.submit(
    AsyncEventRequest.encode({ opcode: AdminOpcode.ASYNC_EVENT_REQUEST }),
  );
  ctrl.host.sleep(AER_FETCH_NS);
  return cid;
}

/** The completion of admin command `cid` if it arrives within `ns`, else null. */
export function awaitAdmin(
  ctrl: RawController,
  cid: number,
  ns = EVENT_WAIT_NS,
): Completion | null {
  let found: Completion | null = null;
  pollUntil(ctrl.host, () => {
    for (let c = ctrl.admin.take(); c; c = ctrl.admin.take()) {
      ctrl.admin.release();
      if (c.cid === cid) found = c;
    }
    return found !== null;
  }, ns);
  return found;
}

/** Fails the case if `q`'s CQ receives any completion within `ns`. */
export function expectQuiet(ctx: CaseContext, q: RawQueue, what: string, ns = QUIET_WAIT_NS): void {
  const got = q.collect(ns);
  ctx.check(
    got.length === 0,
    `${what}: ${got.length} completion(s) arrived (first CID ${got[0]?.cid}, status 0x${
      (got[0]?.status ?? 0).toString(16)
    })`,
  );
}
