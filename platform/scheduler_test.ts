import { assert, assertEquals, assertThrows } from "@std/assert";
import fc from "fast-check";
import { InvalidArgumentError, SchedulerReentryError } from "./errors.ts";
import { Scheduler } from "./scheduler.ts";

Deno.test("Scheduler", async (t) => {
  await t.step("runs in time order, FIFO for equal times, and advances the clock", () => {
    const s = new Scheduler();
    const log: string[] = [];
    const push = (x: string) => log.push(`${x}@${s.now}`);
    s.schedule(20, push, "c");
    s.schedule(10, push, "a");
    s.schedule(20, push, "d");
    s.scheduleAt(10, push, "b");
    assertEquals(s.pending, 4);
    assertEquals(s.nextTime, 10);
    assertEquals(s.runUntil(15), 2);
    assertEquals(s.now, 15);
    assertEquals(s.runNext(), true);
    assertEquals(s.runNext(), true);
    assertEquals(s.runNext(), false);
    assertEquals(log, ["a@10", "b@10", "c@20", "d@20"]);
    assertEquals(s.isIdle, true);
    assertEquals(s.nextTime, Infinity);
  });

  await t.step(
    "work scheduled at the current time from a callback runs after earlier peers",
    () => {
      const s = new Scheduler();
      const log: string[] = [];
      s.schedule(5, () => {
        log.push("first");
        s.schedule(0, () => log.push("nested"));
      });
      s.schedule(5, () => log.push("second"));
      s.runUntilIdle();
      assertEquals(log, ["first", "second", "nested"]);
    },
  );

  await t.step("cancel removes one event; stale handles are refused", () => {
    const s = new Scheduler();
    const log: number[] = [];
    const h = s.schedule(1, (x: number) => log.push(x), 1);
    s.schedule(2, (x: number) => log.push(x), 2);
    assertEquals(s.cancel(h), true);
    assertEquals(s.cancel(h), false);
    s.runUntilIdle();
    assertEquals(log, [2]);
    const h2 = s.schedule(1, () => log.push(3)); // likely reuses the slot of h
    assertEquals(s.cancel(h), false);
    assertEquals(s.cancel(h2), true);
  });

  await t.step("cancelOwner cancels exactly one owner's events", () => {
    const s = new Scheduler();
    const log: number[] = [];
    for (let i = 0; i < 10; i++) s.schedule(i, (x: number) => log.push(x), i, i % 2);
    assertEquals(s.cancelOwner(1), 5);
    s.runUntilIdle();
    assertEquals(log, [0, 2, 4, 6, 8]);
  });

  await t.step("grows beyond its initial capacity", () => {
    const s = new Scheduler();
    const log: number[] = [];
    for (let i = 0; i < 1000; i++) s.schedule(1000 - i, (x: number) => log.push(x), i);
    assertEquals(s.runUntilIdle(), 1000);
    assertEquals(log[0], 999);
    assertEquals(log[999], 0);
  });

  await t.step("refuses bad times and re-entry", () => {
    const s = new Scheduler();
    assertThrows(() => s.schedule(-1, () => {}), InvalidArgumentError);
    assertThrows(() => s.schedule(NaN, () => {}), InvalidArgumentError);
    s.runUntil(10);
    assertThrows(() => s.scheduleAt(5, () => {}), InvalidArgumentError, "past");
    s.schedule(0, () => s.runNext());
    s.schedule(0, () => {});
    assertThrows(() => s.runNext(), SchedulerReentryError, "never wait");
    assertEquals(s.running, false);
  });

  await t.step("property: order equals a stable sort by time of the non-canceled events", () => {
    const ev = fc.record({ delay: fc.integer({ min: 0, max: 50 }), cancel: fc.boolean() });
    fc.assert(
      fc.property(
        fc.array(ev, { maxLength: 200 }),
        fc.integer({ min: 0, max: 60 }),
        (evs, stop) => {
          const s = new Scheduler();
          const ran: number[] = [];
          const handles = evs.map((e, i) => s.schedule(e.delay, (x: number) => ran.push(x), i));
          evs.forEach((e, i) => {
            if (e.cancel) assert(s.cancel(handles[i]));
          });
          s.runUntil(stop);
          const expected = evs.map((e, i) => ({ ...e, i }))
            .filter((e) => !e.cancel && e.delay <= stop)
            .sort((a, b) => a.delay - b.delay || a.i - b.i)
            .map((e) => e.i);
          assertEquals(ran, expected);
          assertEquals(s.pending, evs.filter((e) => !e.cancel && e.delay > stop).length);
          assertEquals(s.now, stop);
        },
      ),
    );
  });
});
