/**
 * The differential property and its runner: fast-check generates command sequences
 * (`generator.ts`), each runs on the reference controller and on the other side (QEMU, or any
 * session factory), the traces are compared (`compare.ts`) and registered deviations filtered
 * (`deviations.ts`). An unregistered divergence fails the property and fast-check shrinks the
 * sequence to the smallest one that still diverges; the report carries it as numbered steps with
 * the seed and path that replay it. A side that cannot reach the start state is a divergence of
 * its own; a side that throws (QEMU died, a qtest error) ends the run with status "error" and the
 * error text, never with a pass.
 *
 * Replay fidelity: against QEMU one process serves every sequence of a run, shrinking included,
 * and the prologue (`executor.ts`) resets what it can (controller reset, changeable features,
 * media) but not what the host cannot set back: SMART / Health counters, the Error Information
 * log count, Host Behavior Support and the Timestamp. `path` replays start a fresh process, so a
 * divergence that depends on that carried-over state may not replay from its path; rerunning with
 * the same seed and runs and no path repeats the whole run (generation is deterministic) and the
 * state with it.
 *
 * @example Reference against a reference with a seeded bug (no QEMU needed)
 * ```ts
 * import { runDifferential } from "./run.ts";
 * import { observeController, referenceSideFactory } from "./qemu_like.ts";
 * import { Machine } from "../../platform/machine.ts";
 * import { NvmeController } from "../../controller/controller.ts";
 * const seen = observeController(new Machine().attach(new NvmeController()));
 * const report = runDifferential({
 *   seed: 3, runs: 40, length: 12,
 *   sides: { observed: seen, otherName: "mutant",
 *     other: referenceSideFactory(seen, { mutants: ["write-data-dropped"] }) },
 * });
 * if (report.status !== "fail") throw new Error("the seeded bug must diverge");
 * ```
 *
 * @module
 */

import fc from "fast-check";
import { CaseFailure } from "../../conformance/case.ts";
import type { TargetSession } from "../../conformance/target.ts";
import { qemuAvailable } from "../../platform/qtest/available.ts";
import { startQemu } from "../../platform/qtest/machine.ts";
import type { QemuOptions } from "../../platform/qtest/options.ts";
import { describeCommand, type DiffCommand } from "./commands.ts";
import { compareTraces } from "./compare.ts";
import { type Classified, classifySequence, DIFFERENTIAL_DEVIATIONS } from "./deviations.ts";
import { DiffSide, type SequenceTrace } from "./executor.ts";
import { commandSequence } from "./generator.ts";
import { observeController, type ObservedController, referenceSideFactory } from "./qemu_like.ts";

/** Sequences per run unless told: about 70 s against QEMU 7.2 on a 2-core machine (~28/s). */
export const DEFAULT_DIFF_RUNS = 2000;
/** Commands per sequence at most, unless told. */
export const DEFAULT_DIFF_LENGTH = 24;

/** The other side when it is not QEMU (tests: a mutant reference). */
export interface CustomSides {
  /** The observation the reference is configured from (and the geometry both share). */
  readonly observed: ObservedController;
  /** Sessions of the other side. */
  readonly other: () => TargetSession;
  /** Its name in reports. */
  readonly otherName: string;
}

/** Options of {@linkcode runDifferential}. */
export interface DifferentialOptions {
  /** The other side: "qemu" (default) unless `sides` is given. */
  readonly target?: "qemu";
  /** Sequences to generate (default {@linkcode DEFAULT_DIFF_RUNS}). */
  readonly runs?: number;
  /** fast-check seed (default random). */
  readonly seed?: number;
  /** Commands per sequence at most (default {@linkcode DEFAULT_DIFF_LENGTH}). */
  readonly length?: number;
  /** Wall-clock budget for generation (shrinking included). */
  readonly timeLimitMs?: number;
  /** Replay only the case at this fast-check path. */
  readonly path?: string;
  /** QEMU machine options (target "qemu"). */
  readonly qemu?: QemuOptions;
  /** Custom sides instead of QEMU. */
  readonly sides?: CustomSides;
  /** Called after every generated sequence (not during shrinking). */
  readonly onProgress?: (p: DifferentialProgress) => void;
}

