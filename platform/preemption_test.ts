import { assertEquals, assertNotEquals } from "@std/assert";
import { REG, ToyDevice } from "./_toy_device_test_helpers.ts";
import { Machine } from "./machine.ts";
import {
  Mulberry32,
  PREEMPT_NONE,
  PREEMPT_RUN_NEXT,
  type PreemptionPolicy,
  ScriptedPreemption,
  type SeededPreemptionOptions,
} from "./preemption.ts";

/** Queues 10 device jobs, then spins on the DONE register (no waits): only preemption can make
 * device work run. Returns what the host observed. */
function spin(preemption?: SeededPreemptionOptions | PreemptionPolicy) {
  const m = new Machine({ preemption });
  const host = m.attach(new ToyDevice(), { busMaster: true });
  host.setupInterrupts("msix");
  for (let i = 0; i < 10; i++) host.write32(REG.GO, i);
  const seen: string[] = [];
  for (let i = 0; i < 60; i++) seen.push(`${host.read32(REG.DONE)}@${host.now()}`);
  return { seen, counters: m.counters.snapshot(), m };
}

Deno.test("Preemption points", async (t) => {
  await t.step("off by default: spinning host never sees device progress", () => {
    const { seen, counters, m } = spin();
    assertEquals(new Set(seen), new Set(["0@0"]));
    assertEquals(counters.preemptionPoints, 0);
    assertEquals(m.seed, undefined);
  });

  await t.step("the same seed reproduces the run exactly", () => {
    const a = spin({ seed: 1234, probability: 0.3 });
    const b = spin({ seed: 1234, probability: 0.3 });
    assertEquals(a.seen, b.seen);
    assertEquals(a.counters, b.counters);
    assertEquals(a.seen.at(-1), "10@1000");
    assertEquals(a.m.seed, 1234);
    assertEquals(a.m.describe().endsWith("preemption seed=1234 probability=0.3 mode=mixed"), true);
  });

  await t.step("a different seed gives a different interleaving", () => {
    const a = spin({ seed: 1, probability: 0.1, mode: "next" });
    const b = spin({ seed: 2, probability: 0.1, mode: "next" });
    assertNotEquals(a.seen, b.seen);
    assertEquals(a.counters.preemptionPoints, b.counters.preemptionPoints);
  });

  await t.step('"due" mode never advances time; "next" does', () => {
    const due = spin({ seed: 5, probability: 1, mode: "due" });
    assertEquals(due.seen.at(-1), "0@0");
    const next = spin({ seed: 5, probability: 1, mode: "next" });
    // Each GO write already ran the previous job: jobs complete 1000 ns apart.
    assertEquals(next.seen.at(-1), "10@10000");
  });

  await t.step("a scripted policy preempts exactly where told", () => {
    // Points before the spin loop: measured with a policy that never preempts.
    const reads = 60;
    const points = spin(new ScriptedPreemption([])).counters.preemptionPoints - reads;
    const script = new Array(points + 3).fill(PREEMPT_NONE);
    script[points + 2] = PREEMPT_RUN_NEXT; // before the third DONE read
    const { seen, counters } = spin(new ScriptedPreemption(script));
    assertEquals(seen.slice(0, 4), ["0@0", "0@0", "1@1000", "1@1000"]);
    assertEquals(counters.preemptions, 1);
  });

  await t.step("mulberry32 is deterministic and spreads", () => {
    const a = new Mulberry32(99);
    const b = new Mulberry32(99);
    const xs = Array.from({ length: 1000 }, () => a.nextFloat());
    assertEquals(xs, Array.from({ length: 1000 }, () => b.nextFloat()));
    assertEquals(xs.every((x) => x >= 0 && x < 1), true);
    assertEquals(new Set(xs).size, 1000);
  });
});
