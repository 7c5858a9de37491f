import { assert, assertEquals, assertStringIncludes, assertThrows } from "@std/assert";
import {
  COST_CONSTANTS,
  CostModelError,
  DEFAULT_COST_MODEL,
  describeCostModel,
  hostCpuNsPerIo,
  mediaNs,
  overriddenCosts,
  parseCostOverrides,
  qd1FloorNs,
} from "./cost_model.ts";

Deno.test("every cost constant is documented with a meaning and a source", () => {
  assertEquals(
    new Set(COST_CONSTANTS.map((c) => c.name)).size,
    COST_CONSTANTS.length,
    "names are unique",
  );
  for (const c of COST_CONSTANTS) {
    assert(c.meaning.length > 10, `${c.name}: meaning`);
    assert(c.source.length > 10, `${c.name}: source`);
    assert(c.defaultNs >= c.minNs, `${c.name}: default below its minimum`);
    assertEquals(DEFAULT_COST_MODEL[c.name], c.defaultNs);
  }
  // The model object has exactly the documented fields.
  assertEquals(Object.keys(DEFAULT_COST_MODEL).sort(), COST_CONSTANTS.map((c) => c.name).sort());
});

Deno.test("the MMIO exit default is the one derived from the QEMU series", () => {
  // 1/25.1k − 1/29.1k IOPS at QD1, for 2.01 − 1.00 MMIO per I/O avoided.
  const perMmio = (1e9 / 25_100 - 1e9 / 29_100) / (2.01 - 1.0);
  assert(Math.abs(DEFAULT_COST_MODEL.mmioExitNs - perMmio) < 100, `${perMmio}`);
});

Deno.test("parseCostOverrides applies name=value pairs over the defaults", () => {
  const c = parseCostOverrides(["mediaReadNs=0", "mmioExitNs=2_000", "pollNs=50.5"]);
  assertEquals(c.mediaReadNs, 0);
  assertEquals(c.mmioExitNs, 2000);
  assertEquals(c.pollNs, 50.5);
  assertEquals(c.interruptNs, DEFAULT_COST_MODEL.interruptNs);
  assertEquals(overriddenCosts(c).sort(), ["mediaReadNs", "mmioExitNs", "pollNs"]);
  assertEquals(overriddenCosts(DEFAULT_COST_MODEL), []);
  assertEquals(parseCostOverrides(["mmioExitNs=1", "mmioExitNs=3"]).mmioExitNs, 3, "last wins");
  assert(Object.isFrozen(c));
});

Deno.test("parseCostOverrides rejects unknown names and bad values with what to do", () => {
  const unknown = assertThrows(() => parseCostOverrides(["vmExit=5"]), CostModelError);
  assertStringIncludes(unknown.message, 'unknown cost "vmExit"');
  assertStringIncludes(unknown.message, "mmioExitNs");
  for (const bad of ["mmioExitNs=", "mmioExitNs", "mmioExitNs=fast", "mmioExitNs=-1"]) {
    assertThrows(() => parseCostOverrides([bad]), CostModelError, undefined, bad);
  }
  // A poll quantum or poll interval of 0 would stop virtual time.
  assertThrows(() => parseCostOverrides(["pollNs=0"]), CostModelError, ">= 1");
  assertThrows(() => parseCostOverrides(["shadowPollIntervalNs=0"]), CostModelError);
  assertThrows(() => parseCostOverrides(["mediaReadNs=Infinity"]), CostModelError);
});

Deno.test("hostCpuNsPerIo is events per I/O times their costs plus per-I/O software", () => {
  const cost = parseCostOverrides([
    "mmioExitNs=1000",
    "interruptNs=100",
    "wakeupNs=10",
    "pollNs=1",
    "submitNs=20000",
    "completeNs=300000",
  ]);
  assertEquals(
    hostCpuNsPerIo({ mmio: 2, interrupts: 0.5, wakeups: 3, polls: 7 }, cost),
    2 * 1000 + 0.5 * 100 + 3 * 10 + 7 * 1 + 20000 + 300000,
  );
  assertEquals(
    hostCpuNsPerIo({ mmio: 0, interrupts: 0, wakeups: 0, polls: 0 }, cost),
    320000,
    "a zero-event I/O still pays its software path",
  );
});

Deno.test("qd1FloorNs sums the device path and the software path", () => {
  const c = DEFAULT_COST_MODEL;
  const shared = c.submitNs + c.doorbellNotifyNs + c.commandNs + c.completeNs;
  assertEquals(qd1FloorNs(c, false), shared + c.mediaReadNs);
  assertEquals(qd1FloorNs(parseCostOverrides(["mediaWriteNs=7"]), true), shared + 7);
  assertEquals(mediaNs(c, true), c.mediaWriteNs);
});

Deno.test("describeCostModel prints every constant and marks overrides", () => {
  const lines = describeCostModel(parseCostOverrides(["wakeupNs=42"]));
  assertEquals(lines.length, COST_CONSTANTS.length);
  const wake = lines.find((l) => l.startsWith("wakeupNs"))!;
  assertStringIncludes(wake, "= 42 ns (override; default 3000)");
  assertStringIncludes(lines.find((l) => l.startsWith("pollNs"))!, "(default)");
  for (const l of lines) assertStringIncludes(l, "Source:");
});
