/**
 * Doorbell write validation (Base 2.1 §3.3.1, §5.1.2): which host obligation, if any, a doorbell
 * value breaks for the queue it addresses. Pure, so each rule is testable on its own; the
 * controller records the finding and raises the asynchronous event.
 *
 * @example
 * ```ts
 * import { sqTailProblem } from "./doorbells.ts";
 * import { SubmissionQueue } from "./queues.ts";
 * const sq = new SubmissionQueue(1, 0x10000, 8, 1);
 * if (sqTailProblem(sq, 8)?.id !== "doorbell.sq_tail_range") throw new Error();
 * if (sqTailProblem(sq, 7) !== null) throw new Error("7 new entries fit in an empty 8-slot SQ");
 * ```
 *
 * @module
 */

import { ErrorEvent } from "../spec/async_events.ts";
import { ringAdvanceFits } from "../spec/ring.ts";
import type { CompletionQueue, SubmissionQueue } from "./queues.ts";
import { HOST_RULES, type HostRule } from "./rules.ts";

/** The rule a new SQ tail breaks, or null when the write is valid. */
export function sqTailProblem(sq: SubmissionQueue | undefined, tail: number): HostRule | null {
  if (!sq) return HOST_RULES.doorbellInvalidQueue;
  if (tail >= sq.size) return HOST_RULES.sqTailOutOfRange;
  if (!ringAdvanceFits(sq.head, sq.tail, tail, sq.size)) return HOST_RULES.sqOverrun;
  return null;
}

/** The rule a new CQ head breaks, or null: the head may only release posted entries. */
export function cqHeadProblem(cq: CompletionQueue | undefined, head: number): HostRule | null {
  if (!cq) return HOST_RULES.doorbellInvalidQueue;
  if (head >= cq.size) return HOST_RULES.cqHeadOutOfRange;
  if ((head - cq.head + cq.size) % cq.size > cq.unconsumed()) return HOST_RULES.cqHeadAhead;
  return null;
}

/** The Error asynchronous event information a doorbell rule reports (§5.1.2.1). */
export function doorbellEventInfo(rule: HostRule): number {
  return rule === HOST_RULES.doorbellInvalidQueue
    ? ErrorEvent.INVALID_DOORBELL_REGISTER
    : ErrorEvent.INVALID_DOORBELL_VALUE;
}
