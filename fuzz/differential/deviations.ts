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
 * later Read, Compare, Verify or media difference over them is filtered under the same id; a
 * registered Set Features divergence likewise covers later Get Features of that FID, and a
 * registered queue creation or deletion later commands on that queue ID.
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
import type { DifferentialDeviation } from "./deviation_types.ts";
import { ADMIN_DEVIATIONS } from "./deviations_admin.ts";
import { FEATURE_LOG_DEVIATIONS } from "./deviations_features.ts";
import { DSM_ADVISORY_ID, IO_DEVIATIONS } from "./deviations_io.ts";

export type { DeviationKind, DifferentialDeviation } from "./deviation_types.ts";

/** Every registered class. */
export const DIFFERENTIAL_DEVIATIONS: readonly DifferentialDeviation[] = Object.freeze([
  ...ADMIN_DEVIATIONS,
  ...FEATURE_LOG_DEVIATIONS,
  ...IO_DEVIATIONS,
]);

/** The first class whose predicate matches `d` on its own, or null. */
export function matchDeviation(d: Divergence): DifferentialDeviation | null {
  for (const dev of DIFFERENTIAL_DEVIATIONS) if (dev.matches(d)) return dev;
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

/** Classifies `found` (the divergences of one sequence, in command order) against the
 * registry, following consequences of registered divergences. */
export function classifySequence(
  commands: readonly DiffCommand[],
  found: readonly Divergence[],
  bothSucceeded: (index: number) => boolean = () => false,
): Classified[] {
  let taints: Taint[] = [];
  const featureTaint = new Map<number, DifferentialDeviation>();
  const queueTaint = new Map<number, DifferentialDeviation>();
  const out: Classified[] = [];
  const byIndex = new Map<number, Divergence[]>();
  for (const d of found) byIndex.set(d.index, [...(byIndex.get(d.index) ?? []), d]);
  const classify = (d: Divergence) => {
    const direct = matchDeviation(d);
    if (direct) {
      out.push({ divergence: d, deviation: direct, consequence: false });
      return;
    }
    const c = d.command;
    let cause: DifferentialDeviation | undefined;
    const media = /^media\[(\d+)\]$/.exec(d.field);
    if (media) cause = overlapping(taints, { slba: BigInt(media[1]), blocks: 1 })?.deviation;
    else if (c?.queue === "io" && MEDIA_READING.has(c.opcode)) {
      cause = rangesOf(c).map((r) => overlapping(taints, r)).find((t) => t)?.deviation;
    } else if (c?.queue === "admin" && c.opcode === AdminOpcode.GET_FEATURES) {
      cause = featureTaint.get(c.cdw[0] & 0xff);
    } else if (c?.queue === "admin" && QUEUE_OPCODES.has(c.opcode)) {
      cause = queueTaint.get(c.cdw[0] & 0xffff) ??
        (c.opcode === AdminOpcode.CREATE_IO_SQ ? queueTaint.get(c.cdw[1] >>> 16) : undefined);
    }
    out.push({ divergence: d, deviation: cause ?? null, consequence: cause !== undefined });
  };
  for (let i = 0; i < commands.length; i++) {
    const c = commands[i];
    const here = byIndex.get(i) ?? [];
    const before = out.length;
    here.forEach(classify);
    const registered = out.slice(before).find((x) => x.deviation)?.deviation;
    if (registered && c.queue === "io" && MEDIA_CHANGING.has(c.opcode)) {
      for (const r of rangesOf(c)) {
        taints.push({ start: r.slba, end: r.slba + BigInt(r.blocks), deviation: registered });
      }
    }
    if (registered && c.queue === "admin" && c.opcode === AdminOpcode.SET_FEATURES) {
      featureTaint.set(c.cdw[0] & 0xff, registered);
    }
    // A queue one side created (or deleted) and the other did not differs from then on.
    if (registered && c.queue === "admin" && QUEUE_OPCODES.has(c.opcode)) {
      queueTaint.set(c.cdw[0] & 0xffff, registered);
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
