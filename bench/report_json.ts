/**
 * The sweep's JSON report: every row, the cost model (values and the documented constants with
 * their sources), the anchor comparison and the versions, as one object. Numbers that could not
 * be measured (NaN) become `null`.
 *
 * Shape: `{ tool, versions, matrix, iosPerRow, seed, cost, costOverrides, costConstants,
 * skipped, rows: [...], anchor: {cost, overrides, points, deviceBound: {cost, overrides,
 * controller, points}, notes} | null, crossCheck }`. The anchor's rows are left out (its points
 * carry their numbers). `crossCheck` is null when it was
 * not asked for, `{ skipped: "<reason>", … }` when QEMU could not run, else
 * `{ skipped: null, qemu, ios, seed, qds, modelCost, anchorCost, rows: [{ qd, shadow, qemu:
 * { doorbells: { sqPerIo, cqPerIo, totalPerIo }, decisions: { updates, rang } }, model: {…},
 * anchorProfile: { sqPerIo, cqPerIo, totalPerIo }, anchor, error }], maxDifference, notes }`.
 *
 * @module
 */

import { COST_CONSTANTS } from "./cost_model.ts";
import type { SweepResult } from "./sweep.ts";

/** Name of the tool in the JSON, so a file says what wrote it. */
export const JSON_TOOL = "nvme-harness sweep";

/** The JSON object (before serialisation). */
export function sweepJson(result: SweepResult): Record<string, unknown> {
  const a = result.anchor;
  return {
    tool: JSON_TOOL,
    versions: result.versions,
    matrix: result.matrix,
    iosPerRow: result.iosPerRow,
    seed: result.seed,
    cost: result.cost,
    costOverrides: result.costOverrides,
    costConstants: COST_CONSTANTS,
    skipped: result.skipped,
    rows: result.rows,
    anchor: a
      ? {
        cost: a.cost,
        overrides: a.overrides,
        points: a.points,
        deviceBound: {
          cost: a.deviceBound.cost,
          overrides: a.deviceBound.overrides,
          controller: a.deviceBound.controller,
          points: a.deviceBound.points,
        },
        notes: a.notes,
      }
      : null,
    crossCheck: result.crossCheck,
  };
}

/** Serialises the report, two-space indented, with a final newline. */
export function renderJsonReport(result: SweepResult): string {
  return JSON.stringify(sweepJson(result), null, 2) + "\n";
}
