import { assert, assertEquals } from "@std/assert";
import fc from "fast-check";
import { cidGeneration, cidTag, makeCid, nextGeneration } from "./command_id.ts";

Deno.test("command id: tag and generation round-trip and fit 16 bits", () => {
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 4095 }), fc.integer({ min: 0, max: 15 }), (tag, gen) => {
      const cid = makeCid(tag, gen);
      assert(cid >= 0 && cid <= 0xffff);
      assertEquals([cidTag(cid), cidGeneration(cid)], [tag, gen]);
    }),
  );
});

Deno.test("command id: a reused tag gets a different CID for 15 reuses", () => {
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 4095 }), fc.integer({ min: 0, max: 15 }), (tag, g0) => {
      const seen = new Set<number>();
      let g = g0;
      for (let i = 0; i < 16; i++) {
        seen.add(makeCid(tag, g));
        g = nextGeneration(g);
      }
      assertEquals(seen.size, 16);
      assertEquals(g, g0); // wraps after 16
    }),
  );
});
