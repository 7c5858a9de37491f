/**
 * The registry of differential deviation classes between the reference controller (configured
 * like QEMU) and QEMU 7.2.22, and the classification of a sequence's divergences against it.
 *
 * Each class (`deviations_admin.ts`, `deviations_features.ts`, `deviations_io.ts`) is a predicate over one divergence with
 * its reason, evidence, spec section, kind (QEMU deviation, both answers allowed, or a known
 * reference bug awaiting a fix in controller/) and the conformance deviation ids
 * (`conformance/qemu_deviations.ts`) registering the same behaviour.
 *
 * Consequences are followed: when a registered divergence is on a command that may change media
 * (a Write QEMU accepted and the reference refused, a Write Uncorrectable only the reference
 * knows), its LBAs stay attributed to that class until both sides write them successfully, so a
 * later status or DNR difference of a Read, Compare or Verify overlapping them, a Read data range
 * whose blocks all lie in them, or a media difference of one of them is filtered under the same
 * id. A registered Set Features divergence likewise covers the status, DW0 and data of later Get
 * Features of that FID until a Set Features of the FID succeeds identically on both sides; a
 * registered Create/Delete I/O CQ (SQ) covers the status of later queue commands on that CQ (SQ)
 * until one of them succeeds identically on both sides. A missing completion (a hang) is never a
 * consequence.
 *
 * @example
 * ```ts
 * import { classifySequence, DIFFERENTIAL_DEVIATIONS } from "./deviations.ts";
 * const ids = DIFFERENTIAL_DEVIATIONS.map((d) => d.id);
 * if (new Set(ids).size !== ids.length) throw new Error("ids are unique");
 * const end = { index: -1, summary: "end of sequence", field: "csts", reference: "0x1", other: "0x3" };
 * if (classifySequence([], [end])[0].deviation !== null) throw new Error("CFS is never filtered");
 * ```
 *
 * @module
 */

import { AdminOpcode, NvmOpcode } from "../../spec/opcodes.ts";
import type { Divergence } from "./compare.ts";
import type { DiffCommand, LbaRange } from "./commands.ts";
import {
  dataRange,
  type DifferentialDeviation,
  type MatchContext,
  statusOrDnr,
} from "./deviation_types.ts";
import type { SequenceTrace } from "./executor.ts";
import { ADMIN_DEVIATIONS } from "./deviations_admin.ts";
import { FEATURE_LOG_DEVIATIONS } from "./deviations_features.ts";
import { DSM_ADVISORY_ID, IO_DEVIATIONS } from "./deviations_io.ts";

export type { DeviationKind, DifferentialDeviation, MatchContext } from "./deviation_types.ts";

/** Every registered class. */
export const DIFFERENTIAL_DEVIATIONS: readonly DifferentialDeviation[] = Object.freeze([
  ...ADMIN_DEVIATIONS,
  ...FEATURE_LOG_DEVIATIONS,
  ...IO_DEVIATIONS,
]);

/** The first class whose predicate matches `d` on its own, or null. */
export function matchDeviation(d: Divergence, ctx?: MatchContext): DifferentialDeviation | null {
  for (const dev of DIFFERENTIAL_DEVIATIONS) if (dev.matches(d, ctx)) return dev;
  return null;
}

/** A divergence and the class it was filtered under (null: unregistered). */
export interface Classified {
  /** The divergence. */
  readonly divergence: Divergence;
  /** Its class, or null. */
  readonly deviation: DifferentialDeviation | null;
  /** Filtered as the consequence of an earlier registered divergence. */
  readonly consequence: boolean;
}

/** What {@linkcode classifySequence} knows besides the divergences. */
export interface ClassifyContext {
  /** Both sides' traces (reference first): which commands both completed and how. Without them
   * no taint is ever cleared. */
  readonly traces?: readonly [SequenceTrace, SequenceTrace];
  /** Logical block size of NSID 1: maps Read data ranges to LBAs, and predicates that need the
   * geometry. Without it no data range is attributed to an earlier divergence. */
  readonly blockSize?: number;
}

