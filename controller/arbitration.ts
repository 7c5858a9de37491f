/**
 * Command arbitration (Base 2.1 §3.4.4): which submission queue the controller fetches from next.
 * Round robin (CC.AMS = 0) treats every SQ, admin included, as a peer. Weighted round robin with
 * urgent priority class (CC.AMS = 1) serves the admin SQ first, then urgent SQs (QPRIO 00b),
 * strictly, then high/medium/low SQs in proportion to HPW+1 : MPW+1 : LPW+1 (Arbitration feature).
 * The caller fetches up to the arbitration burst (2^AB commands; AB = 7 means no limit) from the
 * chosen queue.
 *
 * @example
 * ```ts
 * import { Arbiter } from "./arbitration.ts";
 * import { SubmissionQueue } from "./queues.ts";
 * const sqs = [new SubmissionQueue(0, 0, 2, 0), new SubmissionQueue(1, 0, 2, 1)];
 * const a = new Arbiter();
 * const ready = (sq: SubmissionQueue) => sq.id === 1;
 * if (a.next(sqs, ready, 0)?.id !== 1) throw new Error();
 * ```
 *
 * @module
 */

import { ArbitrationMechanism } from "../spec/registers.ts";
import type { SubmissionQueue } from "./queues.ts";

/** QPRIO values (Create I/O SQ CDW11 bits 2:1). */
const URGENT = 0, HIGH = 1, MEDIUM = 2, LOW = 3;
const WEIGHTED_CLASSES = [HIGH, MEDIUM, LOW] as const;
/** AB = 7: no limit on the arbitration burst (Arbitration feature). */
const AB_NO_LIMIT = 7;

/** Burst size from the Arbitration feature dword (AB bits 2:0). */
export function arbitrationBurst(feature: number): number {
  const ab = feature & 7;
  return ab === AB_NO_LIMIT ? Infinity : 2 ** ab;
}

/** Round-robin and weighted-round-robin selection, allocation-free. */
export class Arbiter {
  #rr = 0; // next qid to look at in round robin (and within the urgent class)
  #classRr = new Int32Array(4); // per QPRIO class: next qid to look at
  #credits = new Int32Array(4); // per weighted class: remaining turns in this round
  #weights = new Int32Array(4).fill(1);

  /** Applies the Arbitration feature (LPW 15:8, MPW 23:16, HPW 31:24; weights are 0's based). */
  setWeights(feature: number): void {
    this.#weights[HIGH] = ((feature >>> 24) & 0xff) + 1;
    this.#weights[MEDIUM] = ((feature >>> 16) & 0xff) + 1;
    this.#weights[LOW] = ((feature >>> 8) & 0xff) + 1;
    this.#credits.fill(0);
  }

  /**
   * The next SQ to serve under mechanism `ams`, or null when no SQ is `ready` (has work and room
   * in its CQ).
   */
  next(
    sqs: readonly (SubmissionQueue | undefined)[],
    ready: (sq: SubmissionQueue) => boolean,
    ams: number,
  ): SubmissionQueue | null {
    if (ams !== ArbitrationMechanism.WEIGHTED_ROUND_ROBIN) return this.#roundRobin(sqs, ready);
    const admin = sqs[0];
    if (admin && ready(admin)) return admin;
    const urgent = this.#inClass(sqs, ready, URGENT);
    if (urgent) return urgent;
    for (let pass = 0; pass < 2; pass++) {
      for (const c of WEIGHTED_CLASSES) {
        if (this.#credits[c] <= 0) continue;
        const sq = this.#inClass(sqs, ready, c);
        if (sq) {
          this.#credits[c]--;
          return sq;
        }
      }
      // Every class with work has used its turns: start a new round.
      for (const c of WEIGHTED_CLASSES) this.#credits[c] = this.#weights[c];
    }
    return null;
  }

  #roundRobin(
    sqs: readonly (SubmissionQueue | undefined)[],
    ready: (sq: SubmissionQueue) => boolean,
  ): SubmissionQueue | null {
    const n = sqs.length;
    for (let k = 0; k < n; k++) {
      const qid = (this.#rr + k) % n;
      const sq = sqs[qid];
      if (sq && ready(sq)) {
        this.#rr = (qid + 1) % n;
        return sq;
      }
    }
    return null;
  }

  #inClass(
    sqs: readonly (SubmissionQueue | undefined)[],
    ready: (sq: SubmissionQueue) => boolean,
    prio: number,
  ): SubmissionQueue | null {
    const n = sqs.length;
    for (let k = 0; k < n; k++) {
      const qid = (this.#classRr[prio] + k) % n;
      const sq = sqs[qid];
      if (qid !== 0 && sq && sq.priority === prio && ready(sq)) {
        this.#classRr[prio] = (qid + 1) % n;
        return sq;
      }
    }
    return null;
  }

  /** Controller reset. */
  reset(): void {
    this.#rr = 0;
    this.#classRr.fill(0);
    this.#credits.fill(0);
    this.#weights.fill(1);
  }
}
