import { assert, assertEquals, assertThrows } from "@std/assert";
import fc from "fast-check";
import { alignUp, isPowerOfTwo, RangeAllocator } from "./allocator.ts";
import { InvalidArgumentError, InvalidFreeError, OutOfHostMemoryError } from "./errors.ts";

Deno.test("RangeAllocator", async (t) => {
  await t.step("aligns, defaults to 4 KiB alignment, and reuses freed space", () => {
    const a = new RangeAllocator(0x1010, 0x100000);
    const x = a.allocate(100);
    assertEquals(x, 0x2000);
    const y = a.allocate(10, 16);
    assertEquals(y % 16, 0);
    assertEquals(y, 0x1010);
    a.free(x);
    assertEquals(a.allocate(4096, 4096), 0x2000);
    assertEquals(a.allocationCount, 2);
  });

  await t.step("free coalesces back into one range", () => {
    const a = new RangeAllocator(0, 0x10000);
    const xs = [a.allocate(0x1000), a.allocate(0x1000), a.allocate(0x1000)];
    a.free(xs[1]);
    a.free(xs[0]);
    a.free(xs[2]);
    assertEquals(a.freeRanges(), [[0, 0x10000]]);
    assertEquals(a.allocatedBytes, 0);
  });

  await t.step("double free and unknown free are errors that say which", () => {
    const a = new RangeAllocator(0, 0x10000);
    const x = a.allocate(64);
    a.free(x);
    assertThrows(() => a.free(x), InvalidFreeError, "double free");
    assertThrows(() => a.free(0x8000), InvalidFreeError, "never allocated");
  });

  await t.step("exhaustion and bad arguments", () => {
    const a = new RangeAllocator(0, 0x2000);
    a.allocate(0x1800);
    assertThrows(() => a.allocate(0x1000), OutOfHostMemoryError, "free buffers");
    assertThrows(() => a.allocate(0), InvalidArgumentError);
    assertThrows(() => a.allocate(8, 3), InvalidArgumentError, "power of two");
    assertThrows(() => new RangeAllocator(10, 10), InvalidArgumentError);
  });

  await t.step("a huge range costs nothing to reserve", () => {
    const a = new RangeAllocator(2 ** 32, 2 ** 40);
    const big = a.allocate(2 ** 39, 2 ** 30);
    assertEquals(big % 2 ** 30, 0);
    assertEquals(a.sizeOf(big), 2 ** 39);
  });

  await t.step("helpers", () => {
    assertEquals(alignUp(2 ** 40 + 1, 4096), 2 ** 40 + 4096);
    assert(isPowerOfTwo(2 ** 40));
    assert(!isPowerOfTwo(2 ** 40 + 1));
    assert(!isPowerOfTwo(0));
  });

  await t.step("property: live allocations are aligned, in range and never overlap", () => {
    const op = fc.oneof(
      fc.record({
        kind: fc.constant("alloc" as const),
        size: fc.integer({ min: 1, max: 5000 }),
        alignLog: fc.integer({ min: 0, max: 13 }),
      }),
      fc.record({ kind: fc.constant("free" as const), pick: fc.nat() }),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 80 }), (ops) => {
        const base = 0x1234;
        const limit = 0x40000;
        const a = new RangeAllocator(base, limit);
        const live: [number, number][] = [];
        for (const o of ops) {
          if (o.kind === "alloc") {
            const align = 2 ** o.alignLog;
            try {
              const addr = a.allocate(o.size, align);
              assertEquals(addr % align, 0);
              assert(addr >= base && addr + o.size <= limit);
              live.push([addr, o.size]);
            } catch (e) {
              assert(e instanceof OutOfHostMemoryError);
            }
          } else if (live.length > 0) {
            const [addr, size] = live.splice(o.pick % live.length, 1)[0];
            assertEquals(a.free(addr), size);
          }
          const sorted = [...live].sort((x, y) => x[0] - y[0]);
          for (let i = 1; i < sorted.length; i++) {
            assert(sorted[i - 1][0] + sorted[i - 1][1] <= sorted[i][0], "overlap");
          }
          assertEquals(a.allocations(), sorted);
        }
        for (const [addr] of live) a.free(addr);
        assertEquals(a.freeRanges(), [[base, limit]]);
      }),
    );
  });
});
