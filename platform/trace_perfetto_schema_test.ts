import { assertEquals, assertMatch } from "@std/assert";
import { renderPerfetto } from "./trace_perfetto.ts";
import { validateTraceJson } from "./trace_perfetto_schema.ts";
import type { TraceEvent } from "./trace_events.ts";

const base = { name: "Read", cat: "command", ph: "X", ts: 1, dur: 2, pid: 0, tid: 1, args: {} };

Deno.test("trace JSON schema: what Perfetto's importer needs", async (t) => {
  await t.step("a rendered trace with host, device and QEMU events passes", () => {
    const qemu = { pid: 42, name: "pci_nvme_io_cmd", text: "…", epochUs: null };
    const events: TraceEvent[] = [
      {
        t: 0,
        side: "host",
        fn: 0,
        type: "sqe_written",
        qid: 1,
        slot: 0,
        opcode: 2,
        cid: 1,
        nsid: 1,
      },
      { t: 500, side: "device", fn: 0, type: "io_cmd", cid: 1, nsid: 1, sqid: 1, opcode: 2, qemu },
      {
        t: 900,
        side: "device",
        fn: 0,
        type: "enqueue_req_completion",
        cid: 1,
        cqid: 1,
        dw0: 0,
        dw1: 0,
        status: 0,
        qemu: { ...qemu, name: "pci_nvme_enqueue_req_completion" },
      },
      { t: 950, side: "device", fn: 0, type: "irq_pin" },
      {
        t: 1000,
        side: "host",
        fn: 0,
        type: "cqe_consumed",
        qid: 1,
        slot: 0,
        cid: 1,
        status: 0,
        phase: 1,
      },
    ];
    const doc = JSON.parse(renderPerfetto(events));
    assertEquals(validateTraceJson(doc), []);
    const names = doc.traceEvents.filter((e: { name: string }) => e.name === "process_name");
    assertEquals(names.map((e: { pid: number }) => e.pid).sort(), [0, 42]);
  });

  await t.step("each broken field is reported", () => {
    const cases: [unknown, RegExp][] = [
      [[], /must be an object/],
      [{ events: [] }, /traceEvents must be an array/],
      [{ traceEvents: [], displayTimeUnit: "s" }, /displayTimeUnit/],
      [{ traceEvents: [{ ...base, ph: "Z" }] }, /unknown phase Z/],
      [{ traceEvents: [{ ...base, name: 3 }] }, /name must be a string/],
      [{ traceEvents: [{ ...base, ts: "1" }] }, /ts must be/],
      [{ traceEvents: [{ ...base, pid: 0.5 }] }, /pid must be an integer/],
      [{ traceEvents: [{ ...base, dur: undefined }] }, /needs dur/],
      [{ traceEvents: [{ ...base, ph: "i", s: "x" }] }, /instant scope x/],
      [{ traceEvents: [{ ...base, ph: "M", name: "thread_name", args: {} }] }, /needs args.name/],
      [{ traceEvents: [{ ...base, ph: "M", name: "colour" }] }, /unknown metadata/],
      [{ traceEvents: [{ ...base, args: [] }] }, /args must be an object/],
      [
        { traceEvents: [base, { ...base, name: "Write", ts: 2, dur: 5 }] },
        /"Write" at 2 overlaps "Read" without nesting/,
      ],
    ];
    for (const [doc, re] of cases) {
      const problems = validateTraceJson(doc);
      assertEquals(problems.length, 1, `${JSON.stringify(doc)}: ${problems}`);
      assertMatch(problems[0], re);
    }
    // Nested slices and slices on other threads are fine.
    const nested = [base, { ...base, ts: 1.5, dur: 1 }, { ...base, tid: 2, ts: 2, dur: 9 }];
    assertEquals(validateTraceJson({ traceEvents: nested }), []);
  });
});
