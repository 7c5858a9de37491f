import { assert, assertEquals, assertStringIncludes } from "@std/assert";
import type { DriverFactory } from "../driver/model.ts";
import { COST_CONSTANTS, parseCostOverrides } from "./cost_model.ts";
import { renderJsonReport } from "./report_json.ts";
import { mdCell, renderMarkdownReport } from "./report_markdown.ts";
import { ROW_COLUMNS } from "./report_table.ts";
import { renderTextReport } from "./report_text.ts";
import { runSweepMatrix, type SweepResult, sweepSucceeded } from "./sweep.ts";
import { CROSSCHECK_NOTES, type CrossCheckResult } from "./crosscheck_rows.ts";
import { CROSSCHECK_HEADERS } from "./report_crosscheck.ts";
import { COALESCING_OFF, type RowConfig } from "./sweep_matrix.ts";

const ROWS: RowConfig[] = [1, 2].flatMap((qd) =>
  (["mmio", "shadow-eventidx-polling"] as const).map((doorbell) => ({
    driver: "linux" as const,
    completion: "interrupt" as const,
    doorbell,
    coalescing: COALESCING_OFF,
    qd,
    queues: 1,
    workload: "randwrite" as const,
  }))
);
const SPDK_ROW: RowConfig = { ...ROWS[0], driver: "spdk", completion: "polled" };
const cost = parseCostOverrides(["mediaWriteNs=20000"]);

const result = await runSweepMatrix({ rows: [...ROWS, SPDK_ROW], ios: 80, cost, anchor: true });
// The same rows with SPDK unloadable and the Linux driver failing at bring-up.
const failing: DriverFactory = () => {
  throw new Error("bring-up refused");
};
const broken = await runSweepMatrix({
  rows: [ROWS[0], SPDK_ROW],
  ios: 20,
  anchor: false,
  drivers: {
    linux: () => Promise.resolve(failing),
    spdk: () => Promise.reject(new Error("module is being rewritten")),
  },
});

Deno.test("the sweep result carries versions, the cost model and one row per config", () => {
  assertEquals(result.matrix, "custom");
  assertEquals(result.rows.length, ROWS.length + 1);
  assertEquals(result.costOverrides, ["mediaWriteNs"]);
  assertEquals(result.versions.deno, Deno.version.deno);
  assert(sweepSucceeded(result));
  assertEquals(result.skipped, []);
});

Deno.test("a driver that does not load is skipped; a row that fails is kept and fails the run", () => {
  assertEquals(broken.skipped.map((s) => s.driver), ["spdk"]);
  assertStringIncludes(broken.skipped[0].reason, "module is being rewritten");
  assertEquals(broken.rows.length, 1);
  assertStringIncludes(broken.rows[0].error!, "bring-up refused");
  assertEquals(sweepSucceeded(broken), false);
  assertEquals(broken.anchor, null);
});

Deno.test("JSON: all rows, the cost model with sources, versions; NaN becomes null", () => {
  const json = JSON.parse(renderJsonReport(result));
  assertEquals(json.tool, "nvme-harness sweep");
  assertEquals(json.rows.length, result.rows.length);
  assertEquals(json.cost.mediaWriteNs, 20000);
  assertEquals(json.costConstants.length, COST_CONSTANTS.length);
  for (const c of json.costConstants) assert(c.source.length > 0);
  assertEquals(json.versions.harness, result.versions.harness);
  assertEquals(json.anchor.points.length, 4);
  assertEquals(json.anchor.rows, undefined, "points carry the anchor numbers");
  assertEquals(json.anchor.deviceBound.points.length, 4);
  assertEquals(json.anchor.deviceBound.controller, { serialCommandProcessing: true });
  assertEquals(json.anchor.deviceBound.cost.commandNs, result.anchor!.deviceBound.cost.commandNs);
  assertEquals(json.anchor.deviceBound.rows, undefined);
  const row = json.rows[0];
  for (const key of ["sqTailMmioPerIo", "cqHeadMmioPerIo", "interruptsPerIo", "wakeupsPerIo"]) {
    assertEquals(typeof row[key], "number", key);
  }
  const failed = JSON.parse(renderJsonReport(broken));
  assertEquals(failed.rows[0].iops, null);
  assertEquals(failed.skipped[0].driver, "spdk");
});

