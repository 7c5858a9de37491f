// Proof that the properties can fail: every seeded bug (controller, driver, PRP builder,
// need_event) is killed by its property with a fixed seed within its budget, and fast-check
// shrinks the counterexample to a handful of steps. A killed case replays exactly from its seed
// and path (and replayPath for model-based sequences).

import { assert, assertEquals } from "@std/assert";
import { MUTANTS } from "../controller/mutants.ts";
import { resolveDriver } from "../driver/registry.ts";
import { FUZZ_MUTANTS, runMutant } from "./mutants.ts";
import { PROPERTIES } from "./properties.ts";
import { runProperty } from "./runner.ts";

const SEED = 1;
/** A shrunk counterexample has at most this many readable steps. */
const MAX_STEPS = 8;

Deno.test("mutant catalog: every property has a mutant; controller ids exist", () => {
  const killers = new Set(FUZZ_MUTANTS.map((m) => m.killedBy));
  for (const p of PROPERTIES) assert(killers.has(p.name), `no mutant proves ${p.name} can fail`);
  const ids = new Set(MUTANTS.map((m) => m.id as string));
  for (const m of FUZZ_MUTANTS.filter((x) => x.kind === "controller")) {
    assert(ids.has(m.id.replace("controller:", "")), m.id);
  }
  assertEquals(new Set(FUZZ_MUTANTS.map((m) => m.id)).size, FUZZ_MUTANTS.length);
});

Deno.test("every mutant is killed, with a small counterexample (linux driver)", async (t) => {
  const driver = await resolveDriver("linux");
  for (const m of FUZZ_MUTANTS) {
    await t.step(m.id, () => {
      const r = runMutant(m, driver, { seed: SEED });
      assertEquals(r.status, "fail", `${m.id} survived ${r.runs} runs of ${m.killedBy}`);
      assert(r.steps.length > 0 && r.steps.length <= MAX_STEPS, r.steps.join("\n"));
      assert(r.path !== null && r.error !== "");
    });
  }
});

Deno.test("a killed case replays exactly from seed and path (and replayPath)", async () => {
  const driver = await resolveDriver("linux");
  for (const id of ["driver:completion-twice", "controller:create-sq-invalid-qid-status"]) {
    const m = FUZZ_MUTANTS.find((x) => x.id === id)!;
    const first = runMutant(m, driver, { seed: SEED });
    assertEquals(first.status, "fail");
    const { property, ctx } = m.prepare(driver);
    const again = runProperty(property, ctx, {
      seed: first.seed,
      path: first.path!,
      replayPath: first.replayPath ?? undefined,
    });
    assertEquals(again.status, "fail");
    assertEquals([again.error, again.steps], [first.error, first.steps]);
    assertEquals(again.runs, 1, "only the recorded case ran");
  }
});
