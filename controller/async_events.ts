/**
 * Asynchronous event state (Base 2.1 §5.1.2): outstanding Asynchronous Event Request commands,
 * events waiting for one, and per-type masking — after an event of a type is reported, further
 * events of that type are held until the host reads the associated log page with RAE = 0.
 *
 * @example
 * ```ts
 * import { AsyncEvents } from "./async_events.ts";
 * import { Request } from "./request.ts";
 * const e = new AsyncEvents();
 * e.enqueue(2, 0, 0x04);
 * e.addRequest(new Request());
 * const [, dw0] = e.next()!;
 * if (dw0 !== 0x00040002) throw new Error();
 * ```
 *
 * @module
 */

import type { Request } from "./request.ts";

/** Maximum events queued while no AER is outstanding (older ones are dropped beyond this). */
export const MAX_QUEUED_EVENTS = 64;

interface PendingEvent {
  type: number;
  info: number;
  lid: number;
}

/** Outstanding AERs, queued events and masks. */
export class AsyncEvents {
  #requests: Request[] = [];
  #events: PendingEvent[] = [];
  #masked = new Set<number>(); // event types reported and not yet cleared by a log page read
  #lidOfType = new Map<number, number>();

  /** Number of outstanding Asynchronous Event Request commands. */
  get outstanding(): number {
    return this.#requests.length;
  }

  /** Number of events waiting for an AER. */
  get queued(): number {
    return this.#events.length;
  }

  /** Adds an outstanding AER. */
  addRequest(req: Request): void {
    this.#requests.push(req);
  }

  /**
   * Removes an outstanding AER (Abort, Base 2.1 §5.1.1); false when it is not outstanding (it
   * was already completed with an event).
   */
  removeRequest(req: Request): boolean {
    const i = this.#requests.indexOf(req);
    if (i < 0) return false;
    this.#requests.splice(i, 1);
    return true;
  }

  /** Queues an event (duplicates of a queued type/info/lid are merged). */
  enqueue(type: number, info: number, lid: number): void {
    if (this.#events.some((e) => e.type === type && e.info === info && e.lid === lid)) return;
    if (this.#events.length >= MAX_QUEUED_EVENTS) this.#events.shift();
    this.#events.push({ type, info, lid });
  }

  /**
   * The next AER to complete with its DW0 (`AET | AEI << 8 | LID << 16`), or null. Reporting an
   * event masks its type until {@linkcode logPageRead} clears it.
   */
  next(): [Request, number] | null {
    if (this.#requests.length === 0) return null;
    const i = this.#events.findIndex((e) => !this.#masked.has(e.type));
    if (i < 0) return null;
    const [e] = this.#events.splice(i, 1);
    this.#masked.add(e.type);
    this.#lidOfType.set(e.type, e.lid);
    return [this.#requests.shift()!, (e.type | (e.info << 8) | (e.lid << 16)) >>> 0];
  }

  /** The host read log page `lid` with RAE = 0: unmask the event types it was reported for. */
  logPageRead(lid: number): void {
    for (const [type, l] of this.#lidOfType) {
      if (l === lid) {
        this.#masked.delete(type);
        this.#lidOfType.delete(type);
      }
    }
  }

  /** Controller reset: outstanding AERs are dropped, queued events and masks cleared. */
  reset(): void {
    this.#requests = [];
    this.#events = [];
    this.#masked.clear();
    this.#lidOfType.clear();
  }
}
