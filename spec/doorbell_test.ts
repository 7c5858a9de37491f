import { assert, assertEquals } from "@std/assert";
import fc from "fast-check";
import {
  cqHeadDoorbell,
  decodeDoorbell,
  doorbellOffset,
  doorbellStride,
  needEventLinux,
  needEventSpdk,
  sqTailDoorbell,
} from "./doorbell.ts";

const u16 = fc.integer({ min: 0, max: 0xffff });

Deno.test("doorbell: offsets follow 0x1000 + (2q + isCq) * (4 << DSTRD)", () => {
  assertEquals([sqTailDoorbell(0, 0), cqHeadDoorbell(0, 0)], [0x1000, 0x1004]);
  assertEquals([sqTailDoorbell(2, 0), cqHeadDoorbell(2, 0)], [0x1010, 0x1014]);
  assertEquals([sqTailDoorbell(1, 2), cqHeadDoorbell(1, 2)], [0x1020, 0x1030]);
  assertEquals(doorbellStride(15), 4 << 15);
  fc.assert(fc.property(
    fc.integer({ min: 0, max: 0xffff }),
    fc.boolean(),
    fc.integer({ min: 0, max: 15 }),
    (qid, isCq, dstrd) => {
      const off = doorbellOffset(qid, isCq, dstrd);
      assertEquals(off, 0x1000 + (2 * qid + (isCq ? 1 : 0)) * 4 * 2 ** dstrd);
      assertEquals(decodeDoorbell(off, dstrd), { qid, isCq });
    },
  ));
});

Deno.test("doorbell: offsets between doorbells or below 0x1000 decode to null", () => {
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 15 }), fc.integer({ min: 0, max: 1000 }), (dstrd, k) => {
      const stride = 4 << dstrd;
      const off = 0x1000 + k * stride + 4; // inside a stride but not on a doorbell
      assertEquals(decodeDoorbell(off, dstrd), null);
    }),
  );
  assertEquals(decodeDoorbell(0xffc, 0), null);
});

// The oracle walks the 16-bit ring from `old` to `new`, one step at a time, and says whether it
// passed `eventIdx`: the plain statement of "the host moved past the index the device asked
// about". Linux's window is [old, new), SPDK's is [old, new].
function crossedOracle(eventIdx: number, newIdx: number, oldIdx: number, inclusive: boolean) {
  for (let i = oldIdx; i !== newIdx; i = (i + 1) & 0xffff) if (i === eventIdx) return true;
  return inclusive && eventIdx === newIdx;
}

Deno.test("need_event: Linux form equals the brute-force oracle across the 16-bit wrap", () => {
  fc.assert(
    fc.property(u16, u16, fc.integer({ min: 0, max: 300 }), (ev, old, step) => {
      const nw = (old + step) & 0xffff; // walks of any length, crossing 0xffff → 0 freely
      assertEquals(needEventLinux(ev, nw, old), crossedOracle(ev, nw, old, false));
      assertEquals(needEventSpdk(ev, nw, old), crossedOracle(ev, nw, old, true));
    }),
    { numRuns: 2000 },
  );
  // Exhaustive over every eventIdx near the wrap point for a few windows.
  for (const [old, nw] of [[0xfffe, 2], [0xffff, 0], [5, 5], [0, 0xffff]]) {
    for (let ev = 0; ev <= 0xffff; ev++) {
      assertEquals(needEventLinux(ev, nw, old), crossedOracle(ev, nw, old, false));
    }
  }
});

Deno.test("need_event: Linux and SPDK differ exactly when eventIdx == new", () => {
  fc.assert(fc.property(u16, u16, u16, (ev, nw, old) => {
    const differ = needEventLinux(ev, nw, old) !== needEventSpdk(ev, nw, old);
    assertEquals(differ, ev === nw);
  }));
  // SPDK's unit-test vectors (reference/linux-driver.md §10).
  assert(!needEventSpdk(10, 15, 14));
  assert(needEventSpdk(14, 15, 14));
});
