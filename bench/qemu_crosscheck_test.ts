import { assert, assertEquals, assertStringIncludes } from "@std/assert";
import { createDriver as linux } from "../driver/linux/driver.ts";
import { Counters } from "../platform/counters.ts";
import { qemuAvailable } from "../platform/qtest/available.ts";
import { DEFAULT_COST_MODEL } from "./cost_model.ts";
import { QTEST_ROUND_TRIP_NS, qtestRegimeCost } from "./crosscheck_host.ts";
import {
  type CrossCheckRow,
  doorbellsPerIo,
  maxDifference,
  publishedAnchor,
  ShadowDecisionCounter,
} from "./crosscheck_rows.ts";
import {
  crossCheckConfig,
  measureAnchorProfile,
  measureOnModel,
  type PointRun,
  runQemuCrossCheck,
  warmupFor,
} from "./qemu_crosscheck.ts";
import { CROSSCHECK_HEADERS, crossCheckCells } from "./report_crosscheck.ts";
import { ANCHOR_COST_OVERRIDES } from "./sweep_anchor.ts";

const SEED = 1;
const TOLERANCE = 0.05; // window edges: at most QD commands of 100 counted on one side of a drain

function point(qd: number, shadow: boolean, ios = 100): PointRun {
  return { config: crossCheckConfig(qd, shadow), ios, seed: SEED, factory: linux };
}

const near = (x: number, want: number, tol: number) => Math.abs(x - want) <= tol;

Deno.test("doorbellsPerIo: deltas of the doorbell counters per measured I/O", () => {
  const c = new Counters();
  c.sqDoorbellWrites = 7; // bring-up and warm-up: outside the window
  c.mmioWrites = 40;
  const before = c.snapshot();
  c.sqDoorbellWrites += 100;
  c.cqDoorbellWrites += 25;
  c.mmioWrites += 125;
  assertEquals(doorbellsPerIo(before, c.snapshot(), 100), {
    sqPerIo: 1,
    cqPerIo: 0.25,
    totalPerIo: 1.25,
  });
  assert(Number.isNaN(doorbellsPerIo(before, c.snapshot(), 0).totalPerIo), "no I/O, no rate");
});

Deno.test("publishedAnchor: the series' value at QD 1/2/4/8, null elsewhere", () => {
  assertEquals([1, 2, 4, 8].map((qd) => publishedAnchor(qd, false)), [2.01, 1.99, 1.99, 1.99]);
  assertEquals([1, 2, 4, 8].map((qd) => publishedAnchor(qd, true)), [1.0, 0.52, 0.27, 0.46]);
  assertEquals(publishedAnchor(16, true), null);
  assertEquals(publishedAnchor(3, false), null);
});

Deno.test("ShadowDecisionCounter counts I/O-queue EventIdx decisions only", () => {
  const s = new ShadowDecisionCounter();
  const d = (qid: number, eventIdx: number | null, mmio: boolean) =>
    s.write({
      t: 0,
      side: "host",
      fn: 0,
      type: "doorbell_decision",
      qid,
      isCq: false,
      value: 1,
      eventIdx,
      mmio,
    });
  d(1, 3, true);
  d(1, 3, false);
  d(2, 0, true);
  d(0, null, true); // admin queue: always MMIO, not a shadow update
  d(1, null, true); // shadow doorbells off
  s.write({ t: 0, side: "host", fn: 0, type: "wakeup", vector: 1 });
  assertEquals(s.snapshot(), { updates: 3, rang: 2 });
});

Deno.test("maxDifference compares rows with both sides and ignores the rest", () => {
  const side = (sq: number, cq: number) => ({
    doorbells: { sqPerIo: sq, cqPerIo: cq, totalPerIo: sq + cq },
    decisions: { updates: 0, rang: 0 },
  });
  const row = (qemu: CrossCheckRow["qemu"], model: CrossCheckRow["model"]): CrossCheckRow => ({
    qd: 4,
    shadow: false,
    qemu,
    model,
    anchorProfile: null,
    anchor: 1.99,
    error: null,
  });
  assertEquals(maxDifference([]), 0);
  assertEquals(maxDifference([row(side(1, 0.25), side(1, 0.5)), row(null, side(9, 9))]), 0.25);
  assertEquals(maxDifference([row(side(1, NaN), side(0.75, NaN))]), 0.25, "NaN classes skipped");
  const cells = crossCheckCells(row(side(1, 0.25), null));
  assertEquals(cells.length, CROSSCHECK_HEADERS.length);
  assertEquals(cells.slice(0, 4), ["4", "off", "1.00 + 0.25 = 1.25", "-"]);
});

Deno.test("a point has the anchor's shape: Linux, interrupts, one queue, random reads", () => {
  assertEquals(crossCheckConfig(4, true), {
    driver: "linux",
    completion: "interrupt",
    doorbell: "shadow-eventidx-interrupt",
    coalescing: { threshold: 1, timeUnits: 0 },
    qd: 4,
    queues: 1,
    workload: "randread",
  });
  assertEquals(crossCheckConfig(1, false).doorbell, "mmio");
  assertEquals([warmupFor(1, 100), warmupFor(32, 100), warmupFor(1, 500)], [10, 64, 50]);
});