function tableRows(md: string, header: string): string[] {
  const lines = md.split("\n");
  const start = lines.findIndex((l) => l.startsWith(`| ${header}`));
  assert(start >= 0, `no table starting with ${header}`);
  const out: string[] = [];
  for (let i = start + 2; i < lines.length && lines[i].startsWith("|"); i++) out.push(lines[i]);
  return out;
}

Deno.test("Markdown: cost table, one table line per row, the anchor section", () => {
  const md = renderMarkdownReport(result);
  assertStringIncludes(md, "# nvme-harness sweep");
  const costs = tableRows(md, "constant");
  assertEquals(costs.length, COST_CONSTANTS.length);
  assertStringIncludes(costs.find((l) => l.includes("mediaWriteNs"))!, "| 20000 | no (10000) |");
  const rows = tableRows(md, "driver");
  assertEquals(rows.length, result.rows.length);
  for (const line of rows) {
    assertEquals(line.split(" | ").length, ROW_COLUMNS.length, line);
  }
  assertStringIncludes(rows[0], "| linux | interrupt | mmio | off | 1 | randwrite | 1 |");
  assertStringIncludes(md, "## QEMU anchor: MMIO writes per I/O");
  assertEquals(tableRows(md, "QD").length, 4);
  // The device-bound profile: its own heading, the option it adds, and a table of its numbers.
  const bound = md.slice(md.indexOf("### Device-bound profile"));
  assertStringIncludes(bound, "`serialCommandProcessing=true`");
  const boundRows = tableRows(bound, "QD");
  assertEquals(boundRows.length, 4);
  const qd8 = result.anchor!.deviceBound.points[3].ours.mmio;
  assertStringIncludes(boundRows[3], `| 8 | 1.99 | ${qd8.sqTail.toFixed(2)} + `);
  assertStringIncludes(md, "fa5db2aa168b");
  assertEquals(mdCell("a|b"), "a\\|b");
  const brokenMd = renderMarkdownReport(broken);
  assertStringIncludes(brokenMd, "skipped driver `spdk`");
  assertStringIncludes(brokenMd, "**failed**");
});

Deno.test("text: header with every cost constant, aligned table, anchor and failures", () => {
  const text = renderTextReport(result);
  const lines = text.split("\n");
  assertStringIncludes(lines[0], `custom matrix, ${result.rows.length} rows x 80 measured`);
  for (const c of COST_CONSTANTS) assertStringIncludes(text, `  ${c.name}`);
  assertStringIncludes(text, "mediaWriteNs         = 20000 ns (override; default 10000)");
  const header = lines.findIndex((l) => l.startsWith("driver  completion"));
  const rule = lines[header + 1];
  assert(/^-+( +-+)+$/.test(rule), rule);
  const body = lines.slice(header + 2, header + 2 + result.rows.length);
  for (const l of body) assert(l.length <= rule.length, "rows align under the rule");
  assertStringIncludes(text, "QEMU anchor");
  assertStringIncludes(text, "Device-bound profile (one serial command worker");
  assertStringIncludes(text, "serialCommandProcessing=true:");
  assertStringIncludes(text, "Why they differ:");
  const brokenText = renderTextReport(broken);
  assertStringIncludes(
    brokenText,
    "skipped driver spdk: could not load: module is being rewritten",
  );
  assertStringIncludes(brokenText, "FAILED linux interrupt mmio");
  assert(!brokenText.includes("QEMU anchor"));
});

