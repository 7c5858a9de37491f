/**
 * The differential property and its runner: fast-check generates command sequences
 * (`generator.ts`), each runs on the reference controller and on the other side (QEMU, or any
 * session factory), the traces are compared (`compare.ts`) and registered deviations filtered
 * (`deviations.ts`). An unregistered divergence fails the property and fast-check shrinks the
 * sequence to the smallest one that still diverges; the report carries it as numbered steps with
 * the seed and path that replay it.
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
  /** pass: no unregistered divergence; fail: a shrunk counterexample. */
  readonly status: "pass" | "fail";
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
  /** Its divergences (registered ones marked). */
  readonly counterexample: readonly ReportedDivergence[];
}

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

/** Runs one sequence on both sides; a side that throws (QEMU died) is closed and reported. */
function runBoth(s: Sides, seq: readonly DiffCommand[]): [SequenceTrace, SequenceTrace] {
  const runSide = (side: DiffSide): SequenceTrace => {
    try {
      side.prepare();
      return side.run(seq);
    } catch (e) {
      side.close();
      if (e instanceof CaseFailure) return { outcomes: [], media: new Map(), csts: -1 };
      throw e;
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
  let last: {
    seq: readonly DiffCommand[];
    traces: [SequenceTrace, SequenceTrace];
    found: Classified[];
  } | null = null;
  const classified = (seq: readonly DiffCommand[], traces: [SequenceTrace, SequenceTrace]) =>
    classifySequence(
      seq,
      compareTraces(seq, traces[0], traces[1]),
      (i) => traces[0].outcomes[i]?.status === 0 && traces[1].outcomes[i]?.status === 0,
    );
  const property = fc.property(
    commandSequence(s.observed.geometry, o.length ?? DEFAULT_DIFF_LENGTH),
    (seq) => {
      const traces = runBoth(s, seq);
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
      last = { seq, traces, found };
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
  const fail = details.failed && last !== null;
  const shown = fail ? last! : null;
  return {
    target: s.target,
    description: s.description,
    status: fail ? "fail" : "pass",
    seed,
    length: o.length ?? DEFAULT_DIFF_LENGTH,
    path: fail ? details.counterexamplePath : (o.path ?? null),
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
    steps: shown
      ? shown.seq.map((c, i) => ({
        step: i + 1,
        command: describeCommand(c),
        reference: statusText(shown.traces[0].outcomes[i]?.status),
        other: statusText(shown.traces[1].outcomes[i]?.status),
      }))
      : [],
    counterexample: shown
      ? shown.found.map(({ divergence: d, deviation }) => ({
        step: d.index + 1,
        command: d.summary,
        field: d.field,
        reference: d.reference,
        other: d.other,
        deviation: deviation?.id ?? null,
      }))
      : [],
  };
}
