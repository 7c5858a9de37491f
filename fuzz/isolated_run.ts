/**
 * Runs a third-party driver module's fuzz session in a subprocess that may only read the harness
 * and the module's own directory: a crash of the module (`Deno.exit`, out of memory, a thrown
 * error at load time) or a hang the virtual-time guard cannot see (a loop that never touches the
 * HostPort) ends the subprocess, not the harness — it is reported as a failure of the property
 * that was running, and the session goes on with the remaining properties in a fresh subprocess.
 *
 * The child is `fuzz` itself with `--in-process --events`: it prints the usual text plus event
 * lines (`@@fuzz {json}`) marking each property's start, progress (at most once a second) and end
 * — with its measured result, so the parent's totals and JSON carry the speed — and carrying
 * replay records, which this parent turns into files (the child has no write permission).
 *
 * @example
 * ```ts
 * import { parseEvent } from "./isolated_run.ts";
 * const e = parseEvent('@@fuzz {"start":"need-event"}');
 * if (e?.start !== "need-event" || parseEvent("PASS need-event") !== null) throw new Error();
 * ```
 *
 * @module
 */

import { join } from "node:path";
import { replayFileName, type ReplayRecord, saveReplay } from "./replay.ts";
import { summaryLine, totalsLine } from "./report_text.ts";
import type { MeasuredResult } from "./runner.ts";

/** Prefix of an event line on the child's stdout. */
export const EVENT_PREFIX = "@@fuzz ";

/** One event from the child. */
export interface FuzzEvent {
  /** A property started. */
  readonly start?: string;
  /** A property ended: its name and outcome, and the measured result. */
  readonly done?: {
    readonly property: string;
    readonly status: "pass" | "fail";
    readonly result?: MeasuredResult;
  };
  /** A property is running: executions so far of the runs asked for; shrinking after a fail. */
  readonly progress?: {
    readonly property: string;
    readonly executions: number;
    readonly runs: number;
    readonly shrinking: boolean;
  };
  /** A failure to save as a replay file. */
  readonly replay?: ReplayRecord;
}

/** The event on `line`, or null when it is ordinary output. */
export function parseEvent(line: string): FuzzEvent | null {
  if (!line.startsWith(EVENT_PREFIX)) return null;
  try {
    const v = JSON.parse(line.slice(EVENT_PREFIX.length));
    return typeof v === "object" && v !== null ? v as FuzzEvent : null;
  } catch {
    return null;
  }
}

/** The line announcing `event`. */
export function eventLine(event: FuzzEvent): string {
  return EVENT_PREFIX + JSON.stringify(event) + "\n";
}

/** How to run the isolated session. */
export interface IsolatedRunOptions {
  /** Arguments for a child that runs `properties` (the parent adds nothing else). */
  readonly childArgs: (properties: readonly string[]) => string[];
  /** The properties to run, in order. */
  readonly properties: readonly string[];
  /** Paths the child may read (the harness, the module's directory). */
  readonly readPaths: readonly string[];
  /** Kill the child when it prints nothing for this long (ms). */
  readonly silenceLimitMs: number;
  /** Ordinary output from the child. */
  stdout(text: string): void;
  /** The child's stderr. */
  stderr(text: string): void;
  /** A failure's replay record. */
  replay(record: ReplayRecord): void;
  /** A progress event (default: ignored). */
  progress?(event: NonNullable<FuzzEvent["progress"]>): void;
}

/** What the session came to. */
export interface IsolatedOutcome {
  /** Outcome per property that ended (crashed ones count as failed). */
  readonly results: ReadonlyMap<string, "pass" | "fail">;
  /** Measured results the child reported, by property. */
  readonly measured: ReadonlyMap<string, MeasuredResult>;
  /** Why each crashed or hung property failed, by property. */
  readonly crashes: ReadonlyMap<string, string>;
  /** The child exited 2 (a usage error) before running anything. */
  readonly usageError: boolean;
}

/** Lines of the child's stderr kept for a crash report. */
const STDERR_TAIL_LINES = 5;
/** Exit code of a usage error (cli conventions). */
const USAGE_EXIT = 2;

