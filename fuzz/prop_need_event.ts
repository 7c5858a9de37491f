/**
 * Property `need-event`: the EventIdx rule (Base 2.1 §5.2.5, Doorbell Buffer Config) in both of
 * its forms — Linux's `nvme_dbbuf_need_event` and SPDK's `nvme_pcie_qpair_need_event` — against a
 * brute-force oracle that walks the doorbell value from `old` to `new` one step at a time over the
 * 16-bit wrap and asks whether it passed `eventIdx`:
 *
 * - Linux rings the MMIO doorbell iff `eventIdx` is in the half-open window `[old, new)`;
 * - SPDK iff it is in the closed window `[old, new]`;
 * - so the two differ exactly when `eventIdx == new` (SPDK rings one MMIO too many, never one
 *   too few).
 *
 * The generator leans on the wrap: values near 0 and 65535, and windows, event indexes and new
 * values a few steps apart.
 *
 * Speed unit: checks — each case counts 2, one per implementation compared with the oracle.
 *
 * @example
 * ```ts
 * import { needEventProperty } from "./prop_need_event.ts";
 * import { runProperty } from "./runner.ts";
 * const r = runProperty(needEventProperty(), {}, { seed: 1, runs: 200 });
 * if (r.status !== "pass") throw new Error(r.error);
 * ```
 *
 * @module
 */

import fc from "fast-check";
import { needEventLinux, needEventSpdk } from "../spec/doorbell.ts";
import { check, countCommands, type FuzzProperty } from "./property.ts";

/** Doorbell values are 16 bits wide: the window wraps modulo 2^16. */
const WRAP = 0x1_0000;
const MASK = WRAP - 1;

/** Implementations each case compares with the oracle (the speed report counts checks). */
const IMPLEMENTATIONS = 2;

/** A `need_event` implementation: (eventIdx, new, old) → ring the MMIO doorbell. */
export type NeedEvent = (eventIdx: number, newValue: number, oldValue: number) => boolean;

/** The implementations under test. */
export interface NeedEventImplementations {
  /** The Linux form (half-open window). */
  readonly linux: NeedEvent;
  /** The SPDK form (closed window). */
  readonly spdk: NeedEvent;
}

/**
 * The oracle: step a 16-bit counter from `old` to `new` and report whether it stood on `eventIdx`
 * on the way (`inclusive`: also when it arrives there). Obviously correct, O(distance).
 */
export function needEventOracle(
  eventIdx: number,
  newValue: number,
  oldValue: number,
  inclusive: boolean,
): boolean {
  for (let v = oldValue; v !== newValue; v = (v + 1) & MASK) if (v === eventIdx) return true;
  return inclusive && newValue === eventIdx;
}

/** A 16-bit value, biased towards the ends of the range (where the wrap is). */
const u16 = fc.oneof(
  { weight: 2, arbitrary: fc.integer({ min: 0, max: MASK }) },
  { weight: 1, arbitrary: fc.integer({ min: 0, max: 8 }) },
  { weight: 1, arbitrary: fc.integer({ min: MASK - 8, max: MASK }) },
);
/** A small signed step, so old, new and eventIdx land near each other. */
const near = fc.integer({ min: -4, max: 4 });

/** (eventIdx, new, old): independent, or clustered around one point across the wrap. */
export const needEventTriple: fc.Arbitrary<[number, number, number]> = fc.oneof(
  fc.tuple(u16, u16, u16),
  fc.tuple(u16, near, near).map(([base, dn, dold]): [number, number, number] => [
    base & MASK,
    (base + dn) & MASK,
    (base + dold) & MASK,
  ]),
  fc.tuple(u16, fc.integer({ min: 0, max: 16 }), near).map(([old, len, dev]): [
    number,
    number,
    number,
  ] => [(old + len + dev) & MASK, (old + len) & MASK, old]),
);

/** The property, for `impl` (default: spec/doorbell.ts; tests pass seeded-bug variants). */
export function needEventProperty(
  impl: NeedEventImplementations = { linux: needEventLinux, spdk: needEventSpdk },
): FuzzProperty {
  return {
    name: "need-event",
    description: "needEventLinux rings iff eventIdx ∈ [old, new), needEventSpdk iff eventIdx ∈ " +
      "[old, new], modulo 2^16 (brute-force oracle); they differ exactly when eventIdx == new",
    section: "Base 2.1 §5.2.5",
    usesDriver: false,
    defaultRuns: 20000,
    commandUnit: "checks",
    property: (ctx) =>
      fc.property(needEventTriple, ([ev, next, old]) => {
        countCommands(ctx, IMPLEMENTATIONS);
        const at = `eventIdx=${ev} new=${next} old=${old}`;
        const linux = impl.linux(ev, next, old);
        const spdk = impl.spdk(ev, next, old);
        const wantLinux = needEventOracle(ev, next, old, false);
        const wantSpdk = needEventOracle(ev, next, old, true);
        check(linux === wantLinux, `Linux need_event(${at}) = ${linux}, oracle says ${wantLinux}`);
        check(spdk === wantSpdk, `SPDK need_event(${at}) = ${spdk}, oracle says ${wantSpdk}`);
        check(
          (linux !== spdk) === (ev === next),
          `Linux and SPDK forms ${linux === spdk ? "agree" : "differ"} at ${at}; they must ` +
            `differ exactly when eventIdx == new`,
        );
      }),
    steps: ([triple]) => {
      const [ev, next, old] = triple as [number, number, number];
      return [`need_event(eventIdx=${ev}, new=${next}, old=${old})`];
    },
  };
}