/** Progress of a run. */
export interface DifferentialProgress {
  /** Sequences run so far. */
  readonly sequences: number;
  /** Sequences asked for. */
  readonly runs: number;
  /** Divergences so far, registered ones included. */
  readonly divergences: number;
}

/** One step of a counterexample: the command and both outcomes. */
export interface CounterexampleStep {
  /** 1-based step number. */
  readonly step: number;
  /** The command as one line. */
  readonly command: string;
  /** The reference's status (text). */
  readonly reference: string;
  /** The other side's status (text). */
  readonly other: string;
}

/** A divergence as reported (no outcome objects). */
export interface ReportedDivergence {
  /** 1-based step (0 for end-of-sequence state). */
  readonly step: number;
  /** The command as one line. */
  readonly command: string;
  /** Field that differs. */
  readonly field: string;
  /** Reference value. */
  readonly reference: string;
  /** Other side's value. */
  readonly other: string;
  /** Registered deviation id, or null. */
  readonly deviation: string | null;
}

/** What a run found. */
export interface DifferentialReport {
  /** Name of the other side, e.g. "qemu". */
  readonly target: string;
  /** One line on what the other side is. */
  readonly description: string;
  /** pass: no unregistered divergence; fail: a shrunk counterexample; error: a side threw (QEMU
   * died, a qtest error) so the sequence could not be compared (`error` says what). */
  readonly status: "pass" | "fail" | "error";
  /** The error a side threw (status "error"), else null. */
  readonly error: string | null;
  /** Seed used. */
  readonly seed: number;
  /** Commands per sequence at most (generation depends on it: part of the replay). */
  readonly length: number;
  /** fast-check path of the counterexample (or of the replayed case), or null. */
  readonly path: string | null;
  /** Sequences generated and run (shrinking excluded). */
  readonly sequences: number;
  /** Commands in those sequences. */
  readonly commands: number;
  /** Shrinking steps. */
  readonly shrinks: number;
  /** The time limit stopped generation early. */
  readonly interrupted: boolean;
  /** Wall-clock milliseconds. */
  readonly durationMs: number;
  /** Divergences seen in generated sequences, registered ones included. */
  readonly divergences: number;
  /** Registered divergences by deviation id (only ids that occurred). */
  readonly filtered: Readonly<Record<string, number>>;
  /** Unregistered divergences seen in generated sequences (before shrinking). */
  readonly unregistered: number;
  /** The shrunk counterexample as numbered steps (empty on a pass). */
  readonly steps: readonly CounterexampleStep[];
  /** Its divergences (registered ones marked); data byte ranges at most
   * {@linkcode SHOWN_RANGES} per step, unregistered ones first. */
  readonly counterexample: readonly ReportedDivergence[];
  /** Data byte ranges of the counterexample classified but not listed. */
  readonly omitted: number;
  /** How many of those are unregistered. */
  readonly omittedUnregistered: number;
}

/** Differing data ranges per step listed in a counterexample (all are compared and classified). */
export const SHOWN_RANGES = 8;

const statusText = (s: number | null | undefined) =>
  s === undefined
    ? "not run"
    : s === null
    ? "no completion"
    : `0x${s.toString(16).padStart(3, "0")}`;

interface Sides {
  readonly description: string;
  readonly target: string;
  readonly reference: DiffSide;
  readonly other: DiffSide;
  readonly observed: ObservedController;
}