// A cross-check as the QEMU run returns it (the run itself is tested in qemu_crosscheck_test.ts).
const side = (sq: number, cq: number, updates = 0) => ({
  doorbells: { sqPerIo: sq, cqPerIo: cq, totalPerIo: sq + cq },
  decisions: { updates, rang: updates },
});
const crossCheck: CrossCheckResult = {
  skipped: null,
  qemu: "qemu-system-x86_64 7.2.22",
  ios: 100,
  seed: 1,
  qds: [1, 4],
  modelCost: result.cost,
  anchorCost: result.cost,
  rows: [
    {
      qd: 1,
      shadow: false,
      qemu: side(1, 1),
      model: side(1, 1),
      anchorProfile: side(1, 1).doorbells,
      anchor: 2.01,
      error: null,
    },
    {
      qd: 4,
      shadow: true,
      qemu: side(1, 0.25, 120),
      model: side(1, 0.25, 120),
      anchorProfile: side(0.5, 0.5).doorbells,
      anchor: 0.27,
      error: null,
    },
    {
      qd: 16,
      shadow: true,
      qemu: null,
      model: side(1, 0.06, 90),
      anchorProfile: null,
      anchor: null,
      error: "QEMU: did not start",
    },
  ],
  maxDifference: 0,
  notes: CROSSCHECK_NOTES,
};
const withCrossCheck: SweepResult = { ...result, crossCheck };
const skippedCrossCheck: SweepResult = {
  ...result,
  crossCheck: { ...crossCheck, skipped: "qemu-system-x86_64 not found", qemu: "", rows: [] },
};

Deno.test("no cross-check unless asked for; a failed cross-check point fails the run", () => {
  assertEquals(result.crossCheck, null);
  assert(!renderTextReport(result).includes("cross-check"));
  assert(!renderMarkdownReport(result).includes("cross-check"));
  assertEquals(JSON.parse(renderJsonReport(result)).crossCheck, null);
  assertEquals(sweepSucceeded(withCrossCheck), false, "the QD16 point failed");
  assertEquals(sweepSucceeded(skippedCrossCheck), true, "a missing QEMU is not a failure");
});

Deno.test("the cross-check in text, Markdown and JSON: table, failures, notes", () => {
  const text = renderTextReport(withCrossCheck);
  assertStringIncludes(text, "QEMU cross-check (MMIO doorbell writes per I/O");
  assertStringIncludes(text, "qemu-system-x86_64 7.2.22 over qtest");
  const header = text.split("\n").findIndex((l) => l.startsWith("QD  shadow  QEMU qtest"));
  assert(header > 0, "cross-check table header");
  assertStringIncludes(text, "FAILED cross-check QD16 shadow on: QEMU: did not start");
  assertStringIncludes(text, "fa5db2aa168b");
  const md = renderMarkdownReport(withCrossCheck);
  assertStringIncludes(md, "## QEMU cross-check: MMIO doorbell writes per I/O");
  const lines = tableRows(md, "QD | shadow");
  assertEquals(lines.length, 3);
  for (const l of lines) assertEquals(l.split(" | ").length, CROSSCHECK_HEADERS.length, l);
  assertStringIncludes(lines[1], "| 4 | on | 1.00 + 0.25 = 1.25 | 1.00 + 0.25 = 1.25 |");
  assertStringIncludes(lines[1], "| 0.27 | 120/120; 120/120 |");
  assertStringIncludes(md, "- **failed** QD16 shadow on");
  const json = JSON.parse(renderJsonReport(withCrossCheck));
  assertEquals(json.crossCheck.rows[1].qemu.doorbells.cqPerIo, 0.25);
  assertEquals(json.crossCheck.rows[2].qemu, null);
});

Deno.test("a skipped cross-check is one visible line in every format", () => {
  const note = "QEMU cross-check skipped: qemu-system-x86_64 not found";
  const text = renderTextReport(skippedCrossCheck);
  assertEquals(text.split("\n").filter((l) => l.includes("cross-check")), [note]);
  assertStringIncludes(renderMarkdownReport(skippedCrossCheck), `_${note}_`);
  const json = JSON.parse(renderJsonReport(skippedCrossCheck));
  assertEquals(json.crossCheck.skipped, "qemu-system-x86_64 not found");
});

/** Keeps the type import honest: a result is what the renderers take. */
const _typed: SweepResult = result;
void _typed;
