/**
 * Text and JSON renderings of a {@linkcode DifferentialReport}: the numbers (sequences, commands,
 * speed), the registered divergences by class (QEMU deviations, differences both sides may have,
 * and known reference bugs apart), and on a failure the shrunk counterexample as numbered steps
 * with the seed and path that replay it.
 *
 * @example
 * ```ts
 * import { differentialText } from "./report.ts";
 * const text = differentialText({
 *   target: "qemu", description: "QEMU", status: "pass", error: null, seed: 7, length: 24, path: null,
 *   sequences: 10, commands: 100, shrinks: 0, interrupted: false, durationMs: 2000, divergences: 3,
 *   filtered: { "timestamp": 3 }, unregistered: 0, steps: [], counterexample: [], omitted: 0,
 *   omittedUnregistered: 0,
 * });
 * if (!text.includes("PASS") || !text.includes("timestamp")) throw new Error(text);
 * ```
 *
 * @module
 */

import { DIFFERENTIAL_DEVIATIONS } from "./deviations.ts";
import { DEFAULT_DIFF_LENGTH, type DifferentialReport } from "./run.ts";

const KIND_TITLE = {
  qemu: "QEMU deviations",
  "both-allowed": "differences both sides may have",
  reference: "known reference-controller bugs (to fix in controller/)",
} as const;

/** Seconds with one decimal. */
function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

/** The command that replays a report's counterexample (or its run). */
export function replayCommand(r: DifferentialReport): string {
  const length = r.length === DEFAULT_DIFF_LENGTH ? "" : ` --length ${r.length}`;
  const base = `deno task fuzz --differential ${r.target} --seed ${r.seed}${length}`;
  return r.path === null ? base : `${base} --path ${r.path}`;
}

/** The report as text lines for a terminal. */
export function differentialText(r: DifferentialReport): string {
  const rate = r.durationMs > 0 ? (r.sequences / (r.durationMs / 1000)).toFixed(1) : "∞";
  const lines = [
    `${r.status.toUpperCase()} differential vs ${r.target}: ${r.sequences} ` +
    `sequences, ${r.commands} commands in ${seconds(r.durationMs)} (${rate} sequences/s)` +
    (r.interrupted ? ", stopped by the time limit" : ""),
    `  ${r.description}`,
    `  seed ${r.seed}${r.path === null ? "" : `, path ${r.path}`}`,
    `  divergences: ${r.divergences} (${r.divergences - r.unregistered} registered, ` +
    `${r.unregistered} unregistered)`,
  ];
  for (const kind of ["qemu", "both-allowed", "reference"] as const) {
    const rows = DIFFERENTIAL_DEVIATIONS.filter((d) => d.kind === kind && r.filtered[d.id]);
    if (rows.length === 0) continue;
    lines.push(`  ${KIND_TITLE[kind]}:`);
    const w = Math.max(...rows.map((d) => d.id.length));
    for (const d of rows) {
      const conf = d.conformance.length ? `  [conformance: ${d.conformance.join(", ")}]` : "";
      lines.push(
        `    ${d.id.padEnd(w)}  ${String(r.filtered[d.id]).padStart(6)}  ${d.section}${conf}`,
      );
    }
  }
  if (r.status === "error") {
    lines.push(
      `  a side threw, so the sequence could not be compared: ${r.error}`,
      `  the smallest sequence that still throws (${r.steps.length} commands, ${r.shrinks} shrinks):`,
      ...r.steps.map((s) => `    ${s.step}. ${s.command}`),
    );
  }
  if (r.status === "fail") {
    lines.push(`  shrunk counterexample (${r.steps.length} commands, ${r.shrinks} shrinks):`);
    for (const s of r.steps) {
      lines.push(
        `    ${s.step}. ${s.command}`,
        `       reference ${s.reference}, ${r.target} ${s.other}`,
      );
    }
    lines.push("  divergences in it:");
    for (const d of r.counterexample) {
      lines.push(
        `    ${d.step === 0 ? "end" : `step ${d.step}`} ${d.field}: reference ${d.reference}, ` +
          `${r.target} ${d.other}${
            d.deviation ? `  (registered: ${d.deviation})` : "  UNREGISTERED"
          }`,
      );
    }
    if (r.omitted > 0) {
      lines.push(
        `    … ${r.omitted} more differing data ranges not listed (${r.omittedUnregistered} ` +
          "unregistered)",
      );
    }
  }
  lines.push(`  replay: ${replayCommand(r)}`);
  if (r.target === "qemu" && r.status !== "pass" && r.path !== null) {
    lines.push(
      "  note: the replay starts a fresh QEMU process, the run used one warmed by the sequences " +
        "before it (SMART counters, Error log count, Host Behavior, Timestamp); if it does not " +
        "reproduce, rerun without --path (same --seed and --runs).",
    );
  }
  return lines.join("\n");
}

/** The report as JSON (the same fields as {@linkcode DifferentialReport}, plus the replay command
 * and each filtered class's kind and reason). */
export function differentialJson(r: DifferentialReport): string {
  const classes = DIFFERENTIAL_DEVIATIONS.filter((d) => r.filtered[d.id]).map((d) => ({
    id: d.id,
    kind: d.kind,
    count: r.filtered[d.id],
    section: d.section,
    reason: d.reason,
    conformance: d.conformance,
  }));
  return JSON.stringify({ ...r, classes, replay: replayCommand(r) }, null, 2);
}
