import { assert, assertEquals, assertMatch } from "@std/assert";
import { qemuTest } from "../platform/qtest/_test_helpers.ts";
import { QEMU_7_2_DEVIATIONS } from "./qemu_deviations.ts";
import { qemuTarget } from "./qemu_target.ts";
import { ALL_CASES } from "./registry.ts";
import { runSuite, summaryLine } from "./runner.ts";

const CITATION = /(Base 2\.1|NVM CS 1\.1|PCIe Transport 1\.1) §\d/;

Deno.test("QEMU 7.2 deviations: every entry names a case and carries reason, evidence, status", () => {
  const ids = new Set(ALL_CASES.map((c) => c.id));
  for (const [id, d] of Object.entries(QEMU_7_2_DEVIATIONS)) {
    assert(ids.has(id), `deviation for unknown case ${id}`);
    assert(d.reason.length > 20, `${id}: reason`);
    assertMatch(d.evidence, CITATION, `${id}: evidence cites no spec section`);
    assertMatch(d.evidence, /Observed: /, `${id}: evidence says what QEMU did`);
    assert((d.status ?? "").length > 0, `${id}: status (later QEMU versions) missing`);
  }
});

qemuTest("qemuTarget: sessions are fresh QEMUs with FLR and no power loss", () => {
  const target = qemuTarget({ name: "qemu-test", serial: "target" });
  assertEquals(target.name, "qemu-test");
  assertMatch(target.description, /^QEMU \d+\.\d+/);
  const s = target.open();
  try {
    assertEquals(s.host.platform, "qemu");
    assertEquals(s.host.read32(0x14), 0, "CC.EN = 0 at power-on");
    assert(s.functionLevelReset !== undefined && s.powerLoss === undefined);
  } finally {
    s.close();
  }
});

qemuTest(
  "qemuTarget: the whole suite — every failure is a registered, reproduced deviation",
  () => {
    const started = performance.now();
    const report = runSuite(qemuTarget(), ALL_CASES);
    const seconds = ((performance.now() - started) / 1000).toFixed(1);
    console.log(`QEMU: ${summaryLine(report.summary)} (${ALL_CASES.length} cases, ${seconds} s)`);
    const failed = report.cases.filter((c) => c.status === "fail");
    assertEquals(failed.map((c) => `${c.id}: ${c.message}`), [], "unregistered failures");
    const deviating = new Set(
      report.cases.filter((c) => c.status === "deviation").map((c) => c.id),
    );
    const notSeen = Object.keys(QEMU_7_2_DEVIATIONS).filter((id) => !deviating.has(id));
    assertEquals(notSeen, [], "registered deviations that did not show (skipped?)");
    for (const c of report.cases.filter((c) => c.status === "skip")) {
      assert(c.message.length > 0, `${c.id} skipped without a reason`);
    }
  },
);
