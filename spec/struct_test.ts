import { assertEquals, assertThrows } from "@std/assert";
import fc from "fast-check";
import { getBits, getU64, setBits, setU64 } from "./_bytes.ts";
import {
  array,
  ascii,
  bits,
  bytes,
  decodeValue,
  defineStruct,
  encodeValue,
  FieldValueError,
  LayoutError,
  offsetOf,
  rsvd,
  u16,
  u32,
  u64,
  u8,
  uints,
  UnknownFieldError,
} from "./struct.ts";

const Inner = defineStruct("Inner", 4, [u16("a", 0), u8("b", 2), rsvd(3, 1)] as const, {
  section: "test",
});
const Toy = defineStruct(
  "Toy",
  48,
  [
    u16("vid", 0),
    bits("lo", 2, 2, 0, 3),
    bits("hi", 2, 2, 12, 15),
    u32("dw", 4),
    u64("q", 8),
    ascii("sn", 16, 8),
    bytes("raw", 24, 4),
    array("items", 28, 2, Inner),
    uints("list", 36, 2, 2),
    rsvd(40, 8),
  ] as const,
  { section: "test" },
);

Deno.test("struct: encode places every kind of field little-endian at its offset", () => {
  const b = Toy.encode({
    vid: 0x1b36,
    lo: 0xa,
    hi: 0x5,
    dw: 0x11223344,
    q: 0x0102030405060708n,
    sn: "AB",
    raw: new Uint8Array([9, 8, 7, 6]),
    items: [{ a: 0xbeef, b: 3 }],
    list: [0x1234, 0x5678],
  });
  assertEquals([...b.subarray(0, 4)], [0x36, 0x1b, 0x0a, 0x50]);
  assertEquals([...b.subarray(4, 8)], [0x44, 0x33, 0x22, 0x11]);
  assertEquals([...b.subarray(8, 16)], [8, 7, 6, 5, 4, 3, 2, 1]);
  assertEquals([...b.subarray(16, 24)], [0x41, 0x42, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20]);
  assertEquals([...b.subarray(24, 36)], [9, 8, 7, 6, 0xef, 0xbe, 3, 0, 0, 0, 0, 0]);
  assertEquals([...b.subarray(36, 40)], [0x34, 0x12, 0x78, 0x56]);
  const d = Toy.decode(b);
  assertEquals(d.sn, "AB");
  assertEquals(d.items[1], { a: 0, b: 0 });
  assertEquals(offsetOf(Toy, "q"), 8);
});

Deno.test("struct: encode rejects values that do not fit, naming the field", () => {
  assertThrows(() => Toy.encode({ lo: 16 }), FieldValueError, "Toy.lo");
  assertThrows(() => Toy.encode({ vid: 0x10000 }), FieldValueError, "Toy.vid");
  assertThrows(() => Toy.encode({ q: -1n }), FieldValueError);
  assertThrows(() => Toy.encode({ sn: "123456789" }), FieldValueError, "longer than 8");
  assertThrows(() => Toy.encode({ sn: "€" }), FieldValueError, "8-bit");
  assertThrows(() => Toy.encode({ nope: 1 } as never), UnknownFieldError);
  assertThrows(() => Toy.field("nope"), UnknownFieldError, "deno task spec Toy");
  assertThrows(() => Toy.decode(new Uint8Array(47)), RangeError);
});

Deno.test("struct: layout validation rejects gaps, overlaps, duplicates and bad bit ranges", () => {
  const def = (fields: Parameters<typeof defineStruct>[2]) =>
    defineStruct("Bad", 8, fields, { section: "test" });
  assertThrows(() => def([u32("a", 0)]), LayoutError, "bytes 4..7 are not declared");
  assertThrows(() => def([u32("a", 0), u32("b", 2), u16("c", 6)]), LayoutError);
  assertThrows(() => def([u32("a", 0), u32("a", 4)]), LayoutError, "duplicate");
  assertThrows(() => def([u64("a", 4)]), LayoutError, "outside");
  assertThrows(
    () => def([bits("a", 0, 4, 0, 3), bits("b", 0, 4, 3, 5), u32("c", 4)]),
    LayoutError,
    "overlaps another bit field",
  );
  assertThrows(() => def([bits("a", 0, 4, 0, 32), u32("c", 4)]), LayoutError, "do not fit");
  assertThrows(
    () => def([bits("a", 0, 4, 0, 3), bits("b", 0, 2, 4, 5), rsvd(2, 2), u32("c", 4)]),
    LayoutError,
  );
});

Deno.test("bytes: bit-field get/set agree with a bigint model for 1..8-byte containers", () => {
  fc.assert(fc.property(
    fc.constantFrom(1 as const, 2 as const, 4 as const, 8 as const),
    fc.uint8Array({ minLength: 8, maxLength: 8 }),
    fc.nat(),
    fc.nat(),
    fc.nat(),
    (size, init, a, b, v) => {
      const maxWidth = size === 8 ? 53 : size * 8;
      const lo = a % (size * 8);
      const hi = Math.min(lo + (b % maxWidth), size * 8 - 1);
      const width = hi - lo + 1;
      const value = v % 2 ** Math.min(width, 31);
      const buf = init.slice();
      setBits(buf, 0, size, lo, hi, value);
      assertEquals(getBits(buf, 0, size, lo, hi), value);
      // Bits outside the range are untouched.
      let before = 0n, after = 0n;
      for (let i = size - 1; i >= 0; i--) {
        before = (before << 8n) | BigInt(init[i]);
        after = (after << 8n) | BigInt(buf[i]);
      }
      const mask = ((1n << BigInt(width)) - 1n) << BigInt(lo);
      assertEquals(before & ~mask, after & ~mask);
      assertEquals(buf.subarray(size), init.subarray(size));
    },
  ));
});

Deno.test("bytes: u64 as number round-trips below 2^53", () => {
  fc.assert(fc.property(fc.maxSafeNat(), (n) => {
    const b = new Uint8Array(8);
    setU64(b, 0, n);
    assertEquals(getU64(b, 0), n);
  }));
});

Deno.test("struct: decodeValue/encodeValue are inverse on small layouts", () => {
  const L = defineStruct("L", 4, [bits("x", 0, 4, 0, 7), bits("y", 0, 4, 16, 31)] as const, {
    section: "test",
  });
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 255 }), fc.integer({ min: 0, max: 0xffff }), (x, y) => {
      assertEquals(decodeValue(L, encodeValue(L, { x, y })), { x, y });
    }),
  );
});
