import { assertEquals, assertThrows } from "@std/assert";
import fc from "fast-check";
import { arbitraryBytesFor, arbitraryFor } from "./_arbitrary.ts";
import {
  CHANGED_NS_LIST_OVERFLOW,
  ChangedNamespaceList,
  controllerIdsOf,
  ControllerList,
  encodeChangedNamespaceList,
  encodeControllerList,
  encodeNamespaceList,
  IdListError,
  NamespaceList,
  nsidsOf,
} from "./ns_list.ts";

Deno.test("Namespace List and Controller List (Base 2.1 §4.6.2, §4.6.1, §5.1.12.1.5)", async (t) => {
  await t.step("layouts", () => {
    for (const s of [NamespaceList, ChangedNamespaceList]) {
      assertEquals(s.size, 4096);
      assertEquals(s.field("ns"), {
        name: "ns",
        kind: "uints",
        offset: 0,
        size: 4096,
        count: 1024,
        elementSize: 4,
      });
    }
    assertEquals(ControllerList.size, 4096);
    assertEquals([ControllerList.field("num").offset, ControllerList.field("num").size], [0, 2]);
    assertEquals(ControllerList.field("identifier").offset, 2);
    assertEquals(ControllerList.field("identifier").size, 4094);
    assertEquals(CHANGED_NS_LIST_OVERFLOW, 0xffffffff);
  });

  await t.step("NSIDs are little-endian dwords, zero-filled after the last", () => {
    const b = encodeNamespaceList([1, 2, 0x01020304]);
    assertEquals([...b.subarray(0, 12)], [1, 0, 0, 0, 2, 0, 0, 0, 4, 3, 2, 1]);
    assertEquals(b.subarray(12).every((x) => x === 0), true);
    assertEquals(nsidsOf(NamespaceList.decode(b).ns), [1, 2, 0x01020304]);
    assertEquals(nsidsOf(new Array(1024).fill(7)).length, 1024);
    assertThrows(() => encodeNamespaceList([2, 1]), IdListError);
    assertThrows(() => encodeNamespaceList([0]), IdListError);
    assertThrows(() => encodeNamespaceList(new Array(1025).fill(1)), IdListError);
    assertThrows(() => encodeNamespaceList([0xffffffff]), IdListError);
  });

  await t.step("the changed namespace list overflows to a single FFFFFFFFh entry", () => {
    assertEquals(nsidsOf(ChangedNamespaceList.decode(encodeChangedNamespaceList([3, 1])).ns), [
      1,
      3,
    ]);
    const many = Array.from({ length: 1025 }, (_, i) => i + 1);
    assertEquals(
      nsidsOf(ChangedNamespaceList.decode(encodeChangedNamespaceList(many)).ns),
      [CHANGED_NS_LIST_OVERFLOW],
    );
  });

  await t.step("the controller list carries its count", () => {
    const b = encodeControllerList([1, 0x0102]);
    assertEquals([...b.subarray(0, 6)], [2, 0, 1, 0, 2, 1]);
    assertEquals(controllerIdsOf(ControllerList.decode(b)), [1, 0x0102]);
    assertThrows(() => encodeControllerList(new Array(2048).fill(1)), IdListError);
  });

  await t.step("NSID lists round trip", () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.integer({ min: 1, max: 0xfffffffe }), { maxLength: 1024 }),
        (ids) => {
          const sorted = [...ids].sort((a, b) => a - b);
          assertEquals(nsidsOf(NamespaceList.decode(encodeNamespaceList(sorted)).ns), sorted);
        },
      ),
      { numRuns: 50 },
    );
  });

  await t.step("round trip: decode(encode(x)) equals x", () => {
    for (const s of [NamespaceList, ChangedNamespaceList]) {
      fc.assert(
        fc.property(arbitraryFor(s), (x) => assertEquals(s.decode(s.encode(x)), x)),
        { numRuns: 30 },
      );
    }
    fc.assert(
      fc.property(
        arbitraryFor(ControllerList),
        (x) => assertEquals(ControllerList.decode(ControllerList.encode(x)), x),
      ),
      { numRuns: 30 },
    );
  });

  await t.step("decode never throws on arbitrary bytes", () => {
    fc.assert(
      fc.property(arbitraryBytesFor(ControllerList), (b) => {
        const list = ControllerList.decode(b);
        assertEquals(controllerIdsOf(list).length <= 2047, true);
        nsidsOf(NamespaceList.decode(b).ns);
        ChangedNamespaceList.decode(b);
      }),
      { numRuns: 30 },
    );
  });
});
