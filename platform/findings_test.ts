import { assertEquals } from "@std/assert";
import { FindingsRegistry, PLATFORM_RULES } from "./findings.ts";

Deno.test("FindingsRegistry", async (t) => {
  await t.step("records with virtual time, filters, counts and clears", () => {
    const clock = { now: 10 };
    const f = new FindingsRegistry(clock);
    f.report(PLATFORM_RULES.dmaUnmapped, "dma at 0x1000", 0);
    clock.now = 20;
    f.record({
      id: "queue.sq_overrun",
      side: "host",
      severity: "error",
      section: "Base 2.1 §3.3.1",
      message: "tail 5 past head 4",
    });
    assertEquals(f.all().map((x) => [x.id, x.side, x.timeNs, x.fn]), [
      ["dma.unmapped", "platform", 10, 0],
      ["queue.sq_overrun", "host", 20, -1],
    ]);
    assertEquals(f.filter({ side: "host" }).length, 1);
    assertEquals(f.filter({ group: "dma", fn: 0 }).length, 1);
    assertEquals(f.count({ severity: "warning" }), 0);
    assertEquals(f.has("dma"), true);
    assertEquals(f.has("dma.range"), false);
    assertEquals(f.countById(), { "dma.unmapped": 1, "queue.sq_overrun": 1 });
    f.clear();
    assertEquals(f.total, 0);
    assertEquals(f.has("dma"), false);
  });

  await t.step("keeps at most `limit` findings in full but counts them all", () => {
    const f = new FindingsRegistry({ now: 0 }, { limit: 2 });
    for (let i = 0; i < 5; i++) f.report(PLATFORM_RULES.mmioWidth, `#${i}`);
    assertEquals(f.all().length, 2);
    assertEquals(f.dropped, 3);
    assertEquals(f.total, 5);
    assertEquals(f.countById(), { "mmio.width": 5 });
  });

  await t.step("every platform rule id has the group.rule form", () => {
    for (const rule of Object.values(PLATFORM_RULES)) {
      assertEquals(/^[a-z]+\.[a-z_]+$/.test(rule.id), true, rule.id);
    }
  });
});
