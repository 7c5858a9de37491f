import { assertEquals, assertThrows } from "@std/assert";
import fc from "fast-check";
import {
  DEFAULT_LATENCY_OPTIONS,
  type LatencyModel,
  LatencyModelError,
  mediaLatencyNs,
  parseLatencyModel,
  validateLatencyModel,
} from "./latency.ts";

const nonNeg = fc.double({ min: 0, max: 1e6, noNaN: true, noDefaultInfinity: true });
const bytes = fc.integer({ min: 0, max: 2 ** 24 });

Deno.test("latency model", async (t) => {
  await t.step("defaults to no latency and real I/O", () => {
    assertEquals(DEFAULT_LATENCY_OPTIONS, { model: { kind: "none" }, noopIo: false });
    assertEquals(mediaLatencyNs(DEFAULT_LATENCY_OPTIONS.model, 4096, true), 0);
  });

  await t.step("fixed ignores size; write constants apply to writes only", () => {
    const m: LatencyModel = { kind: "fixed", ns: 10_000, writeNs: 20_000 };
    assertEquals(mediaLatencyNs(m, 0, false), 10_000);
    assertEquals(mediaLatencyNs(m, 1 << 20, false), 10_000);
    assertEquals(mediaLatencyNs(m, 512, true), 20_000);
    assertEquals(mediaLatencyNs({ kind: "fixed", ns: 7 }, 512, true), 7);
  });

  await t.step("per-byte is base + bytes × rate, rounded to whole ns", () => {
    const m: LatencyModel = { kind: "per-byte", baseNs: 1000, nsPerByte: 0.1 };
    assertEquals(mediaLatencyNs(m, 4096, false), 1410);
    assertEquals(mediaLatencyNs(m, 0, true), 1000);
    const w: LatencyModel = { ...m, writeBaseNs: 5000, writeNsPerByte: 1 };
    assertEquals(mediaLatencyNs(w, 512, true), 5512);
    assertEquals(mediaLatencyNs(w, 512, false), 1051);
  });

  await t.step("parses the command-line spellings", () => {
    assertEquals(parseLatencyModel("none"), { kind: "none" });
    assertEquals(parseLatencyModel("fixed:2500"), { kind: "fixed", ns: 2500 });
    assertEquals(parseLatencyModel("fixed:100/900"), { kind: "fixed", ns: 100, writeNs: 900 });
    assertEquals(parseLatencyModel("per-byte:2000+0.25"), {
      kind: "per-byte",
      baseNs: 2000,
      nsPerByte: 0.25,
    });
    assertEquals(parseLatencyModel("per-byte:1+2/3+4"), {
      kind: "per-byte",
      baseNs: 1,
      nsPerByte: 2,
      writeBaseNs: 3,
      writeNsPerByte: 4,
    });
    for (const bad of ["", "fixed", "fixed:-1", "fixed:x", "per-byte:5", "slow:1", "none:1"]) {
      assertThrows(() => parseLatencyModel(bad), LatencyModelError, "use none");
    }
  });

  await t.step("rejects negative and non-finite constants", () => {
    assertThrows(() => validateLatencyModel({ kind: "fixed", ns: -1 }), LatencyModelError, "≥ 0");
    assertThrows(
      () => validateLatencyModel({ kind: "per-byte", baseNs: 0, nsPerByte: Infinity }),
      LatencyModelError,
      "nsPerByte",
    );
  });

  await t.step("property: per-byte latency is non-negative and monotone in bytes", () => {
    fc.assert(
      fc.property(nonNeg, nonNeg, bytes, bytes, fc.boolean(), (baseNs, rate, a, b, w) => {
        const m: LatencyModel = { kind: "per-byte", baseNs, nsPerByte: rate };
        const [lo, hi] = a <= b ? [a, b] : [b, a];
        const x = mediaLatencyNs(m, lo, w), y = mediaLatencyNs(m, hi, w);
        assertEquals(x >= 0 && x <= y && Number.isInteger(x), true);
      }),
    );
  });
});