const MEDIA_CHANGING: ReadonlySet<number> = new Set([
  NvmOpcode.WRITE,
  NvmOpcode.WRITE_ZEROES,
  NvmOpcode.WRITE_UNCORRECTABLE,
  NvmOpcode.DATASET_MANAGEMENT,
]);
const MEDIA_READING: ReadonlySet<number> = new Set([
  NvmOpcode.READ,
  NvmOpcode.COMPARE,
  NvmOpcode.VERIFY,
]);

/** Dataset Management CDW11 bit 2: Attribute – Deallocate. */
const DSM_AD = 1 << 2;
const QUEUE_OPCODES: ReadonlySet<number> = new Set([
  AdminOpcode.CREATE_IO_CQ,
  AdminOpcode.CREATE_IO_SQ,
  AdminOpcode.DELETE_IO_CQ,
  AdminOpcode.DELETE_IO_SQ,
]);
/** Fields an earlier divergence may explain: what a command returns, never whether it completed
 * (a hang is always a finding). */
const EXPLAINABLE = /^(status|dnr|dw0|dw1|data.*)$/;

function rangesOf(c: DiffCommand): readonly LbaRange[] {
  return c.ranges ?? (c.lba ? [c.lba] : []);
}

interface Taint {
  readonly start: bigint;
  readonly end: bigint;
  readonly deviation: DifferentialDeviation;
}

function overlapping(taints: readonly Taint[], r: LbaRange): Taint | undefined {
  const e = r.slba + BigInt(r.blocks);
  return taints.find((t) => r.slba < t.end && e > t.start);
}

/** The taint covering every LBA of `[start, end)` (the first one's class), or undefined. */
function covering(taints: readonly Taint[], start: bigint, end: bigint): Taint | undefined {
  let first: Taint | undefined;
  for (let at = start; at < end;) {
    const t = taints.find((x) => x.start <= at && at < x.end);
    if (!t) return undefined;
    first ??= t;
    at = t.end;
  }
  return first;
}

/** The queue a Create/Delete I/O CQ/SQ names, as "cq:<qid>" or "sq:<qid>". */
function queueKey(c: DiffCommand): string {
  const cq = c.opcode === AdminOpcode.CREATE_IO_CQ || c.opcode === AdminOpcode.DELETE_IO_CQ;
  return `${cq ? "cq" : "sq"}:${c.cdw[0] & 0xffff}`;
}

/** Classifies `found` (the divergences of one sequence, in command order) against the
 * registry, following consequences of registered divergences. */
