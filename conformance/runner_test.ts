import { assert, assertEquals, assertStringIncludes } from "@std/assert";
import type { ConformanceCase } from "./case.ts";
import type { CaseResult } from "./run_case.ts";
import {
  caseGroup,
  groupResults,
  runSucceeded,
  runSuite,
  SPEC_VERSIONS,
  summaryLine,
} from "./runner.ts";
import { referenceTarget, type Target } from "./target.ts";
import { RegisterOffset } from "../spec/registers.ts";

const SECTION = "Base 2.1 §3.1.4.2";

/** One synthetic case per outcome the runner must classify. */
const CASES: readonly ConformanceCase[] = [
  {
    id: "synthetic.outcome.pass",
    title: "VS major is at least 1",
    section: SECTION,
    run: (ctx) => ctx.check(ctx.host.read32(RegisterOffset.VS) >>> 16 >= 1, "VS major < 1"),
  },
  {
    id: "synthetic.outcome.fail",
    title: "fails through ctx.check",
    section: SECTION,
    run: (ctx) => ctx.check(ctx.host.read32(RegisterOffset.VS) === 0, "VS is not zero"),
  },
  {
    id: "synthetic.outcome.skip-capability",
    title: "needs weighted round robin",
    section: "Base 2.1 §3.4.4",
    needs: ["wrr"],
    run: (ctx) => ctx.fail("must not run without the capability"),
  },
  {
    id: "synthetic.outcome.skip-runtime",
    title: "skips itself",
    section: SECTION,
    run: (ctx) => ctx.skip("nothing to check here"),
  },
  {
    id: "synthetic.outcome.throws",
    title: "throws an error that is not a CaseFailure",
    section: SECTION,
    run: () => {
      throw new TypeError("boom");
    },
  },
  {
    id: "synthetic.deviation.reproduces",
    title: "fails as the registry says",
    section: SECTION,
    run: (ctx) => ctx.fail("observed behaviour"),
  },
  {
    id: "synthetic.deviation.stale",
    title: "passes although the registry lists it",
    section: SECTION,
    run: () => {},
  },
];

/** The reference controller without WRR, with two registered deviations. */
function syntheticTarget(): Target {
  return {
    ...referenceTarget({ wrr: false }, "synthetic"),
    deviations: {
      "synthetic.deviation.reproduces": {
        reason: "answers differently",
        evidence: "seen in a test",
      },
      "synthetic.deviation.stale": { reason: "used to differ", evidence: "seen in a test" },
    },
  };
}

function byId(results: readonly CaseResult[]): Record<string, CaseResult> {
  return Object.fromEntries(results.map((r) => [r.id, r]));
}

Deno.test("runSuite classifies every outcome and sums them up", () => {
  const started: string[] = [];
  const reported: string[] = [];
  const report = runSuite(syntheticTarget(), CASES, {
    driver: "linux",
    onCaseStart: (c, i, total) => {
      assertEquals(total, CASES.length);
      started.push(`${i}:${c.id}`);
    },
    onResult: (r, i) => reported.push(`${i}:${r.id}`),
  });
  const ids = CASES.map((c, i) => `${i}:${c.id}`);
  assertEquals(started, ids);
  assertEquals(reported, ids);
  assertEquals(report.cases.map((r) => r.id), CASES.map((c) => c.id));
  assertEquals([report.target, report.driver, report.spec], ["synthetic", "linux", SPEC_VERSIONS]);
  const r = byId(report.cases);
  assertEquals(r["synthetic.outcome.pass"].status, "pass");
  assertEquals(r["synthetic.outcome.pass"].message, "");
  assertEquals(r["synthetic.outcome.fail"].status, "fail");
  assertEquals(r["synthetic.outcome.fail"].message, "VS is not zero");
  assertEquals(r["synthetic.outcome.skip-capability"].status, "skip");
  assertStringIncludes(r["synthetic.outcome.skip-capability"].message, '"wrr"');
  assertEquals(r["synthetic.outcome.skip-runtime"].status, "skip");
  assertEquals(r["synthetic.outcome.skip-runtime"].message, "nothing to check here");
  assertEquals(r["synthetic.outcome.throws"].status, "fail");
  assertStringIncludes(r["synthetic.outcome.throws"].message, "TypeError: boom");
  assertEquals(r["synthetic.deviation.reproduces"].status, "deviation");
  assertStringIncludes(r["synthetic.deviation.reproduces"].message, "answers differently");
  assertStringIncludes(r["synthetic.deviation.reproduces"].message, "observed behaviour");
  assertEquals(r["synthetic.deviation.stale"].status, "fail");
  assertStringIncludes(r["synthetic.deviation.stale"].message, "did not reproduce");
  assertEquals(report.summary, { passed: 1, failed: 3, skipped: 2, deviations: 1 });
  assertEquals(runSucceeded(report.summary), false);
  assertEquals(summaryLine(report.summary), "1 passed, 3 failed, 2 skipped, 1 deviations");
});