Deno.test("model in the qtest regime: the device always catches up, so EventIdx says ring", () => {
  const cost = qtestRegimeCost(DEFAULT_COST_MODEL);
  const qd1 = measureOnModel(point(1, false), cost).doorbells;
  assertEquals([qd1.sqPerIo, qd1.cqPerIo, qd1.totalPerIo], [1, 1, 2]);
  const off = measureOnModel(point(4, false), cost);
  const on = measureOnModel(point(4, true), cost);
  assertEquals(off.decisions, { updates: 0, rang: 0 }, "no shadow doorbells without DBBUF");
  assert(on.decisions.updates > 0, "shadow doorbells in use");
  assertEquals(on.decisions.rang, on.decisions.updates, "the controller was idle at every update");
  assert(near(off.doorbells.sqPerIo, 1, TOLERANCE), `SQ ${off.doorbells.sqPerIo}`);
  // The host is the slow side: one drain reaps every posted CQE and rings CQ head once.
  assert(off.doorbells.cqPerIo < 0.5, `CQ ${off.doorbells.cqPerIo}`);
  assertEquals(on.doorbells, off.doorbells);
});

Deno.test("agreement with QEMU is not automatic: a device slower than the host saves SQ writes", () => {
  // The same controller and host, but the device reacts to a doorbell only after ten round trips:
  // now the host moves the shadow tail again before the controller caught up, and EventIdx lets
  // it skip the MMIO write. QEMU over qtest never lags like that, so its 1.0 is a measurement.
  const regime = qtestRegimeCost(DEFAULT_COST_MODEL);
  const slow = { ...regime, doorbellNotifyNs: 10 * QTEST_ROUND_TRIP_NS };
  const d = measureOnModel(point(4, true), slow);
  assert(d.doorbells.sqPerIo < 0.9, `SQ ${d.doorbells.sqPerIo}`);
  assert(d.decisions.rang < d.decisions.updates, `${d.decisions.rang}/${d.decisions.updates}`);
});

Deno.test("the anchor profile (KVM-like) shows the published shape: fewer MMIO at QD 4", () => {
  const cost = { ...DEFAULT_COST_MODEL, ...ANCHOR_COST_OVERRIDES };
  const off = measureAnchorProfile(point(4, false, 200), cost);
  const on = measureAnchorProfile(point(4, true, 200), cost);
  assert(near(off.sqPerIo, 1, TOLERANCE), `SQ ${off.sqPerIo}`);
  assert(on.totalPerIo <= 0.8 * off.totalPerIo, `with ${on.totalPerIo}, without ${off.totalPerIo}`);
  assert(on.sqPerIo <= 0.6, `SQ with shadow ${on.sqPerIo}`);
});

Deno.test("without a usable QEMU the cross-check is skipped with the reason, not failed", () => {
  const r = runQemuCrossCheck({ qemuBinary: "/nonexistent/qemu-system-x86_64", qds: [1] });
  assert(r.skipped !== null);
  assertStringIncludes(r.skipped, "not found");
  assertEquals(r.rows, []);
  assertEquals(r.qemu, "");
});

const qemu = qemuAvailable();
const skip = qemu.ok ? "" : ` [skipped: ${qemu.reason}]`;
if (!qemu.ok) console.warn(`QEMU cross-check test skipped: ${qemu.reason}`);

Deno.test({
  name: `QEMU cross-check at QD 1 and 4: QEMU and the model count the same doorbells${skip}`,
  ignore: !qemu.ok,
  fn() {
    const r = runQemuCrossCheck({ qds: [1, 4], ios: 100, seed: SEED });
    console.log(`QEMU cross-check seed ${r.seed}, ${r.qemu}`);
    assertEquals(r.skipped, null);
    assertEquals(r.rows.map((x) => [x.qd, x.shadow]), [[1, false], [4, false], [1, true], [
      4,
      true,
    ]]);
    for (const row of r.rows) {
      assertEquals(row.error, null, `QD${row.qd} shadow ${row.shadow}`);
    }
    const at = (qd: number, shadow: boolean) =>
      r.rows.find((x) => x.qd === qd && x.shadow === shadow)!;
    for (const side of ["qemu", "model"] as const) {
      // Without shadow doorbells: one SQ tail write per submission, and at QD1 one CQ head write
      // per completion, so 2.0 per I/O like the published 2.01 (independent of timing).
      const qd1 = at(1, false)[side]!.doorbells;
      assert(near(qd1.totalPerIo, 2, TOLERANCE), `${side} QD1 without: ${qd1.totalPerIo}`);
      for (const qd of [1, 4]) {
        const d = at(qd, false)[side]!.doorbells;
        assert(near(d.sqPerIo, 1, TOLERANCE), `${side} QD${qd} SQ without: ${d.sqPerIo}`);
        assert(near(d.totalPerIo, d.sqPerIo + d.cqPerIo, 1e-9), "only doorbells in the window");
        // Shadow doorbells were in use and never cost an extra MMIO write.
        const w = at(qd, true)[side]!;
        assert(w.decisions.updates > 0, `${side} QD${qd}: no EventIdx decisions`);
        assert(
          w.doorbells.totalPerIo <= d.totalPerIo + TOLERANCE,
          `${side} QD${qd}: with ${w.doorbells.totalPerIo} > without ${d.totalPerIo}`,
        );
      }
    }
    // QEMU and the model agree point by point. Loose on purpose: QEMU runs in wall-clock time, so
    // a loaded machine may shift a few completions between drains.
    assert(r.maxDifference <= 0.2, `largest QEMU-model difference ${r.maxDifference}`);
    // The published anchor and the KVM-like anchor profile ride along for the report.
    assertEquals(at(4, true).anchor, 0.27);
    const profile = at(4, true).anchorProfile!;
    assert(profile.totalPerIo < at(4, false).anchorProfile!.totalPerIo, "anchor profile saves");
  },
});
