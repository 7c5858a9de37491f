import { assertEquals, assertThrows } from "@std/assert";
import fc from "fast-check";
import { InvalidArgumentError } from "./errors.ts";
import { DMA_FORBIDDEN, DMA_OK, DMA_UNMAPPED, Iommu } from "./iommu.ts";

Deno.test("Iommu", async (t) => {
  await t.step("allows only mapped ranges, including across adjacent mappings", () => {
    const m = new Iommu(true);
    m.map(0x1000, 0x1000);
    m.map(0x2000, 0x1000, "read");
    assertEquals(m.check(0x1ff0, 0x20, false), DMA_OK);
    assertEquals(m.check(0x1ff0, 0x20, true), DMA_FORBIDDEN);
    assertEquals(m.check(0x2ff0, 0x20, false), DMA_UNMAPPED);
    assertEquals(m.check(0xfff, 1, false), DMA_UNMAPPED);
    assertEquals(m.check(0x5000, 0, true), DMA_OK);
  });

  await t.step("unmap splits, map overrides, equal neighbours merge", () => {
    const m = new Iommu();
    m.map(0, 0x3000);
    m.unmap(0x1000, 0x1000);
    assertEquals(m.ranges(), [
      { start: 0, end: 0x1000, access: "rw" },
      { start: 0x2000, end: 0x3000, access: "rw" },
    ]);
    m.map(0x800, 0x2000, "write");
    assertEquals(m.ranges(), [
      { start: 0, end: 0x800, access: "rw" },
      { start: 0x800, end: 0x2800, access: "write" },
      { start: 0x2800, end: 0x3000, access: "rw" },
    ]);
    m.map(0x800, 0x2000);
    assertEquals(m.ranges(), [{ start: 0, end: 0x3000, access: "rw" }]);
  });

  await t.step("disabled allows everything; isMapped still answers", () => {
    const m = new Iommu(false);
    assertEquals(m.check(0x123, 8, true), DMA_OK);
    assertEquals(m.isMapped(0x123, 8), false);
    m.map(0x100, 0x100, "read");
    assertEquals(m.isMapped(0x123, 8, "read"), true);
    assertEquals(m.isMapped(0x123, 8, "rw"), false);
    assertThrows(() => m.map(-1, 4), InvalidArgumentError);
  });

  await t.step("property: agrees with a byte-level model", () => {
    const space = 512;
    const op = fc.record({
      map: fc.boolean(),
      start: fc.integer({ min: 0, max: space - 1 }),
      len: fc.integer({ min: 0, max: 128 }),
      access: fc.constantFrom("read" as const, "write" as const, "rw" as const),
    });
    const bits = { read: 1, write: 2, rw: 3 };
    fc.assert(
      fc.property(fc.array(op, { maxLength: 30 }), fc.nat(space - 1), fc.nat(64), (ops, a, l) => {
        const m = new Iommu(true);
        const model = new Uint8Array(space + 128);
        for (const o of ops) {
          if (o.map) m.map(o.start, o.len, o.access);
          else m.unmap(o.start, o.len);
          model.fill(o.map ? bits[o.access] : 0, o.start, o.start + o.len);
        }
        for (const write of [false, true]) {
          const need = write ? 2 : 1;
          let expected: number = DMA_OK;
          for (let i = a; i < a + l; i++) {
            if (model[i] === 0) {
              expected = DMA_UNMAPPED;
              break;
            }
            if ((model[i] & need) === 0) {
              expected = DMA_FORBIDDEN;
              break;
            }
          }
          assertEquals(m.check(a, l, write), expected);
        }
        const r = m.ranges();
        for (let i = 1; i < r.length; i++) {
          const adjacentSame = r[i - 1].end === r[i].start && r[i - 1].access === r[i].access;
          assertEquals(r[i - 1].end <= r[i].start && !adjacentSame, true);
        }
      }),
    );
  });
});
