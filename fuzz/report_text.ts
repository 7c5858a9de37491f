/**
 * Text rendering of fuzz results for the command line: one line per property (PASS/FAIL, runs,
 * section, time), a failure's error and numbered counterexample steps, the property table of
 * `--list`, and the closing summary line.
 *
 * @example
 * ```ts
 * import { formatResult } from "./report_text.ts";
 * const line = formatResult({
 *   property: "need-event", section: "Base 2.1 §5.2.8", status: "pass", seed: 1, runs: 10,
 *   shrinks: 0, interrupted: false, path: null, replayPath: null, counterexample: null,
 *   steps: [], error: "", durationMs: 120,
 * });
 * if (line !== "PASS need-event  10 runs  Base 2.1 §5.2.8  (0.1 s)") throw new Error(line);
 * ```
 *
 * @module
 */

import type { FuzzProperty } from "./property.ts";
import type { PropertyResult } from "./runner.ts";

/** Milliseconds as seconds with one decimal: `1.7 s`. */
export function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

/** The lines describing one result (no trailing newline). */
export function formatResult(r: PropertyResult): string {
  const head = r.status === "pass"
    ? `PASS ${r.property}  ${r.runs} runs${r.interrupted ? " (time limit: cut short)" : ""}`
    : `FAIL ${r.property}  after ${r.runs} run${
      r.runs === 1 ? "" : "s"
    }, shrunk ${r.shrinks} times`;
  const lines = [`${head}  ${r.section}  (${seconds(r.durationMs)})`];
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