export function classifySequence(
  commands: readonly DiffCommand[],
  found: readonly Divergence[],
  context: ClassifyContext = {},
): Classified[] {
  const ctx: MatchContext | undefined = context.blockSize === undefined
    ? undefined
    : { blockSize: context.blockSize };
  const [ref, other] = context.traces ?? [undefined, undefined];
  const bothSucceeded = (i: number) =>
    ref?.outcomes[i]?.status === 0 && other?.outcomes[i]?.status === 0;
  let taints: Taint[] = [];
  const featureTaint = new Map<number, DifferentialDeviation>();
  const queueTaint = new Map<string, DifferentialDeviation>();
  /** CQ of each SQ created in the sequence (Delete I/O CQ depends on the SQs on it). */
  const sqOnCq = new Map<number, number>();
  const out: Classified[] = [];
  const byIndex = new Map<number, Divergence[]>();
  for (const d of found) byIndex.set(d.index, [...(byIndex.get(d.index) ?? []), d]);
  const mediaCause = (d: Divergence, c: DiffCommand): DifferentialDeviation | undefined => {
    const range = dataRange(d);
    if (range && c.lba && context.blockSize !== undefined) {
      // Only when every block the differing bytes fall in is tainted.
      const bs = BigInt(context.blockSize);
      const first = c.lba.slba + BigInt(range[0]) / bs;
      const last = c.lba.slba + BigInt(range[1] - 1) / bs;
      return covering(taints, first, last + 1n)?.deviation;
    }
    if (d.field !== "status" && d.field !== "dnr") return undefined;
    return rangesOf(c).map((r) => overlapping(taints, r)).find((t) => t)?.deviation;
  };
  const queueCause = (c: DiffCommand): DifferentialDeviation | undefined => {
    const key = queueKey(c);
    const own = queueTaint.get(key);
    if (own) return own;
    if (c.opcode === AdminOpcode.CREATE_IO_SQ) return queueTaint.get(`cq:${c.cdw[1] >>> 16}`);
    if (c.opcode === AdminOpcode.DELETE_IO_CQ) {
      const qid = c.cdw[0] & 0xffff;
      for (const [sq, cq] of sqOnCq) {
        const t = cq === qid ? queueTaint.get(`sq:${sq}`) : undefined;
        if (t) return t;
      }
    }
    return undefined;
  };
  const classify = (d: Divergence) => {
    const direct = matchDeviation(d, ctx);
    if (direct) {
      out.push({ divergence: d, deviation: direct, consequence: false });
      return;
    }
    const c = d.command;
    let cause: DifferentialDeviation | undefined;
    const media = /^media\[(\d+)\]$/.exec(d.field);
    if (media) cause = overlapping(taints, { slba: BigInt(media[1]), blocks: 1 })?.deviation;
    else if (!c || !EXPLAINABLE.test(d.field)) cause = undefined;
    else if (c.queue === "io" && MEDIA_READING.has(c.opcode)) cause = mediaCause(d, c);
    else if (c.queue === "admin" && c.opcode === AdminOpcode.GET_FEATURES) {
      cause = featureTaint.get(c.cdw[0] & 0xff);
    } else if (c.queue === "admin" && QUEUE_OPCODES.has(c.opcode) && statusOrDnr(d)) {
      cause = queueCause(c);
    }
    out.push({ divergence: d, deviation: cause ?? null, consequence: cause !== undefined });
  };
  for (let i = 0; i < commands.length; i++) {
    const c = commands[i];
    const here = byIndex.get(i) ?? [];
    const before = out.length;
    here.forEach(classify);
    const registered = out.slice(before).find((x) => x.deviation)?.deviation;
    // Both sides completed the command successfully and identically: the state it sets is equal.
    const agreed = here.length === 0 && bothSucceeded(i);
    if (registered && c.queue === "io" && MEDIA_CHANGING.has(c.opcode)) {
      for (const r of rangesOf(c)) {
        taints.push({ start: r.slba, end: r.slba + BigInt(r.blocks), deviation: registered });
      }
    }
    if (c.queue === "admin" && c.opcode === AdminOpcode.SET_FEATURES) {
      const fid = c.cdw[0] & 0xff;
      if (registered) featureTaint.set(fid, registered);
      else if (agreed) featureTaint.delete(fid);
    }
    if (c.queue === "admin" && c.opcode === AdminOpcode.CREATE_IO_SQ) {
      sqOnCq.set(c.cdw[0] & 0xffff, c.cdw[1] >>> 16);
    }
    // A queue one side created (or deleted) and the other did not differs from then on.
    if (c.queue === "admin" && QUEUE_OPCODES.has(c.opcode)) {
      if (registered) queueTaint.set(queueKey(c), registered);
      else if (agreed) queueTaint.delete(queueKey(c));
    }
    // Deallocation is advisory: blocks a completed DSM deallocate named may read either way.
    if (
      c.queue === "io" && c.opcode === NvmOpcode.DATASET_MANAGEMENT && (c.cdw[1] & DSM_AD) &&
      bothSucceeded(i)
    ) {
      const advisory = DIFFERENTIAL_DEVIATIONS.find((d) => d.id === DSM_ADVISORY_ID)!;
      for (const r of rangesOf(c)) {
        taints.push({ start: r.slba, end: r.slba + BigInt(r.blocks), deviation: advisory });
      }
    }
    // A Write or Write Zeroes both sides completed makes its blocks equal again.
    if (
      here.length === 0 && c.queue === "io" && c.lba && bothSucceeded(i) &&
      (c.opcode === NvmOpcode.WRITE || c.opcode === NvmOpcode.WRITE_ZEROES)
    ) {
      const s = c.lba.slba, e = s + BigInt(c.lba.blocks);
      taints = taints.flatMap((t): Taint[] => {
        if (t.end <= s || t.start >= e) return [t];
        const keep: Taint[] = [];
        if (t.start < s) keep.push({ ...t, end: s });
        if (t.end > e) keep.push({ ...t, start: e });
        return keep;
      });
    }
  }
  (byIndex.get(-1) ?? []).forEach(classify);
  return out;
}
