import { assertEquals } from "@std/assert";
import { ToyDevice } from "./_toy_device_test_helpers.ts";
import { REG_CQ_HEAD, REG_OTHER, REG_SQ_TAIL } from "./bar.ts";
import { COUNTER_NAMES, Counters } from "./counters.ts";
import { Machine } from "./machine.ts";

function doorbellCounts(dstrd: number, offsets: number[]) {
  const m = new Machine();
  const dev = new ToyDevice({ dstrd });
  const host = m.attach(dev);
  for (const o of offsets) host.write32(o, 1);
  for (const o of offsets) host.read32(o);
  const s = m.counters.snapshot();
  return {
    m,
    dev,
    writes: [s.sqDoorbellWrites, s.cqDoorbellWrites, s.otherRegisterWrites, s.mmioWrites],
    reads: [s.sqDoorbellReads, s.cqDoorbellReads, s.otherRegisterReads, s.mmioReads],
  };
}

Deno.test("Counters", async (t) => {
  await t.step("MMIO classified by doorbell with DSTRD 0 (4-byte stride)", () => {
    const { writes, reads, dev } = doorbellCounts(0, [
      0x1000,
      0x1004,
      0x1008,
      0x100c,
      0x1010,
      0x14,
    ]);
    assertEquals(writes, [3, 2, 1, 6]);
    assertEquals(reads, [3, 2, 1, 6]);
    assertEquals(dev.doorbells.map((d) => `${d.isCq ? "cq" : "sq"}${d.qid}`), [
      "sq0",
      "cq0",
      "sq1",
      "cq1",
      "sq2",
    ]);
  });

  await t.step("MMIO classified by doorbell with DSTRD 2 (16-byte stride)", () => {
    const { writes, m } = doorbellCounts(2, [0x1000, 0x1004, 0x1010, 0x1020, 0x1030, 0x103c]);
    assertEquals(writes, [2, 2, 2, 6]);
    const bar = m.slot(0).bar;
    assertEquals(bar.classify(0x1040), REG_SQ_TAIL);
    assertEquals(bar.classify(0x1ff0), REG_CQ_HEAD);
    assertEquals(bar.classify(0x2000), REG_OTHER); // MSI-X table, not a doorbell
    assertEquals(bar.classify(0x0), REG_OTHER);
  });

  await t.step("commands by opcode, completions, coalescing; snapshot and reset", () => {
    const c = new Counters();
    c.command(true, 0x06);
    c.command(true, 0x06);
    c.command(false, 0x01);
    c.completion();
    c.coalesced(3);
    c.mmioWrites++;
    const s = c.snapshot();
    assertEquals(s.commands, 3);
    assertEquals(s.adminCommands, 2);
    assertEquals(s.ioCommands, 1);
    assertEquals(s.adminByOpcode, { "0x06": 2 });
    assertEquals(s.ioByOpcode, { "0x01": 1 });
    assertEquals(s.completions, 1);
    assertEquals(s.interruptsCoalesced, 3);
    c.reset();
    const z = c.snapshot();
    for (const name of COUNTER_NAMES) assertEquals(z[name], 0, name);
    assertEquals(z.adminByOpcode, {});
    // The snapshot is a copy.
    assertEquals(s.mmioWrites, 1);
  });
});
