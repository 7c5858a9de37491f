/**
 * fast-check arbitraries shared by the fuzz properties: configuration values (queue sizes as
 * CAP.MQES, EventIdx policies, seeds) and buffer shapes (dword-aligned offsets into a page).
 * Arbitraries for the spec structures themselves, derived from their field tables, are in
 * `spec/_arbitrary.ts`; each property keeps its own case arbitrary next to it.
 *
 * @example
 * ```ts
 * import fc from "fast-check";
 * import { dwordOffset, queueMqes } from "./arbitraries.ts";
 * for (const off of fc.sample(dwordOffset, { seed: 1, numRuns: 50 })) {
 *   if (off % 4 !== 0 || off >= 4096) throw new Error();
 * }
 * for (const m of fc.sample(queueMqes(63), { seed: 1, numRuns: 50 })) {
 *   if (m < 1 || m > 63) throw new Error("queues of 2..64 entries");
 * }
 * ```
 *
 * @module
 */

import fc from "fast-check";
import type { EventIdxPolicy } from "../controller/options.ts";

/** The 4 KiB page PRP offsets are taken within (CC.MPS = 0). */
const PAGE = 4096;
/** PRP and buffer offsets are dword aligned (Base 2.1 §4.3.1). */
const DWORD = 4;
/** Largest queue size a CAP.MQES of `max` allows is `max + 1`; small sizes get extra weight. */
const SMALL_MQES = 7;

/** A dword-aligned byte offset into a 4 KiB page: 0, the edges, or anywhere. */
export const dwordOffset: fc.Arbitrary<number> = fc.oneof(
  fc.constant(0),
  fc.integer({ min: 1, max: PAGE / DWORD - 1 }).map((d) => d * DWORD),
  fc.constantFrom(DWORD, PAGE - DWORD, PAGE - 256),
);

/** CAP.MQES (0's based) from 1 to `max`, i.e. queues of 2..max+1 entries, small ones favoured. */
export function queueMqes(max: number): fc.Arbitrary<number> {
  return fc.oneof(
    fc.integer({ min: 1, max: Math.min(SMALL_MQES, max) }),
    fc.integer({ min: 1, max }),
  );
}

/** The controller's EventIdx policy with shadow doorbells. */
export const eventIdxPolicy: fc.Arbitrary<EventIdxPolicy> = fc.constantFrom<EventIdxPolicy>(
  "interrupt",
  "polling",
);

/** A 32-bit seed (preemption policies, workloads). */
export const seed32: fc.Arbitrary<number> = fc.integer({ min: 0, max: 0xffff_ffff });
