import { assert, assertEquals, assertThrows } from "@std/assert";
import fc from "fast-check";
import {
  fromZerosBased,
  ringAdvance,
  ringAdvanceFits,
  ringEmpty,
  ringFree,
  ringFull,
  ringNext,
  ringUsed,
  toZerosBased,
  ZerosBasedError,
} from "./ring.ts";

// A model queue (an explicit list of entries) driven by random produce/consume steps: the index
// arithmetic must always agree with the list's length.
Deno.test("ring: index arithmetic agrees with an explicit queue model", () => {
  fc.assert(fc.property(
    fc.integer({ min: 2, max: 70 }),
    fc.array(fc.boolean(), { maxLength: 400 }),
    (size, steps) => {
      let head = 0, tail = 0;
      const model: number[] = [];
      let next = 0;
      for (const produce of steps) {
        assertEquals(ringUsed(head, tail, size), model.length);
        assertEquals(ringFree(head, tail, size), size - 1 - model.length);
        assertEquals(ringEmpty(head, tail), model.length === 0);
        assertEquals(ringFull(head, tail, size), model.length === size - 1);
        if (produce && !ringFull(head, tail, size)) {
          model.push(next++);
          tail = ringNext(tail, size);
        } else if (!produce && !ringEmpty(head, tail)) {
          model.shift();
          head = ringNext(head, size);
        }
        assert(head >= 0 && head < size && tail >= 0 && tail < size);
      }
    },
  ));
});

Deno.test("ring: advance equals n single steps; advanceFits matches the free count", () => {
  fc.assert(fc.property(
    fc.integer({ min: 2, max: 65536 }),
    fc.nat(),
    fc.nat(),
    fc.nat(),
    (size, h, t, k) => {
      const head = h % size, tail = t % size, n = k % (2 * size);
      let i = tail;
      for (let s = 0; s < n % 50; s++) i = ringNext(i, size);
      assertEquals(ringAdvance(tail, n % 50, size), i);
      const newTail = ringAdvance(tail, n % size, size);
      assertEquals(
        ringAdvanceFits(head, tail, newTail, size),
        n % size <= ringFree(head, tail, size),
      );
    },
  ));
});

Deno.test("0's based: encode/decode and range errors", () => {
  fc.assert(fc.property(fc.integer({ min: 1, max: 65536 }), (n) => {
    assertEquals(fromZerosBased(toZerosBased(n)), n);
  }));
  assertEquals(toZerosBased(256, 8), 255);
  assertThrows(() => toZerosBased(0), ZerosBasedError, "1..65536");
  assertThrows(() => toZerosBased(257, 8), ZerosBasedError);
});
