/**
 * One in-process fuzz session as `deno task fuzz` runs it: each property in turn, with a progress
 * line while it runs, its result line (or, in JSON format, one document at the end), replay files
 * for failures, and the closing summary and totals lines. With `events` (the isolated child) it
 * also prints the event lines of `isolated_run.ts` — start, progress at most once a second, and
 * done with the measured result — and hands replay records to the parent instead of writing them.
 *
 * @example
 * ```ts
 * import { runSession } from "./session.ts";
 * import { selectProperties } from "./properties.ts";
 * let out = "";
 * const code = runSession({
 *   io: { stdout: (t) => out += t, stderr() {} },
 *   progressLine: { update() {}, clear() {} },
 *   driverSpec: "none", driverOptions: {}, controller: {}, out: "/tmp",
 *   events: false, quiet: false, format: "text",
 * }, selectProperties("need-event"), { seed: 1, runs: 20 });
 * if (code !== 0 || !out.includes("PASS need-event  20 runs")) throw new Error(out);
 * ```
 *
 * @module
 */

import type { ControllerOptions } from "../controller/options.ts";
import type { ResolvedDriver } from "../driver/registry.ts";
import { join } from "node:path";
import { eventLine, type ProgressSink } from "./isolated_run.ts";
import type { FuzzProperty } from "./property.ts";
import { replayFileName, replayRecord, saveReplay } from "./replay.ts";
import { fuzzJson } from "./report_json.ts";
import { formatResult, summaryLine, totalsLine } from "./report_text.ts";
import { DEFAULT_RUNS, type MeasuredResult, type RunProgress, runProperty } from "./runner.ts";

/** Redraw interval of the progress line on a terminal. */
const PROGRESS_INTERVAL_MS = 100;
/** Interval of progress events for an isolating parent (they also show the child is alive). */
const PROGRESS_EVENT_INTERVAL_MS = 1000;

/** Output streams of a session. */
export interface SessionIo {
  /** Standard output. */
  stdout(text: string): void;
  /** Standard error. */
  stderr(text: string): void;
}

/** Where and how a session runs. */
export interface SessionOptions {
  /** Output. */
  readonly io: SessionIo;
  /** The progress line (the command line passes one that draws only on a terminal). */
  readonly progressLine: ProgressSink;
  /** `--driver` as given (for replay files and JSON). */
  readonly driverSpec: string;
  /** The driver model (driver properties need it). */
  readonly driver?: ResolvedDriver;
  /** Driver factory options. */
  readonly driverOptions: Readonly<Record<string, unknown>>;
  /** Controller options laid over each property's. */
  readonly controller: Readonly<Partial<ControllerOptions>>;
  /** Directory for replay files. */
  readonly out: string;
  /** Print event lines for an isolating parent instead of writing replay files. */
  readonly events: boolean;
  /** Text format: print only FAIL results and the closing lines. */
  readonly quiet: boolean;
  /** `text` result lines, or one `json` document at the end. */
  readonly format: "text" | "json";
}

/** Seed and budget of a session. */
export interface SessionBudget {
  /** fast-check seed. */
  readonly seed: number;
  /** Cases per property (default: each property's own). */
  readonly runs?: number;
  /** Wall-clock budget of the whole session (ms), shared out equally among what is left. */
  readonly budgetMs?: number;
}

/** The progress line's text for `p` of property `index` (1-based) of `total`. */
export function progressText(
  index: number,
  total: number,
  name: string,
  p: Readonly<RunProgress>,
): string {
  const at = `[${index}/${total}] ${name} `;
  return p.shrinking
    ? `${at}failed after ${p.casesRun} runs: shrinking (${p.executions - p.casesRun} tries)`
    : `${at}${p.executions}/${p.runs} runs`;
}

/** Saves a failure's replay file (or hands it to the parent); the file's path, or null. */
function saveFailure(
  o: SessionOptions,
  r: MeasuredResult,
  usesDriver: boolean,
  sink: SessionIo,
): string | null | false {
  const record = replayRecord(r, {
    driver: usesDriver ? o.driverSpec : null,
    driverOptions: o.driverOptions,
    controller: o.controller,
  });
  if (o.events) {
    o.io.stdout(eventLine({ replay: record }));
    return null;
  }
  return saveReplay(o.out, record, sink) ? join(o.out, replayFileName(record)) : false;
}

/** Runs `props`; resolves to the exit code (0 all passed, 1 a failure or an unwritten file). */
export function runSession(
  o: SessionOptions,
  props: readonly FuzzProperty[],
  budget: SessionBudget,
): number {
  const started = performance.now();
  const json = o.format === "json";
  // In JSON format stdout carries only the document: notes about replay files go to stderr.
  const notes: SessionIo = json ? { stdout: o.io.stderr, stderr: o.io.stderr } : o.io;
  const results: (MeasuredResult & { replayFile: string | null })[] = [];
  let writeFailed = false;
  props.forEach((p, i) => {
    const left = budget.budgetMs === undefined
      ? undefined
      : Math.max(1, (budget.budgetMs - (performance.now() - started)) / (props.length - i));
    if (o.events) o.io.stdout(eventLine({ start: p.name }));
    let nextDraw = 0, nextEvent = performance.now() + PROGRESS_EVENT_INTERVAL_MS;
    const onProgress = (pr: Readonly<RunProgress>) => {
      const now = performance.now();
      if (now >= nextDraw) {
        o.progressLine.update(progressText(i + 1, props.length, p.name, pr));
        nextDraw = now + PROGRESS_INTERVAL_MS;
      }
      if (o.events && now >= nextEvent) {
        const { executions, runs, shrinking } = pr;
        o.io.stdout(eventLine({ progress: { property: p.name, executions, runs, shrinking } }));
        nextEvent = now + PROGRESS_EVENT_INTERVAL_MS;
      }
    };
    o.progressLine.update(progressText(i + 1, props.length, p.name, {
      executions: 0,
      runs: budget.runs ?? p.defaultRuns ?? DEFAULT_RUNS,
      shrinking: false,
      casesRun: 0,
    }));
    const r = runProperty(p, {
      driver: o.driver,
      driverOptions: o.driverOptions,
      controller: o.controller,
    }, { seed: budget.seed, runs: budget.runs, timeLimitMs: left, onProgress });
    o.progressLine.clear();
    if (!json && (r.status === "fail" || !o.quiet)) o.io.stdout(formatResult(r) + "\n");
    let replayFile: string | null = null;
    if (r.status === "fail") {
      const saved = saveFailure(o, r, p.usesDriver, notes);
      if (saved === false) writeFailed = true;
      else replayFile = saved;
    }
    results.push({ ...r, replayFile });
    if (o.events) {
      o.io.stdout(eventLine({ done: { property: p.name, status: r.status, result: r } }));
    }
  });
  const failed = results.filter((r) => r.status === "fail").length;
  if (json && !o.events) {
    const doc = fuzzJson({
      driver: o.driverSpec,
      driverOptions: o.driverOptions,
      seed: budget.seed,
      results,
    });
    o.io.stdout(JSON.stringify(doc, null, 2) + "\n");
  } else if (!o.events) {
    o.io.stdout(summaryLine(results.length - failed, failed) + "\n");
    o.io.stdout(totalsLine(results) + "\n");
  }
  return failed > 0 || writeFailed ? 1 : 0;
}
