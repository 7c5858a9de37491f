// Every registered property holds for our drivers and the reference controller, with a fixed seed
// and a small budget (the full budgets run under `deno task fuzz`); the mutant tests show each one
// can fail.

import { assert, assertEquals, assertThrows } from "@std/assert";
import { resolveDriver } from "../driver/registry.ts";
import { PROPERTIES, selectProperties, UnknownPropertyError } from "./properties.ts";
import { runProperty } from "./runner.ts";

const SEED = 0x5eed;
/** Cases per property in this test: enough to exercise every generator branch a few times. */
const RUNS: Readonly<Record<string, number>> = {
  "need-event": 500,
  "prp-builder": 100,
  "queue-wraparound": 30,
  "cc-csts": 30,
  "data-integrity": 30,
  "driver-under-preemption": 30,
  "model-commands": 30,
  "hostile-device": 10,
};

Deno.test("registry: unique names, each documented with a section and a test budget", () => {
  const names = PROPERTIES.map((p) => p.name);
  assertEquals(new Set(names).size, names.length);
  for (const p of PROPERTIES) {
    assert(/^[a-z0-9-]+$/.test(p.name), p.name);
    assert(p.description.length > 20 && /§/.test(p.section), p.name);
    assert(RUNS[p.name] !== undefined, `${p.name} has no budget in this test`);
  }
  assertEquals(selectProperties("all").length, PROPERTIES.length);
  assertEquals(selectProperties(" cc-csts , need-event").map((p) => p.name), [
    "cc-csts",
    "need-event",
  ]);
  assertThrows(() => selectProperties("no-such"), UnknownPropertyError, "need-event");
  assertThrows(() => selectProperties(","), UnknownPropertyError);
});

for (const driverName of ["linux", "minimal"]) {
  Deno.test(`every property holds for the ${driverName} driver (seed ${SEED})`, async (t) => {
    const driver = await resolveDriver(driverName);
    for (const p of PROPERTIES) {
      if (!p.usesDriver && driverName !== "linux") continue; // pure: once is enough
      await t.step(p.name, () => {
        const r = runProperty(p, { driver }, { seed: SEED, runs: RUNS[p.name] });
        assertEquals(r.status, "pass", `${r.error}\n${r.steps.join("\n")}`);
        assertEquals(r.runs, RUNS[p.name]);
      });
    }
  });
}
