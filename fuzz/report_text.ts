/**
 * Text rendering of fuzz results for the command line: one line per property (PASS/FAIL, runs,
 * speed, section, time), a failure's error and numbered counterexample steps, the property table
 * of `--list`, the closing summary line and the totals line below it.
 *
 * @example
 * ```ts
 * import { formatResult } from "./report_text.ts";
 * const line = formatResult({
 *   property: "need-event", section: "Base 2.1 §5.2.5", status: "pass", seed: 1, runs: 10,
 *   shrinks: 0, interrupted: false, path: null, replayPath: null, counterexample: null,
 *   steps: [], error: "", durationMs: 2, executions: 10, commands: 20, commandUnit: "checks",
 *   executionsPerSecond: 5000, commandsPerSecond: 10000,
 * });
 * if (line !== "PASS need-event  10 runs  5,000 runs/s  10,000 checks/s  Base 2.1 §5.2.5  (0.0 s)") {
 *   throw new Error(line);
 * }
 * ```
 *
 * @module
 */

import type { CommandUnit, FuzzProperty } from "./property.ts";
import { type MeasuredResult, perSecond } from "./runner.ts";

/** Milliseconds as seconds with one decimal: `1.7 s`. */
export function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

/** A count or rate rounded to a whole number, with thousands separators: `12,345`. */
export function count(n: number): string {
  return Math.round(n).toLocaleString("en-US");
}

/** Short label of a unit in a rate: `cmds/s`, `checks/s`. */
function unitRate(unit: CommandUnit): string {
  return unit === "commands" ? "cmds/s" : "checks/s";
}

/** The speed part of a result line: `5,000 runs/s  10,000 cmds/s`. */
export function speedText(r: MeasuredResult): string {
  // After a failure the executions include shrink attempts: call them what they are.
  const what = r.status === "pass" ? "runs/s" : "execs/s";
  return `${count(r.executionsPerSecond)} ${what}  ${count(r.commandsPerSecond)} ${
    unitRate(r.commandUnit)
  }`;
}

/** The lines describing one result (no trailing newline). */
export function formatResult(r: MeasuredResult): string {
  const head = r.status === "pass"
    ? `PASS ${r.property}  ${r.runs} runs${r.interrupted ? " (time limit: cut short)" : ""}`
    : `FAIL ${r.property}  after ${r.runs} run${
      r.runs === 1 ? "" : "s"
    }, shrunk ${r.shrinks} times`;
  const lines = [`${head}  ${speedText(r)}  ${r.section}  (${seconds(r.durationMs)})`];
  if (r.status === "fail") {
    lines.push(`  ${r.error}`);
    lines.push("  counterexample:");
    r.steps.forEach((s, i) => lines.push(`    ${i + 1}. ${s}`));
    lines.push(`  seed ${r.seed}, path ${r.path}`);
  }
  return lines.join("\n");
}

/** The `--list` table: name, default runs, section, and the invariant below. */
export function propertyTable(properties: readonly FuzzProperty[], defaultRuns: number): string {
  const w = Math.max(...properties.map((p) => p.name.length));
  const rows = properties.map((p) =>
    `${p.name.padEnd(w)}  ${
      String(p.defaultRuns ?? defaultRuns).padStart(5)
    } runs  ${p.section}\n` +
    `${" ".repeat(w + 2)}${p.description}`
  );
  return [...rows, `${properties.length} properties`].join("\n");
}

/** The closing line: `N passed, N failed`. */
export function summaryLine(passed: number, failed: number): string {
  return `${passed} passed, ${failed} failed`;
}

/** What the totals are computed from (a {@linkcode MeasuredResult} has it). */
export type SpeedFields = Pick<
  MeasuredResult,
  "executions" | "commands" | "commandUnit" | "durationMs"
>;

/** Sums over a run's results; each rate is over the time of the properties that counted it. */
export interface Totals {
  /** Predicate executions (cases and shrink attempts). */
  readonly executions: number;
  /** Wall-clock milliseconds of every property. */
  readonly elapsedMs: number;
  /** Executions per second over `elapsedMs`. */
  readonly executionsPerSecond: number;
  /** NVMe commands counted by properties whose unit is commands. */
  readonly commands: number;
  /** Wall-clock milliseconds of those properties. */
  readonly commandsElapsedMs: number;
  /** Commands per second over `commandsElapsedMs`. */
  readonly commandsPerSecond: number;
  /** Checks counted by properties whose unit is checks. */
  readonly checks: number;
  /** Wall-clock milliseconds of those properties. */
  readonly checksElapsedMs: number;
  /** Checks per second over `checksElapsedMs`. */
  readonly checksPerSecond: number;
}

/** The totals of `results`. */
export function totals(results: readonly SpeedFields[]): Totals {
  let executions = 0, elapsedMs = 0, commands = 0, commandsMs = 0, checks = 0, checksMs = 0;
  for (const r of results) {
    executions += r.executions;
    elapsedMs += r.durationMs;
    if (r.commandUnit === "commands") {
      commands += r.commands;
      commandsMs += r.durationMs;
    } else {
      checks += r.commands;
      checksMs += r.durationMs;
    }
  }
  return {
    executions,
    elapsedMs,
    executionsPerSecond: perSecond(executions, elapsedMs),
    commands,
    commandsElapsedMs: commandsMs,
    commandsPerSecond: perSecond(commands, commandsMs),
    checks,
    checksElapsedMs: checksMs,
    checksPerSecond: perSecond(checks, checksMs),
  };
}

/**
 * The totals line below the summary:
 * `totals: 2,000 runs in 4.0 s (500 runs/s); 30,000 commands in 3.0 s (10,000/s); …`.
 */
export function totalsLine(results: readonly SpeedFields[]): string {
  const t = totals(results);
  const parts = [
    `${count(t.executions)} runs in ${seconds(t.elapsedMs)} (${
      count(t.executionsPerSecond)
    } runs/s)`,
  ];
  if (t.commandsElapsedMs > 0) {
    parts.push(
      `${count(t.commands)} commands in ${seconds(t.commandsElapsedMs)} (${
        count(t.commandsPerSecond)
      }/s)`,
    );
  }
  if (t.checksElapsedMs > 0) {
    parts.push(
      `${count(t.checks)} checks in ${seconds(t.checksElapsedMs)} (${count(t.checksPerSecond)}/s)`,
    );
  }
  return `totals: ${parts.join("; ")}`;
}
