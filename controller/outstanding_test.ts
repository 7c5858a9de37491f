// The outstanding-command table against a Set oracle: random adds and deletes of 16-bit CIDs
// (seeded, printed on failure), growth past the initial size, and backward-shift deletion.

import { assertEquals } from "@std/assert";
import { Mulberry32 } from "../platform/preemption.ts";
import { OutstandingCommands } from "./outstanding.ts";

const SEED = 0x5eed_0001;
const CID_SPACE = 1 << 16;

Deno.test(`OutstandingCommands matches a Map oracle under random add/delete (seed ${SEED})`, () => {
  const rng = new Mulberry32(SEED);
  const table = new OutstandingCommands<number>();
  const oracle = new Map<number, number>();
  // A small CID range forces collisions and long probe runs; a large one forces growth.
  for (const range of [97, 3000, CID_SPACE]) {
    for (let step = 0; step < 20_000; step++) {
      const cid = rng.nextU32() % range;
      if (rng.nextU32() % 3 === 0) {
        assertEquals(table.delete(cid), oracle.delete(cid), `delete ${cid} at step ${step}`);
      } else {
        table.add(cid, step);
        oracle.set(cid, step);
      }
      if (step % 97 === 0) {
        const probe = rng.nextU32() % range;
        assertEquals(table.get(probe), oracle.get(probe), `get ${probe} at step ${step}`);
      }
      assertEquals(table.size, oracle.size);
    }
    assertEquals([...table].sort((a, b) => a - b), [...oracle.keys()].sort((a, b) => a - b));
    for (const [cid, value] of oracle) assertEquals(table.get(cid), value);
  }
  assertEquals(table.has(-1), false, "not a CID");
  assertEquals(table.has(CID_SPACE), false, "not a 16-bit CID");
});

Deno.test("OutstandingCommands: clear keeps the drain hook; the hook runs once when emptied", () => {
  const table = new OutstandingCommands();
  table.add(1).add(2);
  let drained = 0;
  table.onDrained(() => drained++);
  table.clear();
  assertEquals(table.size, 0);
  table.add(3);
  table.delete(3);
  assertEquals(drained, 1);
  table.add(4);
  table.delete(4);
  assertEquals(drained, 1);
});
