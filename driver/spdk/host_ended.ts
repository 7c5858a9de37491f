/**
 * Commands the host ends itself — a buffer it cannot describe, a controller that is dead or was
 * reset — are queued here and their callbacks run from the next `processCompletions` (or from
 * `reset` / `shutdown`), never from `submit`: the driver-model contract says a callback runs from
 * those calls only. Statuses follow driver/model.ts: Host Aborted (371h) for commands the driver
 * cancels, Internal Error for data it could not map.
 *
 * @example
 * ```ts
 * import { HostEndedQueue } from "./host_ended.ts";
 * const q = new HostEndedQueue();
 * let kind: string | null = null;
 * q.push((c) => (kind = c.hostError), "bad-buffer", -1);
 * if (q.length !== 1 || q.deliver() !== 1 || kind !== "bad-buffer") throw new Error();
 * ```
 *
 * @module
 */

import {
  blankCompletion,
  type CompletionCallback,
  type DriverCompletion,
  type HostErrorKind,
  hostErrorStatus,
} from "../model.ts";

interface Ended {
  readonly done: CompletionCallback;
  readonly kind: HostErrorKind;
  readonly cid: number;
}

/** The queue of host-ended commands. */
export class HostEndedQueue {
  #queue: Ended[] = [];
  readonly #c: DriverCompletion = blankCompletion({ sqid: -1, sqhd: -1, cid: -1 });

  /** Commands waiting for their callback. */
  get length(): number {
    return this.#queue.length;
  }

  /** Queues one (`cid` -1 when it never got one). */
  push(done: CompletionCallback, kind: HostErrorKind, cid: number): void {
    this.#queue.push({ done, kind, cid });
  }

  /** Runs the callbacks queued so far (not those queued by the callbacks); returns how many. */
  deliver(): number {
    if (this.#queue.length === 0) return 0;
    const batch = this.#queue;
    this.#queue = [];
    const c = this.#c;
    for (const e of batch) {
      c.status = hostErrorStatus(e.kind);
      c.dnr = e.kind === "bad-buffer" || e.kind === "dead"; // retrying cannot help those
      c.more = false;
      c.crd = 0;
      c.dw0 = c.dw1 = 0;
      c.sqid = c.sqhd = -1;
      c.cid = e.cid;
      c.hostError = e.kind;
      e.done(c);
    }
    return batch.length;
  }
}
