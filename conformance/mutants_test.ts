// The conformance suite can fail: each seeded-bug mutant of the reference controller
// (controller/mutants.ts) must make every case it names fail, every case group must be caught by
// at least one mutant, and without the mutant those same cases pass. Per mutant only the cases
// it names and the rest of their case groups run (the collateral failures in those groups are
// printed, not asserted), which keeps the file to a few seconds.

import { assert, assertEquals } from "@std/assert";
import { type MutantId, type MutantInfo, mutantInfo, MUTANTS } from "../controller/mutants.ts";
import type { ConformanceCase } from "./case.ts";
import { ALL_CASES } from "./registry.ts";
import { type CaseResult, probeTarget, runCase } from "./run_case.ts";
import { caseGroup } from "./runner.ts";
import { referenceTarget } from "./target.ts";

/** Issue 7 asks for at least 15 mutants; this file for 16. */
const MIN_MUTANTS = 16;

/** Whether `pattern` (an id, or a prefix ending in ".") selects case `id`. */
function selects(pattern: string, id: string): boolean {
  return pattern.endsWith(".") ? id.startsWith(pattern) : id === pattern;
}

/** The cases a mutant names, in suite order. */
function expectedCases(m: MutantInfo): ConformanceCase[] {
  return ALL_CASES.filter((c) => m.catches.some((p) => selects(p, c.id)));
}

/** The cases of the groups a mutant's expected cases belong to, expected ones excluded. */
function neighbourCases(m: MutantInfo): ConformanceCase[] {
  const expected = new Set(expectedCases(m).map((c) => c.id));
  const groups = new Set([...expected].map(caseGroup));
  return ALL_CASES.filter((c) => groups.has(caseGroup(c.id)) && !expected.has(c.id));
}

function describe(r: CaseResult): string {
  return `${r.id}: ${r.status}${r.message ? ` (${r.message})` : ""}`;
}

/** Runs `cases` against the reference with the mutant's options, with `mutant` on or not. */
function run(m: MutantInfo, cases: readonly ConformanceCase[], mutant: boolean): CaseResult[] {
  const options = m.options ?? {};
  // Capabilities come from the clean controller: a mutant may break the probe's own bring-up.
  const caps = probeTarget(referenceTarget(options));
  const target = referenceTarget(
    mutant ? { ...options, mutants: [m.id as MutantId] } : options,
    mutant ? `reference+${m.id}` : "reference",
  );
  return cases.map((c) => runCase(target, caps, c));
}

Deno.test("mutants: at least 16, unique ids, each naming existing cases and a section", () => {
  assert(MUTANTS.length >= MIN_MUTANTS, `only ${MUTANTS.length} mutants`);
  const ids = MUTANTS.map((m) => m.id);
  assertEquals(new Set(ids).size, ids.length, "duplicate mutant ids");
  const known = new Set(ALL_CASES.map((c) => c.id));
  for (const m of MUTANTS) {
    assert(m.description.length > 0 && /§/.test(m.section), `${m.id}: description and section`);
    assert(m.catches.length > 0, `mutant ${m.id} names no case`);
    for (const p of m.catches) {
      const hit = p.endsWith(".") ? [...known].some((id) => id.startsWith(p)) : known.has(p);
      assert(hit, `mutant ${m.id}: "${p}" selects no conformance case`);
    }
  }
});

Deno.test("mutants: every case group is caught by at least one mutant", () => {
  const caught = new Set(MUTANTS.flatMap((m) => expectedCases(m).map((c) => caseGroup(c.id))));
  const groups = [...new Set(ALL_CASES.map((c) => caseGroup(c.id)))];
  assertEquals(groups.filter((g) => !caught.has(g)), [], "groups no mutant is expected to fail");
});

Deno.test("mutants: without the mutant, every case a mutant names passes", async (t) => {
  for (const m of MUTANTS) {
    await t.step(m.id, () => {
      const notPassing = run(m, expectedCases(m), false).filter((r) => r.status !== "pass");
      assertEquals(notPassing.map(describe), [], `reference (options of mutant ${m.id})`);
    });
  }
});

Deno.test("mutants: a stride-ignoring controller is caught at every DSTRD from 1 to 3", () => {
  // The mutant's own options pick one stride; its catcher must not depend on which (at DSTRD 2
  // the admin CQ head doorbell of a 4-byte-stride decoder lands on SQ 2's tail).
  const id: MutantId = "doorbell-stride-ignored";
  const cases = expectedCases(mutantInfo(id));
  for (const dstrd of [1, 2, 3]) {
    const caps = probeTarget(referenceTarget({ dstrd }));
    const clean = referenceTarget({ dstrd });
    const mutant = referenceTarget({ dstrd, mutants: [id] }, `reference+${id}`);
    for (const c of cases) {
      assertEquals(runCase(clean, caps, c).status, "pass", `${c.id}, DSTRD ${dstrd}`);
      assertEquals(runCase(mutant, caps, c).status, "fail", `${c.id} with ${id}, DSTRD ${dstrd}`);
    }
  }
});

Deno.test("mutants: each mutant fails every case it names", async (t) => {
  for (const m of MUTANTS) {
    await t.step(m.id, () => {
      const survived = run(m, expectedCases(m), true).filter((r) => r.status !== "fail");
      assertEquals(
        survived.map(describe),
        [],
        `mutant ${m.id} (${m.description}) was not caught by these cases`,
      );
      const collateral = run(m, neighbourCases(m), true).filter((r) => r.status === "fail");
      if (collateral.length > 0) {
        console.log(
          `mutant ${m.id} also fails ${collateral.length}: ${
            collateral.map((r) => r.id).join(" ")
          }`,
        );
      }
    });
  }
});
