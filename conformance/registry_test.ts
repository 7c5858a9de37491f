import { assertEquals, assertThrows } from "@std/assert";
import { CASE_ID_PATTERN, CaseDefinitionError, type ConformanceCase } from "./case.ts";
import {
  ALL_CASES,
  assertUniqueIds,
  CASE_GROUPS,
  CaseFilterError,
  selectCases,
} from "./registry.ts";

const SECTION = "Base 2.1 §3.1.4.1";
const synthetic = (id: string): ConformanceCase => ({
  id,
  title: id,
  section: SECTION,
  run: () => {},
});
const POOL = [
  "io-queues.create.cq",
  "io-queues.create.sq",
  "io-queues.create-order.sq-first",
  "io-queues.delete.cq",
  "nvm.read.basic",
  "nvm.read.basic-fua",
  "registers.cap.mqes",
].map(synthetic);
const ids = (cases: readonly ConformanceCase[]) => cases.map((c) => c.id);

Deno.test("ALL_CASES holds every group's cases in group order, ids unique and well formed", () => {
  assertEquals(ids(ALL_CASES), CASE_GROUPS.flatMap((g) => ids(g.cases)));
  assertEquals(new Set(ids(ALL_CASES)).size, ALL_CASES.length);
  for (const c of ALL_CASES) assertEquals(CASE_ID_PATTERN.test(c.id), true, c.id);
});

Deno.test("assertUniqueIds rejects an id defined twice across groups", () => {
  assertThrows(
    () => assertUniqueIds([...POOL, synthetic("nvm.read.basic")]),
    CaseDefinitionError,
    '"nvm.read.basic" is defined twice',
  );
  assertEquals(assertUniqueIds(POOL).length, POOL.length);
});

Deno.test("selectCases: an exact id selects that case alone", () => {
  assertEquals(ids(selectCases("nvm.read.basic", POOL)), ["nvm.read.basic"]);
});

Deno.test("selectCases: a prefix selects every id starting with it, in order", () => {
  assertEquals(ids(selectCases("io-queues.", POOL)), [
    "io-queues.create.cq",
    "io-queues.create.sq",
    "io-queues.create-order.sq-first",
    "io-queues.delete.cq",
  ]);
  assertEquals(ids(selectCases("io-queues.create.", POOL)), [
    "io-queues.create.cq",
    "io-queues.create.sq",
  ]);
  assertEquals(ids(selectCases("io-queues.create", POOL)), [
    "io-queues.create.cq",
    "io-queues.create.sq",
    "io-queues.create-order.sq-first",
  ]);
});

Deno.test("selectCases: /regex/ with flags matches ids", () => {
  assertEquals(ids(selectCases("/\\.cq$/", POOL)), ["io-queues.create.cq", "io-queues.delete.cq"]);
  assertEquals(ids(selectCases("/MQES/i", POOL)), ["registers.cap.mqes"]);
  // A /g regex is stateful in RegExp.test; the filter must not be.
  assertEquals(ids(selectCases("/basic/g", POOL)), ["nvm.read.basic", "nvm.read.basic-fua"]);
});

Deno.test("selectCases: bad regex, empty filter and no match are CaseFilterErrors", () => {
  assertThrows(() => selectCases("/(unclosed/", POOL), CaseFilterError, "bad filter regex");
  assertThrows(() => selectCases("/x/q", POOL), CaseFilterError, "bad filter regex");
  assertThrows(() => selectCases("", POOL), CaseFilterError, "empty filter");
  assertThrows(
    () => selectCases("nosuch.", POOL),
    CaseFilterError,
    "selects no case (groups: io-queues, nvm, registers)",
  );
});
