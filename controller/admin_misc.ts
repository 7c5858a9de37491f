/**
 * Asynchronous Event Request, Abort and Keep Alive (Base 2.1 §5.1.2, §5.1.1, §5.1.16).
 *
 * @module
 */

import { Status } from "../spec/status.ts";
import type { NvmeController } from "./controller.ts";
import { PENDING, type Request } from "./request.ts";

const DNR = 1 << 14;
/** Abort DW0 bit 0: 1 = the command was not aborted. */
const ABORT_NOT_ABORTED = 1;

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
 * Abort (opcode 08h). This controller executes commands as soon as it fetches them, so by the
 * time an Abort runs the target has completed or is an AER; it reports "not aborted" (DW0 bit 0),
 * which the spec allows (§5.1.1). An SQID that does not exist is an Invalid Field.
 */
export function abort(ctrl: NvmeController, req: Request): number {
  const sqid = req.cdw(10) & 0xffff;
  if (!ctrl.sqs[sqid]) return Status.INVALID_FIELD | DNR;
  req.dw0 = ABORT_NOT_ABORTED;
  return 0;
}

/** Keep Alive (opcode 18h): restarts the Keep Alive Timer (keep_alive.ts); always succeeds. */
export function keepAlive(ctrl: NvmeController, _req: Request): number {
  ctrl.keepAlive.restart();
  return 0;
}
