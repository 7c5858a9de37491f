/**
 * fast-check arbitraries derived from field tables: `arbitraryFor(struct)` generates decoded
 * values that round-trip through the struct's codec; `arbitraryBytesFor(struct)` generates raw
 * byte images of the right length (for "decode never throws" properties). The two `check*`
 * helpers run those standard properties for any structure.
 *
 * @module
 */

import { assertEquals } from "@std/assert";
import fc from "fast-check";
import type { Field, Layout, Struct } from "./struct.ts";

/** The arbitrary for one field's decoded value, or null for reserved bytes. */
export function arbitraryForField(f: Field): fc.Arbitrary<unknown> | null {
  switch (f.kind) {
    case "uint": {
      if (f.bits) {
        const width = f.bits[1] - f.bits[0] + 1;
        return fc.integer({ min: 0, max: 2 ** width - 1 });
      }
      if (f.size <= 4) return fc.integer({ min: 0, max: 2 ** (8 * f.size) - 1 });
      return fc.bigInt({ min: 0n, max: (1n << BigInt(8 * f.size)) - 1n });
    }
    case "ascii":
      // Printable ASCII; the decoder strips trailing spaces and NULs, so generate none.
      return fc.string({ unit: "grapheme-ascii", maxLength: f.size }).map((s) =>
        s.replace(/ +$/, "")
      );
    case "bytes":
      return fc.uint8Array({ minLength: f.size, maxLength: f.size });
    case "array":
      return fc.array(arbitraryFor(f.element), { minLength: f.count, maxLength: f.count });
    case "uints":
      return fc.array(fc.integer({ min: 0, max: 2 ** (8 * f.elementSize) - 1 }), {
        minLength: f.count,
        maxLength: f.count,
      });
    case "reserved":
      return null;
  }
}

/** An arbitrary decoded value of `s`: every non-reserved field, each within its range. */
export function arbitraryFor<T>(s: Layout<T>): fc.Arbitrary<T> {
  const model: Record<string, fc.Arbitrary<unknown>> = {};
  for (const f of s.fields) {
    const a = arbitraryForField(f);
    if (a) model[f.name] = a;
  }
  return fc.record(model) as unknown as fc.Arbitrary<T>;
}

/** Arbitrary bytes of exactly `s.size` length: any on-the-wire image of the structure. */
export function arbitraryBytesFor(s: Struct): fc.Arbitrary<Uint8Array> {
  return fc.uint8Array({ minLength: s.size, maxLength: s.size });
}

/** Property: `s.decode(s.encode(x))` deep-equals `x` for arbitrary decoded values `x`. */
export function checkRoundTrip(s: Struct, numRuns = 100): void {
  fc.assert(
    fc.property(arbitraryFor(s), (x) => {
      assertEquals(s.decode(s.encode(x)), x);
    }),
    { numRuns },
  );
}

/**
 * Property: `s.decode` accepts any `s.size` bytes (a device may return anything) and yields every
 * non-reserved field.
 */
export function checkDecodesAnyBytes(s: Struct, numRuns = 100): void {
  const names = s.fields.filter((f) => f.kind !== "reserved").map((f) => f.name).sort();
  fc.assert(
    fc.property(arbitraryBytesFor(s), (b) => {
      assertEquals(Object.keys(s.decode(b)).sort(), names);
    }),
    { numRuns },
  );
}
