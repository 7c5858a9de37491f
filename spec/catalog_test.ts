import { assert, assertEquals, assertThrows } from "@std/assert";
import fc from "fast-check";
import { arbitraryBytesFor, arbitraryFor } from "./_arbitrary.ts";
import { ALL_STRUCTURES, catalogJson, findStructure, STRUCTURE_GROUPS } from "./catalog.ts";
import { defineStruct, type Field, LayoutError, validateLayout } from "./struct.ts";

// Every structure in the catalogue, property-tested the same way: this is what makes adding a
// structure to the catalogue enough to have it covered.
Deno.test("catalogue: every structure round-trips and decodes any bytes", async (t) => {
  for (const s of ALL_STRUCTURES) {
    await t.step(s.name, () => {
      fc.assert(
        fc.property(arbitraryFor(s), (v) => {
          assertEquals(s.decode(s.encode(v)), v);
        }),
        { numRuns: s.size > 1024 ? 15 : 60 },
      );
      fc.assert(
        fc.property(arbitraryBytesFor(s), (b) => {
          const d = s.decode(b);
          // Re-encoding a decoded image reproduces every non-reserved byte.
          const again = s.encode(d);
          assertEquals(s.decode(again), d);
        }),
        { numRuns: s.size > 1024 ? 10 : 40 },
      );
    });
  }
});

Deno.test("catalogue: names are unique and the table accounts for every byte", () => {
  const names = ALL_STRUCTURES.map((s) => s.name);
  assertEquals(new Set(names).size, names.length);
  for (const s of ALL_STRUCTURES) {
    validateLayout(s.name, s.size, s.fields); // throws on a gap or overlap
    const covered = new Set<number>();
    for (const f of s.fields) for (let i = 0; i < f.size; i++) covered.add(f.offset + i);
    assertEquals(covered.size, s.size, s.name);
  }
});

Deno.test("catalogue: spec --json shape lists every structure with size and fields", () => {
  const json = catalogJson();
  assertEquals(Object.keys(json.structures).length, ALL_STRUCTURES.length);
  for (const s of ALL_STRUCTURES) {
    const j = json.structures[s.name];
    assertEquals(j.size, s.size);
    assertEquals(j.fields.length, s.fields.length);
    for (const f of j.fields) {
      assert(typeof f.name === "string" && typeof f.offset === "number" && f.size > 0);
    }
  }
  // What the issue lists must be present.
  for (
    const want of [
      "ControllerRegisters",
      "CAP",
      "CC",
      "CSTS",
      "SubmissionQueueEntry",
      "CompletionQueueEntry",
      "IdentifyController",
      "IdentifyNamespace",
      "CreateIoSq",
      "DoorbellBufferConfig",
      "Copy",
      "SglDescriptor",
    ]
  ) assert(json.structures[want], `missing ${want}`);
  assert(STRUCTURE_GROUPS.registers.length > 20);
});

Deno.test("catalogue: findStructure accepts aliases, any case", () => {
  assertEquals(findStructure("sqe")?.size, 64);
  assertEquals(findStructure("CQE")?.size, 16);
  assertEquals(findStructure("cap")?.size, 8);
  assertEquals(findStructure("nope"), undefined);
});

// The layout check is what catches a one-byte shift in a table: move one field of a real
// structure by one byte and the table no longer validates (it overlaps its neighbour or leaves
// a hole), so a shifted table cannot even be declared.
Deno.test("layout: a one-byte shift in a real table is rejected", () => {
  const cqe = findStructure("cqe")!;
  const shifted: Field[] = cqe.fields.map((f) =>
    f.name === "sqid" ? { ...f, offset: f.offset + 1 } : f
  );
  assertThrows(
    () => defineStruct("ShiftedCqe", cqe.size, shifted, { section: "test" }),
    LayoutError,
  );
});
