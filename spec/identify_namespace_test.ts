import { assertEquals, assertThrows } from "@std/assert";
import fc from "fast-check";
import { arbitraryBytesFor, arbitraryFor } from "./_arbitrary.ts";
import {
  Flbas,
  flbasFor,
  formatIndex,
  IdentifyNamespace,
  lbaDataBytes,
  LbaFormat,
  Nsfeat,
} from "./identify_namespace.ts";

Deno.test("Identify Namespace (NVM Command Set 1.1 §4.1.5.1)", async (t) => {
  await t.step("sizes", () => {
    assertEquals(IdentifyNamespace.size, 4096);
    assertEquals(LbaFormat.size, 4);
  });

  await t.step("offsets and widths from the Identify Namespace figure", () => {
    const rows: [string, number, number][] = [
      ["nsze", 0, 8],
      ["ncap", 8, 8],
      ["nuse", 16, 8],
      ["nsfeat", 24, 1],
      ["nlbaf", 25, 1],
      ["flbas", 26, 1],
      ["mc", 27, 1],
      ["dpc", 28, 1],
      ["dps", 29, 1],
      ["nmic", 30, 1],
      ["rescap", 31, 1],
      ["fpi", 32, 1],
      ["dlfeat", 33, 1],
      ["nawun", 34, 2],
      ["noiob", 46, 2],
      ["nvmcap", 48, 16],
      ["npwg", 64, 2],
      ["nows", 72, 2],
      ["mssrl", 74, 2],
      ["mcl", 76, 4],
      ["msrc", 80, 1],
      ["kpios", 81, 1],
      ["nulbaf", 82, 1],
      ["kpiodaag", 84, 4],
      ["anagrpid", 92, 4],
      ["nsattr", 99, 1],
      ["nvmsetid", 100, 2],
      ["endgid", 102, 2],
      ["nguid", 104, 16],
      ["eui64", 120, 8],
      ["lbaf", 128, 256],
      ["lbstm", 384, 8],
      ["vs", 3712, 384],
    ];
    for (const [name, offset, size] of rows) {
      const f = IdentifyNamespace.field(name);
      assertEquals([f.offset, f.size], [offset, size], name);
    }
    assertEquals(LbaFormat.field("ms").offset, 0);
    assertEquals(LbaFormat.field("ds").offset, 2);
    assertEquals(LbaFormat.field("rp"), {
      name: "rp",
      kind: "uint",
      offset: 3,
      size: 1,
      bits: [0, 1],
    });
  });

  await t.step("an LBA format entry is laid out as ms, ds, rp", () => {
    const b = IdentifyNamespace.encode({ lbaf: [{}, { ms: 8, ds: 12, rp: 2 }] });
    assertEquals([...b.subarray(132, 136)], [8, 0, 12, 2]);
    assertEquals(IdentifyNamespace.decode(b).lbaf[1], { ms: 8, ds: 12, rp: 2 });
  });

  await t.step("formatIndex combines FLBAS bits 3:0 and 6:5", () => {
    assertEquals(formatIndex(0x00), 0);
    assertEquals(formatIndex(0x0f), 15);
    assertEquals(formatIndex(0x10), 0, "bit 4 is the extended-metadata flag");
    assertEquals(formatIndex(0x20), 16);
    assertEquals(formatIndex(0x6f), 63);
    assertEquals(formatIndex(0x80 | 0x01), 1, "bit 7 is reserved");
    assertEquals(flbasFor(17, true), 0x21 | (1 << Flbas.EXTENDED));
    assertThrows(() => flbasFor(64), RangeError);
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 63 }), fc.boolean(), (i, ext) => {
        assertEquals(formatIndex(flbasFor(i, ext)), i);
      }),
    );
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 255 }), (flbas) => {
        const i = formatIndex(flbas);
        assertEquals(i >= 0 && i < 64, true);
      }),
    );
  });

  await t.step("LBA data size and feature bits", () => {
    assertEquals(lbaDataBytes(9), 512);
    assertEquals(lbaDataBytes(12), 4096);
    assertEquals(lbaDataBytes(0), 0);
    assertEquals(Nsfeat.THINP, 0);
    assertEquals(Nsfeat.OPTPERF, 4);
  });

  await t.step("round trip: decode(encode(x)) equals x", () => {
    fc.assert(
      fc.property(arbitraryFor(IdentifyNamespace), (x) => {
        assertEquals(IdentifyNamespace.decode(IdentifyNamespace.encode(x)), x);
      }),
      { numRuns: 40 },
    );
    fc.assert(
      fc.property(arbitraryFor(LbaFormat), (x) => {
        assertEquals(LbaFormat.decode(LbaFormat.encode(x)), x);
      }),
    );
  });

  await t.step("decode never throws on arbitrary bytes", () => {
    fc.assert(
      fc.property(arbitraryBytesFor(IdentifyNamespace), (b) => {
        const ns = IdentifyNamespace.decode(b);
        assertEquals(ns.lbaf.length, 64);
        assertEquals(ns.lbaf[formatIndex(ns.flbas)].rp <= 3, true);
      }),
      { numRuns: 50 },
    );
  });
});
