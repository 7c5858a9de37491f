/**
 * Asynchronous Event Request, Abort and Keep Alive (Base 2.1 §5.1.2, §5.1.1, §5.1.14).
 *
 * @module
 */

import { Status, STATUS_DNR as DNR } from "../spec/status.ts";
import type { NvmeController } from "./controller.ts";
import { PENDING, type Request } from "./request.ts";

/** Abort DW0 bit 0: 1 = the command was not aborted, 0 = it was. */
const ABORT_NOT_ABORTED = 1;
const ABORT_ABORTED = 0;

/** Asynchronous Event Request (opcode 0Ch): held until an event arrives; AERL + 1 at most. */
export function asyncEventRequest(ctrl: NvmeController, req: Request): number {
  // The `aer-limit-not-enforced` mutant (mutants.ts) accepts any number.
  if (ctrl.events.outstanding >= ctrl.options.aerl + 1 && !ctrl.mutants["aer-limit-not-enforced"]) {
    return Status.ASYNC_EVENT_REQUEST_LIMIT_EXCEEDED | DNR;
  }
  ctrl.events.addRequest(req);
  ctrl.deliverAsyncEvents();
  return PENDING;
}

/**
 * Abort (opcode 08h, Base 2.1 §5.1.1). CDW10: SQID in bits 15:0, CID in bits 31:16.
 *
 * - An SQID that does not exist is an Invalid Field.
 * - More than ACL + 1 Abort commands outstanding at once (this one included) is Abort Command
 *   Limit Exceeded (command specific 03h). Aborts complete when they run, so only a command
 *   latency (`commandLatencyNs`) keeps several outstanding.
 * - The target is looked up among the commands this controller fetched from that SQ and has not
 *   completed ({@linkcode QueueEngine.abortCommand}): an outstanding AER, or an I/O command whose
 *   completion the latency model still holds, completes with Command Abort Requested (00/07h)
 *   before the Abort, and the Abort reports DW0 bit 0 = 0 ("aborted"). An aborted I/O has
 *   already been executed against the media when it was fetched (only its completion was held),
 *   so an aborted Write may have changed the data: Abort is best effort, and the spec leaves the
 *   state of an aborted command's data unspecified.
 * - Otherwise DW0 bit 0 = 1 ("not aborted"): a CID not outstanding (already completed, or never
 *   submitted), an admin command other than an AER (it took effect when fetched), and — a
 *   decision — a command still in the SQ that the controller has not fetched: Abort is best
 *   effort, and the controller does not read ahead of its SQ head looking for it; the command
 *   is fetched and runs normally.
 */
export function abort(ctrl: NvmeController, req: Request): number {
  const cdw10 = req.cdw(10);
  const sqid = cdw10 & 0xffff, cid = cdw10 >>> 16;
  if (!ctrl.sqs[sqid]) return Status.INVALID_FIELD | DNR;
  if (ctrl.outstandingAborts() > ctrl.options.acl + 1) return Status.ABORT_COMMAND_LIMIT_EXCEEDED;
  req.dw0 = ctrl.abortCommand(sqid, cid) ? ABORT_ABORTED : ABORT_NOT_ABORTED;
  return 0;
}

/** Keep Alive (opcode 18h): restarts the Keep Alive Timer (keep_alive.ts); always succeeds. */
export function keepAlive(ctrl: NvmeController, _req: Request): number {
  ctrl.keepAlive.restart();
  return 0;
}