Deno.test("a run of passes, skips and reproduced deviations succeeds", () => {
  const keep = new Set([
    "synthetic.outcome.pass",
    "synthetic.outcome.skip-capability",
    "synthetic.outcome.skip-runtime",
    "synthetic.deviation.reproduces",
  ]);
  const report = runSuite(syntheticTarget(), CASES.filter((c) => keep.has(c.id)));
  assertEquals(report.driver, "none");
  assertEquals(report.summary, { passed: 1, failed: 0, skipped: 2, deviations: 1 });
  assert(runSucceeded(report.summary));
});

Deno.test("a target that cannot be probed fails every case with the probe's error", () => {
  const broken: Target = {
    name: "absent",
    description: "open() always throws",
    open: () => {
      throw new Error("no device at 0000:01:00.0");
    },
  };
  const report = runSuite(broken, CASES.slice(0, 3));
  assertEquals(report.cases.length, 3);
  for (const r of report.cases) {
    assertEquals(r.status, "fail");
    assertStringIncludes(r.message, "could not be probed");
    assertStringIncludes(r.message, "no device at 0000:01:00.0");
  }
  assertEquals(report.summary.failed, 3);
});

Deno.test("a target whose open() throws after the probe fails that case and goes on", () => {
  const inner = referenceTarget();
  let opens = 0;
  const flaky: Target = {
    name: "flaky",
    description: "the third session cannot be opened",
    open: () => {
      opens++;
      if (opens === 3) throw new Error("link down");
      return inner.open();
    },
  };
  const pass = CASES[0];
  // Sessions: 1 probe, 2 first case, 3 second case (throws), 4 third case.
  const report = runSuite(flaky, [pass, { ...pass, id: "synthetic.outcome.pass-2" }, {
    ...pass,
    id: "synthetic.outcome.pass-3",
  }]);
  assertEquals(report.cases.map((r) => r.status), ["pass", "fail", "pass"]);
  assertStringIncludes(report.cases[1].message, "link down");
});

Deno.test("failures the runner records honour the target's deviation registry", () => {
  const absent: Target = {
    name: "absent",
    description: "open() always throws",
    open: () => {
      throw new Error("no device");
    },
    deviations: { [CASES[0].id]: { reason: "not plugged in", evidence: "a test" } },
  };
  const report = runSuite(absent, CASES.slice(0, 2));
  assertEquals(report.cases.map((r) => r.status), ["deviation", "fail"]);
  assertStringIncludes(report.cases[0].message, "not plugged in [observed: target");
  assertEquals(report.summary, { passed: 0, failed: 1, skipped: 0, deviations: 1 });
});

Deno.test("caseGroup and groupResults group by the id's first part, in first-seen order", () => {
  assertEquals(caseGroup("io-queues.create.cq"), "io-queues");
  const report = runSuite(syntheticTarget(), [CASES[0], CASES[5], CASES[1]]);
  const groups = groupResults(report.cases);
  assertEquals([...groups.keys()], ["synthetic"]);
  assertEquals(groups.get("synthetic")!.map((r) => r.id), [
    CASES[0].id,
    CASES[5].id,
    CASES[1].id,
  ]);
});
