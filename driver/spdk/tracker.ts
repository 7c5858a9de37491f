/**
 * SPDK's trackers: each command in flight owns one, and its index is the command identifier (no
 * generation bits). A qpair of `entries` slots keeps `clamp(entries / 4, 1, 128)` of them out of
 * the pool — the same number is the most completions one `process_completions` call reaps — so
 * `num_trackers = entries − clamp(entries / 4, 1, 128)`: 192 for 256 entries.
 *
 * @example
 * ```ts
 * import { maxCompletionsCap, trackerCount } from "./tracker.ts";
 * if (trackerCount(256) !== 192 || maxCompletionsCap(2) !== 1 || trackerCount(2) !== 1) {
 *   throw new Error();
 * }
 * ```
 *
 * @module
 */

import type { CompletionCallback } from "../model.ts";

/** Upper bound of the cap (SPDK's `max_completions_cap` clamp). */
const MAX_COMPLETIONS_CAP = 128;
/** A quarter of the entries, before the clamp. */
const CAP_DIVISOR = 4;

/** `clamp(entries / 4, 1, 128)`: completions per call, and the entries kept out of the pool. */
export function maxCompletionsCap(entries: number): number {
  return Math.min(MAX_COMPLETIONS_CAP, Math.max(1, Math.floor(entries / CAP_DIVISOR)));
}

/** Trackers of a qpair with `entries` slots. */
export function trackerCount(entries: number): number {
  return entries - maxCompletionsCap(entries);
}

/** A command in flight, and the 4 KiB page holding its PRP list or SGL segment. */
export class Tracker {
  /** In use. */
  active = false;
  /** Already reported as timed out (SPDK reports a command once). */
  timedOut = false;
  /** Its completion callback. */
  done: CompletionCallback | null = null;
  /** Opcode, for timeout reports. */
  opcode = 0;
  /** Virtual time of submission. */
  submittedNs = 0;
  /** Its timeout (0 = none). */
  timeoutNs = 0;
  /** Binds the CID and the tracker page. */
  constructor(readonly cid: number, readonly page: number) {}
}

/** A tracker taken back from a qpair (reset, shutdown, failure): its CID and callback. */
export interface TakenTracker {
  /** The command identifier. */
  readonly cid: number;
  /** It had been reported as timed out. */
  readonly timedOut: boolean;
  /** Its completion callback, still to be called. */
  readonly done: CompletionCallback;
}