function qemuSides(options: QemuOptions): Sides {
  const found = qemuAvailable(options.binary);
  if (!found.ok) throw new DifferentialUnavailableError(found.reason);
  let first: TargetSession | null = null;
  const open = (): TargetSession => {
    const m = startQemu(options);
    return { host: m.host, close: () => m.close() };
  };
  first = open();
  let observed: ObservedController;
  try {
    observed = observeController(first.host);
  } catch (e) {
    first.close();
    throw e;
  }
  const reuse = () => {
    const s = first ?? open();
    first = null;
    return s;
  };
  return {
    target: "qemu",
    description: `QEMU ${found.version.text} emulated NVMe (-M q35 -device nvme, qtest, one ` +
      "process reused across sequences) vs the reference configured from its CAP/Identify",
    reference: new DiffSide("reference", referenceSideFactory(observed), observed.geometry),
    other: new DiffSide("qemu", reuse, observed.geometry),
    observed,
  };
}

/** QEMU (or the other side) is not available: the message says what to do. */
export class DifferentialUnavailableError extends Error {
  /** Creates the error. */
  constructor(message: string) {
    super(message);
    this.name = "DifferentialUnavailableError";
  }
}

/** A failing call of the property: the divergences it found, or what a side threw. */
type Failure =
  | {
    readonly seq: readonly DiffCommand[];
    readonly traces: [SequenceTrace, SequenceTrace];
    readonly found: Classified[];
  }
  | { readonly seq: readonly DiffCommand[]; readonly error: unknown };

/** Runs one sequence on both sides. A side that cannot reach the start state (CaseFailure) is
 * closed and its trace says why (a divergence of its own); a side that throws anything else (QEMU
 * died, a qtest error) is closed and the error propagates: the run ends with status "error". */
function runBoth(s: Sides, seq: readonly DiffCommand[]): [SequenceTrace, SequenceTrace] {
  const runSide = (side: DiffSide): SequenceTrace => {
    try {
      side.prepare();
      return side.run(seq);
    } catch (e) {
      side.close();
      if (!(e instanceof CaseFailure)) throw e;
      return { outcomes: [], media: new Map(), csts: 0, failure: `${side.name}: ${e.message}` };
    }
  };
  return [runSide(s.reference), runSide(s.other)];
}

/** Runs the differential property and reports. Throws {@linkcode DifferentialUnavailableError}
 * when QEMU is missing. */
