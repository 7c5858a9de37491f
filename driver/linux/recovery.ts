/**
 * Timeouts, disable and reset of the Linux-like driver (`nvme_timeout`, `nvme_dev_disable`,
 * `nvme_reset_work`), all in virtual time:
 *
 * - a request past its deadline: a device that is gone kills the controller; CSTS.CFS resets it;
 *   otherwise the queue is polled first (a missed interrupt); during initialisation a timeout
 *   disables the controller; an admin command, or an I/O command already aborted once, resets it;
 *   otherwise an Abort (Base 2.1 §5.1.1) is sent, limited to ACL + 1 outstanding, and the timer
 *   is re-armed;
 * - disable: delete SQs then CQs (unless the controller is dead: CFS, not ready, or gone), clear
 *   EN or shut down with SHN=normal, reap what was posted, cancel the rest as Host Aborted;
 * - reset: disable, then the whole bring-up again; a failure leaves the controller dead.
 *
 * @module
 */

import { AdminOpcode } from "../../spec/opcodes.ts";
import { RegisterOffset } from "../../spec/registers.ts";
import { type ControllerInfo, DriverError } from "../model.ts";
import type { LinuxCore } from "./core.ts";
import type { LinuxRequest } from "./queue.ts";
import {
  controllerIsDead,
  CSTS_DEVICE_GONE,
  CstsBits,
  disableController,
  readCap,
  shutdownController,
  shutdownTimeoutNs,
} from "./enable.ts";
import { deleteIoQueues } from "./io_queues.ts";
import { bringUp } from "./setup.ts";

/** `nvme_dev_disable`: quiesce, delete I/O queues, disable or shut down, cancel the rest. */
export function disableDevice(core: LinuxCore, shutdown: boolean): void {
  const dead = core.admin === null || controllerIsDead(core);
  if (!dead && core.io.length) {
    if (shutdown && core.state === "live") {
      // A safe shutdown lets in-flight I/O drain first (freeze + wait up to io_timeout).
      let io = 0;
      const busy = () => {
        io = 0;
        for (const q of core.io) io += q.inFlight;
        return io === 0;
      };
      core.waitUntil(busy, core.host.now() + core.options.ioTimeoutNs);
    }
    deleteIoQueues(core);
  }
  if (!dead) {
    try {
      if (shutdown) shutdownController(core, shutdownTimeoutNs(core));
      else disableController(core, readCap(core));
    } catch (e) {
      if (!(e instanceof DriverError)) throw e;
      core.warn(e.message);
    }
  }
  // nvme_reap_pending_cqes, then cancel what is left.
  for (const q of core.io) q.reap(core.handleCqe);
  core.admin?.reap(core.handleCqe);
  core.cancelAll("aborted");
}

/** `nvme_reset_ctrl` + `nvme_reset_work`: disable, then bring-up again. */
export function resetController(core: LinuxCore): ControllerInfo {
  if (core.state === "deleting") throw new DriverError("controller is being removed");
  core.state = "resetting";
  disableDevice(core, false);
  return bringUp(core);
}

function resetFromTimeout(core: LinuxCore): void {
  try {
    resetController(core);
  } catch (e) {
    if (!(e instanceof DriverError)) throw e;
    // bringUp already marked the controller dead and cancelled everything.
  }
}

function describe(req: LinuxRequest): string {
  return `I/O tag ${req.tag} (${req.cid.toString(16).padStart(4, "0")}) QID ${req.queue.qid}`;
}

/** `nvme_timeout` for one expired request. */
function handleTimeout(core: LinuxCore, req: LinuxRequest): void {
  const host = core.host;
  const csts = host.read32(RegisterOffset.CSTS);
  if (csts === CSTS_DEVICE_GONE) {
    core.warn(`${describe(req)} timeout, device not present (CSTS all ones)`);
    core.state = "dead";
    core.cancelAll("dead");
    return;
  }
  if (csts & CstsBits.CFS) {
    core.warn(`controller is down; will reset: CSTS=0x${csts.toString(16)}`);
    resetFromTimeout(core);
    return;
  }
  // A missed interrupt: poll before blaming the device.
  req.queue.reap(core.handleCqe);
  if (!req.inFlight) {
    core.warn(`${describe(req)} timeout, completion polled`);
    return;
  }
  if (core.state === "connecting") {
    core.warn(`${describe(req)} timeout, disable controller`);
    core.state = "dead";
    core.cancelAll("timeout");
    return;
  }
  if (req.queue.qid === 0 || req.aborted) {
    core.warn(`${describe(req)} timeout, reset controller`);
    resetFromTimeout(core);
    return;
  }
  const timeout = core.options.ioTimeoutNs;
  if (core.abortLimit <= 0) {
    req.deadline = host.now() + timeout;
    return;
  }
  core.abortLimit--;
  req.aborted = true;
  core.warn(`${describe(req)} timeout, aborting`);
  const sent = core.submitOn(core.admin!, {
    admin: true,
    opcode: AdminOpcode.ABORT,
    cdw10: (((req.cid & 0xffff) << 16) | req.queue.qid) >>> 0,
  }, (c) => {
    core.abortLimit++;
    core.warn(`Abort status: 0x${c.status.toString(16)}`);
  });
  if (!sent) {
    core.abortLimit++;
    req.aborted = false;
  }
  req.deadline = host.now() + timeout;
}

/** Handles every request whose deadline has passed; recomputes the next deadline. */
export function checkTimeouts(core: LinuxCore): void {
  const now = core.host.now();
  if (now < core.nextDeadline) return;
  const expired: LinuxRequest[] = [];
  let next = Infinity;
  for (const q of [core.admin, ...core.io]) {
    if (!q) continue;
    for (const r of q.tags) {
      if (!r.inFlight) continue;
      if (r.deadline <= now) expired.push(r);
      else if (r.deadline < next) next = r.deadline;
    }
  }
  core.nextDeadline = next;
  for (const r of expired) {
    if (!r.inFlight || core.state === "dead") continue;
    handleTimeout(core, r);
    if (r.inFlight && r.deadline < core.nextDeadline) core.nextDeadline = r.deadline;
  }
}
