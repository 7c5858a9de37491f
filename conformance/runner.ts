/**
 * Runs a list of cases against a target: probes the target once, runs each case on a fresh
 * session with {@linkcode runCase}, reports each result as it comes, and sums up. Whatever a
 * target does (throws from `open`, hangs up mid-case), every case gets a result: a run never
 * loses the results it already has.
 *
 * @example Run two cases against the reference controller
 * ```ts
 * import { runSuite } from "./runner.ts";
 * import { referenceTarget } from "./target.ts";
 * const report = runSuite(referenceTarget(), [
 *   { id: "example.vs.major", title: "VS major ≥ 1", section: "Base 2.1 §3.1.4.2",
 *     run: (ctx) => ctx.check(ctx.host.read32(0x08) >>> 16 >= 1, "VS major < 1") },
 *   { id: "example.vs.broken", title: "fails on purpose", section: "Base 2.1 §3.1.4.2",
 *     run: (ctx) => ctx.fail("on purpose") },
 * ], { driver: "none" });
 * if (report.summary.passed !== 1 || report.summary.failed !== 1) throw new Error("summary");
 * ```
 *
 * @module
 */

import type { Capabilities } from "./capabilities.ts";
import type { ConformanceCase } from "./case.ts";
import { type CaseResult, probeTarget, runCase } from "./run_case.ts";
import type { Target } from "./target.ts";

/** The specification versions the suite checks against (reports name them). */
export const SPEC_VERSIONS = "NVMe Base 2.1, NVM Command Set 1.1, PCIe Transport 1.1";

/** Counts by status. Deviations are counted apart: they neither pass nor fail. */
export interface RunSummary {
  /** Cases that passed. */
  readonly passed: number;
  /** Cases that failed (including registered deviations that did not reproduce). */
  readonly failed: number;
  /** Cases skipped: a capability the target lacks, or skipped at run time. */
  readonly skipped: number;
  /** Cases the target fails as its deviation registry says it does. */
  readonly deviations: number;
}

/** A finished run: what every report format renders. */
export interface RunReport {
  /** Target name. */
  readonly target: string;
  /** Driver model name whose obligation scenarios ran, or `"none"`. */
  readonly driver: string;
  /** The spec versions checked ({@linkcode SPEC_VERSIONS}). */
  readonly spec: string;
  /** One result per case, in run order. */
  readonly cases: readonly CaseResult[];
  /** Counts by status. */
  readonly summary: RunSummary;
}

/** Callbacks and labels for {@linkcode runSuite}. */
export interface RunOptions {
  /** Driver name for the report (default `"none"`). */
  readonly driver?: string;
  /** Called before case `index` (0-based) of `total` starts. */
  readonly onCaseStart?: (c: ConformanceCase, index: number, total: number) => void;
  /** Called with each result as soon as it is known. */
  readonly onResult?: (result: CaseResult, index: number, total: number) => void;
}

/** Counts results by status. */
export function summarize(results: readonly CaseResult[]): RunSummary {
  let passed = 0, failed = 0, skipped = 0, deviations = 0;
  for (const r of results) {
    if (r.status === "pass") passed++;
    else if (r.status === "fail") failed++;
    else if (r.status === "skip") skipped++;
    else deviations++;
  }
  return { passed, failed, skipped, deviations };
}

/** The group of a case: the first part of its id (`io-queues` for `io-queues.create.cq`). */
export function caseGroup(id: string): string {
  const dot = id.indexOf(".");
  return dot < 0 ? id : id.slice(0, dot);
}

/** Results by group, groups in first-seen order, results in run order within each. */
export function groupResults(results: readonly CaseResult[]): Map<string, CaseResult[]> {
  const groups = new Map<string, CaseResult[]>();
  for (const r of results) {
    const g = caseGroup(r.id);
    const list = groups.get(g);
    if (list) list.push(r);
    else groups.set(g, [r]);
  }
  return groups;
}

/** True when nothing failed: every case that applies passed or is a registered deviation. */
export function runSucceeded(summary: RunSummary): boolean {
  return summary.failed === 0;
}

/** `N passed, N failed, N skipped, N deviations` — the closing line of every run. */
export function summaryLine(summary: RunSummary): string {
  return `${summary.passed} passed, ${summary.failed} failed, ${summary.skipped} skipped, ` +
    `${summary.deviations} deviations`;
}

function errorText(e: unknown): string {
  return e instanceof Error ? `${e.name}: ${e.message}` : String(e);
}

/** A failure the runner itself records (the case body never ran); like {@linkcode runCase}, a
 * failure the target's deviation registry lists is a deviation. */
function failed(target: Target, c: ConformanceCase, message: string, durationMs = 0): CaseResult {
  const deviation = target.deviations?.[c.id];
  return {
    id: c.id,
    title: c.title,
    section: c.section,
    status: deviation ? "deviation" : "fail",
    message: deviation ? `${deviation.reason} [observed: ${message}]` : message,
    durationMs,
  };
}

/**
 * Runs `cases` against `target`, in order. The target is probed once (its own session); when the
 * probe itself throws, no case can run and each is reported failed with the probe's error. An
 * exception escaping {@linkcode runCase} (e.g. the target's `open` throws) fails that case only.
 * Either failure is a deviation when the target's registry lists the case.
 */
export function runSuite(
  target: Target,
  cases: readonly ConformanceCase[],
  options: RunOptions = {},
): RunReport {
  const results: CaseResult[] = [];
  const total = cases.length;
  let caps: Capabilities | null = null;
  let probeError = "";
  try {
    caps = probeTarget(target);
  } catch (e) {
    probeError = `target "${target.name}" could not be probed: ${errorText(e)}`;
  }
  for (let i = 0; i < total; i++) {
    const c = cases[i];
    options.onCaseStart?.(c, i, total);
    let result: CaseResult;
    if (caps === null) {
      result = failed(target, c, probeError);
    } else {
      const started = performance.now();
      try {
        result = runCase(target, caps, c);
      } catch (e) {
        const ms = Math.round((performance.now() - started) * 1000) / 1000;
        const message = `target "${target.name}" failed outside the case: ${errorText(e)}`;
        result = failed(target, c, message, ms);
      }
    }
    results.push(result);
    options.onResult?.(result, i, total);
  }
  return {
    target: target.name,
    driver: options.driver ?? "none",
    spec: SPEC_VERSIONS,
    cases: results,
    summary: summarize(results),
  };
}
