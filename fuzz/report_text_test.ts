import { assertEquals, assertMatch } from "@std/assert";
import { fuzzJson } from "./report_json.ts";
import { count, formatResult, totals, totalsLine } from "./report_text.ts";
import type { MeasuredResult } from "./runner.ts";
import { progressText } from "./session.ts";

const PASS: MeasuredResult = {
  property: "data-integrity",
  section: "NVM CS 1.1 §3.3",
  status: "pass",
  seed: 1,
  runs: 1000,
  shrinks: 0,
  interrupted: false,
  path: null,
  replayPath: null,
  counterexample: null,
  steps: [],
  error: "",
  durationMs: 2000,
  executions: 1000,
  commands: 24000,
  commandUnit: "commands",
  executionsPerSecond: 500,
  commandsPerSecond: 12000,
};
const FAIL: MeasuredResult = {
  ...PASS,
  property: "need-event",
  status: "fail",
  runs: 3,
  shrinks: 2,
  path: "2:0",
  steps: ["need_event(eventIdx=0, new=0, old=1)"],
  error: "PropertyViolation: boom",
  durationMs: 1000,
  executions: 6,
  commands: 12,
  commandUnit: "checks",
  executionsPerSecond: 6,
  commandsPerSecond: 12,
};

Deno.test("report: result lines carry runs/s and the unit's rate; a failure says execs/s", () => {
  assertEquals(
    formatResult(PASS),
    "PASS data-integrity  1000 runs  500 runs/s  12,000 cmds/s  NVM CS 1.1 §3.3  (2.0 s)",
  );
  assertEquals(
    formatResult(FAIL).split("\n"),
    [
      "FAIL need-event  after 3 runs, shrunk 2 times  6 execs/s  12 checks/s  NVM CS 1.1 §3.3  " +
      "(1.0 s)",
      "  PropertyViolation: boom",
      "  counterexample:",
      "    1. need_event(eventIdx=0, new=0, old=1)",
      "  seed 1, path 2:0",
    ],
  );
  assertEquals(count(1234567.6), "1,234,568");
});

Deno.test("report: totals rate commands and checks over their own properties' time", () => {
  const t = totals([PASS, FAIL]);
  assertEquals([t.executions, t.elapsedMs, t.executionsPerSecond], [1006, 3000, 1006 / 3]);
  assertEquals([t.commands, t.commandsElapsedMs, t.commandsPerSecond], [24000, 2000, 12000]);
  assertEquals([t.checks, t.checksElapsedMs, t.checksPerSecond], [12, 1000, 12]);
  assertEquals(
    totalsLine([PASS, FAIL]),
    "totals: 1,006 runs in 3.0 s (335 runs/s); 24,000 commands in 2.0 s (12,000/s); " +
      "12 checks in 1.0 s (12/s)",
  );
  assertMatch(totalsLine([PASS]), /^totals: 1,000 runs in 2\.0 s \(500 runs\/s\); 24,000 [^;]*$/);
});

Deno.test("report: the JSON document has the seed, each result and the totals", () => {
  const doc = fuzzJson({
    driver: "linux",
    driverOptions: { x: 1 },
    seed: 9,
    results: [PASS, { ...FAIL, replayFile: "out/need-event-seed1.json" }],
  });
  const back = JSON.parse(JSON.stringify(doc));
  assertEquals([back.seed, back.driver, back.driverOptions], [9, "linux", { x: 1 }]);
  assertEquals(back.results.map((r: { replayFile: string | null }) => r.replayFile), [
    null,
    "out/need-event-seed1.json",
  ]);
  assertEquals([back.totals.passed, back.totals.failed, back.totals.commands], [1, 1, 24000]);
});

Deno.test("progress text: runs so far, then shrinking after a failure", () => {
  const p = { executions: 1200, runs: 2000, shrinking: false, casesRun: 1200 };
  assertEquals(progressText(3, 8, "prp-builder", p), "[3/8] prp-builder 1200/2000 runs");
  assertEquals(
    progressText(3, 8, "prp-builder", { ...p, executions: 1250, shrinking: true }),
    "[3/8] prp-builder failed after 1200 runs: shrinking (50 tries)",
  );
});