export function runDifferential(o: DifferentialOptions = {}): DifferentialReport {
  const started = performance.now();
  const seed = o.seed ?? (crypto.getRandomValues(new Uint32Array(1))[0] & 0x7fff_ffff);
  const runs = o.runs ?? DEFAULT_DIFF_RUNS;
  const s: Sides = o.sides
    ? {
      target: o.sides.otherName,
      description: `${o.sides.otherName} vs the reference`,
      reference: new DiffSide(
        "reference",
        referenceSideFactory(o.sides.observed),
        o.sides.observed.geometry,
      ),
      other: new DiffSide(o.sides.otherName, o.sides.other, o.sides.observed.geometry),
      observed: o.sides.observed,
    }
    : qemuSides(o.qemu ?? {});
  let sequences = 0, commands = 0, divergences = 0, unregistered = 0, failedOnce = false;
  const filtered: Record<string, number> = {};
  // The last failing call: fast-check moves to every failing shrink candidate, so it is the
  // counterexample it reports (a divergence, or an error a side threw).
  const record: { last: Failure | null } = { last: null };
  const blockSize = s.observed.geometry.blockSize;
  const classified = (seq: readonly DiffCommand[], traces: [SequenceTrace, SequenceTrace]) =>
    classifySequence(seq, compareTraces(seq, traces[0], traces[1]), { traces, blockSize });
  const property = fc.property(
    commandSequence(s.observed.geometry, o.length ?? DEFAULT_DIFF_LENGTH),
    (seq) => {
      let traces: [SequenceTrace, SequenceTrace];
      try {
        traces = runBoth(s, seq);
      } catch (error) {
        failedOnce = true;
        record.last = { seq, error };
        throw error;
      }
      const found = classified(seq, traces);
      const open = found.filter((c) => c.deviation === null);
      if (!failedOnce) {
        sequences++;
        commands += seq.length;
        divergences += found.length;
        unregistered += open.length;
        for (const c of found) {
          if (c.deviation) filtered[c.deviation.id] = (filtered[c.deviation.id] ?? 0) + 1;
        }
        o.onProgress?.({ sequences, runs, divergences });
      }
      if (open.length === 0) return true;
      failedOnce = true;
      record.last = { seq, traces, found };
      return false;
    },
  );
  const details = fc.check(property, {
    seed,
    numRuns: runs,
    ...(o.path === undefined ? {} : { path: o.path, endOnFailure: true }),
    ...(o.timeLimitMs === undefined
      ? {}
      : { interruptAfterTimeLimit: o.timeLimitMs, markInterruptAsFailure: false }),
  });
  s.reference.close();
  s.other.close();
  const failure: Failure | null = details.failed
    ? (record.last ?? { seq: [], error: details.errorInstance })
    : null;
  const diverged = failure !== null && "found" in failure ? failure : null;
  const status = failure === null ? "pass" : diverged ? "fail" : "error";
  const shown = diverged ? counterexampleOf(diverged.found) : null;
  return {
    target: s.target,
    description: s.description,
    status,
    error: failure !== null && "error" in failure ? errorText(failure.error) : null,
    seed,
    length: o.length ?? DEFAULT_DIFF_LENGTH,
    path: failure ? details.counterexamplePath : (o.path ?? null),
    sequences,
    commands,
    shrinks: details.numShrinks,
    interrupted: details.interrupted,
    durationMs: performance.now() - started,
    divergences,
    filtered: Object.fromEntries(
      DIFFERENTIAL_DEVIATIONS.filter((d) => filtered[d.id]).map((d) => [d.id, filtered[d.id]]),
    ),
    unregistered,
    steps: failure
      ? failure.seq.map((c, i) => ({
        step: i + 1,
        command: describeCommand(c),
        reference: statusText(diverged?.traces[0].outcomes[i]?.status),
        other: statusText(diverged?.traces[1].outcomes[i]?.status),
      }))
      : [],
    counterexample: shown?.listed ?? [],
    omitted: shown?.omitted ?? 0,
    omittedUnregistered: shown?.omittedUnregistered ?? 0,
  };
}

function errorText(e: unknown): string {
  return e instanceof Error ? `${e.name}: ${e.message}` : String(e);
}

/** The counterexample's divergences as reported: every one, except that data byte ranges are
 * listed at most {@linkcode SHOWN_RANGES} per step, unregistered ones first. */
function counterexampleOf(found: readonly Classified[]) {
  const listed: ReportedDivergence[] = [];
  const ranges = new Map<number, Classified[]>();
  for (const c of found) {
    if (!c.divergence.field.startsWith("data[")) continue;
    ranges.set(c.divergence.index, [...(ranges.get(c.divergence.index) ?? []), c]);
  }
  const keep = new Set<Classified>();
  let omitted = 0, omittedUnregistered = 0;
  for (const list of ranges.values()) {
    const ordered = [...list].sort((a, b) =>
      Number(a.deviation !== null) - Number(b.deviation !== null)
    );
    ordered.slice(0, SHOWN_RANGES).forEach((c) => keep.add(c));
    for (const c of ordered.slice(SHOWN_RANGES)) {
      omitted++;
      if (c.deviation === null) omittedUnregistered++;
    }
  }
  for (const c of found) {
    if (c.divergence.field.startsWith("data[") && !keep.has(c)) continue;
    const d = c.divergence;
    listed.push({
      step: d.index + 1,
      command: d.summary,
      field: d.field,
      reference: d.reference,
      other: d.other,
      deviation: c.deviation?.id ?? null,
    });
  }
  return { listed, omitted, omittedUnregistered };
}
