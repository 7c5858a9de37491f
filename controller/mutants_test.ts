// The mutants option: unknown ids are refused with the list of known ones, the reference has
// every mutant off, and a mutant switched on changes only its own flag. (That each mutant is
// caught by the conformance cases it names is conformance/mutants_test.ts.)

import { assert, assertEquals, assertThrows } from "@std/assert";
import { NvmeController } from "./controller.ts";
import {
  MUTANT_IDS,
  mutantFlags,
  MUTANTS,
  mutantsMarkdown,
  UnknownMutantError,
} from "./mutants.ts";
import { ControllerOptionsError, resolveOptions } from "./options.ts";

Deno.test("mutants option: unknown ids are refused, naming the known ones", () => {
  const e = assertThrows(
    () => resolveOptions({ mutants: ["no-such-bug" as never] }),
    ControllerOptionsError,
  );
  assert(e.message.includes(MUTANT_IDS[0]), e.message);
  assertThrows(() => mutantFlags(["no-such-bug"]), UnknownMutantError);
});

Deno.test("mutants option: the reference has none on; one id sets exactly its flag", () => {
  const reference = new NvmeController();
  assertEquals(Object.values(reference.mutants).filter((on) => on), []);
  for (const m of MUTANTS) {
    const flags = new NvmeController({ mutants: [m.id] }).mutants;
    assertEquals(Object.entries(flags).filter(([, on]) => on).map(([id]) => id), [m.id]);
  }
});

Deno.test("mutants table: one Markdown row per mutant, naming its cases", () => {
  const rows = mutantsMarkdown().split("\n").slice(2);
  assertEquals(rows.length, MUTANTS.length);
  for (const [i, m] of MUTANTS.entries()) {
    assert(rows[i].startsWith(`| \`${m.id}\` |`), rows[i]);
    assert(rows[i].includes(m.section), rows[i]);
  }
});