/** Runs the session, restarting the child after a crash; resolves when every property ended. */
export async function runIsolated(o: IsolatedRunOptions): Promise<IsolatedOutcome> {
  const results = new Map<string, "pass" | "fail">();
  const measured = new Map<string, MeasuredResult>();
  const crashes = new Map<string, string>();
  const outcome = (usageError: boolean) => ({ results, measured, crashes, usageError });
  for (;;) {
    const remaining = o.properties.filter((p) => !results.has(p));
    if (remaining.length === 0) return outcome(false);
    const child = new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "--no-prompt",
        `--allow-read=${o.readPaths.join(",")}`,
        ...o.childArgs(remaining),
      ],
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    let current: string | null = null;
    let silenced = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const arm = () => {
      clearTimeout(timer);
      timer = setTimeout(() => {
        silenced = true;
        try {
          child.kill("SIGKILL");
        } catch { /* already gone */ }
      }, o.silenceLimitMs);
    };
    arm();
    const stderrTail: string[] = [];
    const pumpErr = (async () => {
      for await (const text of child.stderr.pipeThrough(new TextDecoderStream())) {
        o.stderr(text);
        stderrTail.push(...text.split("\n").filter((l) => l.trim() !== ""));
        stderrTail.splice(0, Math.max(0, stderrTail.length - STDERR_TAIL_LINES));
      }
    })();
    let pending = "";
    for await (const text of child.stdout.pipeThrough(new TextDecoderStream())) {
      arm();
      pending += text;
      let nl: number;
      while ((nl = pending.indexOf("\n")) >= 0) {
        const line = pending.slice(0, nl + 1);
        pending = pending.slice(nl + 1);
        const e = parseEvent(line);
        if (e === null) o.stdout(line);
        else if (e.start !== undefined) current = e.start;
        else if (e.done !== undefined) {
          results.set(e.done.property, e.done.status);
          if (e.done.result !== undefined) measured.set(e.done.property, e.done.result);
          current = null;
        } else if (e.progress !== undefined) o.progress?.(e.progress);
        else if (e.replay !== undefined) o.replay(e.replay);
      }
    }
    if (pending !== "") o.stdout(pending);
    const status = await child.status;
    clearTimeout(timer);
    await pumpErr;
    if (current === null && results.size === 0 && status.code === USAGE_EXIT) {
      return outcome(true);
    }
    const stillRemaining = o.properties.filter((p) => !results.has(p));
    if (stillRemaining.length === 0) return outcome(false);
    // The child died (or was killed) before finishing: blame the property it was running, or the
    // first one it never started.
    const victim = current ?? stillRemaining[0];
    const why = silenced
      ? `no output for ${o.silenceLimitMs / 1000} s: the driver module hung outside the ` +
        `virtual-time guard (a loop that never calls the HostPort?) and was killed`
      : `the driver module's process ended (${
        status.signal ? `signal ${status.signal}` : `exit code ${status.code}`
      }) while the property ran`;
    o.stdout(`FAIL ${victim}  ${why}\n`);
    for (const l of stderrTail) o.stdout(`  stderr: ${l}\n`);
    results.set(victim, "fail");
    crashes.set(victim, [why, ...stderrTail.map((l) => `stderr: ${l}`)].join("\n"));
  }
}

/** A redrawable status line (the command line's progress line); every method may do nothing. */
export interface ProgressSink {
  /** Replaces the line with `text`. */
  update(text: string): void;
  /** Erases the line (before any other output). */
  clear(): void;
}

/** A whole isolated session as the command line runs it. */
export interface IsolatedSessionOptions
  extends Omit<IsolatedRunOptions, "stdout" | "stderr" | "replay" | "progress"> {
  /** Printed before the child's first output (not at all when the module fails to load). */
  readonly header: string;
  /** Directory for replay files. */
  readonly out: string;
  /** Output streams. */
  readonly io: { stdout(text: string): void; stderr(text: string): void };
  /**
   * `text` (default): the child's lines, then the summary and totals lines. `json`: nothing on
   * stdout (the caller prints the document from the returned results); the child's lines and
   * replay notes go to stderr.
   */
  readonly format?: "text" | "json";
  /** Progress display fed from the child's progress events (default none). */
  readonly progressLine?: ProgressSink;
}

/** What a session came to. */
export interface IsolatedSessionResult {
  /** 0 all passed, 1 a failure (or an unwritten replay file), 2 the child's usage error. */
  readonly exitCode: number;
  /** Per property that ended, in order: the child's measured result, or why it crashed. */
  readonly ended: readonly {
    readonly property: string;
    readonly result: MeasuredResult | null;
    readonly crash: string | null;
    readonly replayFile: string | null;
  }[];
}

/**
 * Runs {@linkcode runIsolated}, writes each failure's replay file (the child cannot), and in text
 * format prints the summary and totals lines. Exit code 2 means the child reported a usage error
 * (e.g. the module does not export createDriver).
 */
export async function runIsolatedSession(
  o: IsolatedSessionOptions,
): Promise<IsolatedSessionResult> {
  const json = o.format === "json";
  const progress = o.progressLine ?? { update() {}, clear() {} };
  let header = o.header;
  let writeFailed = false;
  const replayFiles = new Map<string, string>();
  const stdout = (text: string) => {
    progress.clear();
    if (json) return o.io.stderr(text);
    if (header !== "") o.io.stdout(header);
    header = "";
    o.io.stdout(text);
  };
  const outcome = await runIsolated({
    ...o,
    stdout,
    stderr: (text) => {
      progress.clear();
      o.io.stderr(text);
    },
    replay: (record) => {
      if (!saveReplay(o.out, record, { stdout, stderr: o.io.stderr })) writeFailed = true;
      else replayFiles.set(record.property, join(o.out, replayFileName(record)));
    },
    progress: (e) => {
      const i = o.properties.indexOf(e.property) + 1;
      progress.update(
        `[${i}/${o.properties.length}] ${e.property} ` +
          (e.shrinking
            ? `failed: shrinking (${e.executions} executions)`
            : `${e.executions}/${e.runs} runs`),
      );
    },
  });
  progress.clear();
  if (outcome.usageError) return { exitCode: USAGE_EXIT, ended: [] };
  const ended = o.properties.filter((p) => outcome.results.has(p)).map((property) => ({
    property,
    result: outcome.measured.get(property) ?? null,
    crash: outcome.crashes.get(property) ?? null,
    replayFile: replayFiles.get(property) ?? null,
  }));
  const failed = [...outcome.results.values()].filter((s) => s === "fail").length;
  if (!json) {
    stdout(summaryLine(outcome.results.size - failed, failed) + "\n");
    const measured = ended.flatMap((e) => e.result === null ? [] : [e.result]);
    if (measured.length > 0) stdout(totalsLine(measured) + "\n");
  }
  return { exitCode: failed > 0 || writeFailed ? 1 : 0, ended };
}
