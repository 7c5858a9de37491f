import { assertEquals, assertThrows } from "@std/assert";
import fc from "fast-check";
import { AddressRangeError, InvalidArgumentError } from "./errors.ts";
import { HostMemory, PAGE_SIZE } from "./memory.ts";

Deno.test("HostMemory", async (t) => {
  await t.step("is sparse: touching 2 pages of a 1 TiB space materialises 2 pages", () => {
    const mem = new HostMemory({ sizeBytes: 2 ** 40 });
    mem.writeU32(0, 1);
    mem.writeU32(2 ** 40 - 4, 2);
    assertEquals(mem.pageCount, 2);
    assertEquals(mem.readU32(2 ** 40 - 4), 2);
  });

  await t.step("reads of untouched memory return zeros and create nothing", () => {
    const mem = new HostMemory();
    const dst = new Uint8Array(3 * PAGE_SIZE).fill(0xee);
    mem.read(12345 * PAGE_SIZE + 7, dst);
    assertEquals(dst.every((b) => b === 0), true);
    assertEquals(mem.readU64(999 * PAGE_SIZE), 0);
    mem.fill(5 * PAGE_SIZE, 3 * PAGE_SIZE, 0);
    assertEquals(mem.pageCount, 0);
  });

  await t.step("integer accessors are little-endian and work across a page boundary", () => {
    const mem = new HostMemory();
    const edge = 7 * PAGE_SIZE;
    mem.writeU16(edge - 1, 0xbeef);
    assertEquals(mem.readU8(edge - 1), 0xef);
    assertEquals(mem.readU8(edge), 0xbe);
    assertEquals(mem.readU16(edge - 1), 0xbeef);
    mem.writeU32(edge - 3, 0xdeadbeef);
    assertEquals(mem.readU32(edge - 3), 0xdeadbeef);
    mem.writeU64(edge - 5, 0x1234_5678_9abc);
    assertEquals(mem.readU64(edge - 5), 0x1234_5678_9abc);
    mem.writeU64Big(edge - 2, 0xfedcba9876543210n);
    assertEquals(mem.readU64Big(edge - 2), 0xfedcba9876543210n);
  });

  await t.step("copies honour buffer offset and length", () => {
    const mem = new HostMemory();
    const src = Uint8Array.from({ length: 16 }, (_, i) => i + 1);
    mem.write(PAGE_SIZE - 4, src, 4, 8); // bytes 5..12 across the boundary
    const dst = new Uint8Array(12);
    mem.read(PAGE_SIZE - 4, dst, 2, 8);
    assertEquals([...dst], [0, 0, 5, 6, 7, 8, 9, 10, 11, 12, 0, 0]);
  });

  await t.step("fill sets bytes across pages", () => {
    const mem = new HostMemory();
    mem.fill(PAGE_SIZE - 2, 4, 0xab);
    assertEquals(mem.readU32(PAGE_SIZE - 2), 0xabababab);
    assertEquals(mem.readU8(PAGE_SIZE + 2), 0);
  });

  await t.step("out-of-range CPU accesses throw AddressRangeError", () => {
    const mem = new HostMemory({ sizeBytes: 16 * PAGE_SIZE });
    assertThrows(() => mem.readU32(16 * PAGE_SIZE - 2), AddressRangeError, "outside");
    assertThrows(() => mem.writeU8(-1, 0), AddressRangeError);
    assertThrows(() => mem.read(0.5, new Uint8Array(1)), AddressRangeError);
    assertThrows(() => mem.read(0, new Uint8Array(4), 2, 4), InvalidArgumentError, "buffer");
    assertThrows(() => new HostMemory({ sizeBytes: 1000 }), InvalidArgumentError);
  });

  await t.step(
    "property: read after write returns what was written, across page boundaries",
    () => {
      const space = 8 * PAGE_SIZE;
      const write = fc.record({
        addr: fc.oneof(
          fc.integer({ min: 0, max: space - 1 }),
          fc.integer({ min: 1, max: 7 }).chain((p) =>
            fc.integer({ min: p * PAGE_SIZE - 70, max: p * PAGE_SIZE + 5 })
          ),
        ),
        bytes: fc.uint8Array({ minLength: 1, maxLength: 300 }),
      });
      fc.assert(
        fc.property(fc.array(write, { maxLength: 20 }), (writes) => {
          const mem = new HostMemory({ sizeBytes: space });
          const model = new Uint8Array(space);
          for (const { addr, bytes } of writes) {
            const n = Math.min(bytes.length, space - addr);
            mem.write(addr, bytes, 0, n);
            model.set(bytes.subarray(0, n), addr);
          }
          const all = new Uint8Array(space);
          mem.read(0, all);
          assertEquals(all, model);
          for (const { addr } of writes) {
            if (addr + 4 <= space) {
              assertEquals(mem.readU32(addr), new DataView(model.buffer).getUint32(addr, true));
            }
          }
        }),
      );
    },
  );
});
