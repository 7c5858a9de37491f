/**
 * The JSON report, exactly `{target, driver, spec, cases: [{id, title, section, status, message,
 * durationMs}], summary: {passed, failed, skipped, deviations}}`, for scripts and dashboards.
 *
 * @example
 * ```ts
 * import { renderJsonReport } from "./report_json.ts";
 * const json = JSON.parse(renderJsonReport({
 *   target: "reference", driver: "linux", spec: "NVMe Base 2.1", cases: [],
 *   summary: { passed: 0, failed: 0, skipped: 0, deviations: 0 },
 * }));
 * if (json.target !== "reference") throw new Error("target");
 * ```
 *
 * @module
 */

import type { CaseResult } from "./run_case.ts";
import type { RunReport, RunSummary } from "./runner.ts";

/** The JSON report's shape. */
export interface JsonReport {
  /** Target name. */
  readonly target: string;
  /** Driver model name, or "none". */
  readonly driver: string;
  /** Spec versions checked. */
  readonly spec: string;
  /** One entry per case, in run order. */
  readonly cases: readonly CaseResult[];
  /** Counts by status. */
  readonly summary: RunSummary;
}

/** Picks the documented fields, in the documented order (nothing else leaks into the file). */
export function toJsonReport(report: RunReport): JsonReport {
  return {
    target: report.target,
    driver: report.driver,
    spec: report.spec,
    cases: report.cases.map((c) => ({
      id: c.id,
      title: c.title,
      section: c.section,
      status: c.status,
      message: c.message,
      durationMs: c.durationMs,
    })),
    summary: {
      passed: report.summary.passed,
      failed: report.summary.failed,
      skipped: report.summary.skipped,
      deviations: report.summary.deviations,
    },
  };
}

/** The JSON report as text (two-space indent, trailing newline). */
export function renderJsonReport(report: RunReport): string {
  return JSON.stringify(toJsonReport(report), null, 2) + "\n";
}
