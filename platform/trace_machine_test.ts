import { assertEquals } from "@std/assert";
import { LATENCY_NS, REG, ToyDevice } from "./_toy_device_test_helpers.ts";
import { Machine } from "./machine.ts";
import { TraceEmitter } from "./trace.ts";
import { MemoryTraceSink } from "./trace.ts";
import { QemuTraceSink } from "./trace_qemu.ts";
import { ChromeTraceSink } from "./trace_chrome.ts";

function workload(m: Machine) {
  const host = m.attach(new ToyDevice({ msixVectors: 2 }), { busMaster: true });
  host.setupInterrupts("msix");
  const buf = host.allocate(4096);
  if (host.trace.enabled) {
    host.trace.emit({ type: "sqe_written", qid: 1, slot: 2, opcode: 2, cid: 5, nsid: 1 });
  }
  host.write32(0x1008, 3);
  host.read32(0x0);
  host.write64(REG.SRC, buf);
  host.write64(REG.DST, buf + 2048);
  host.write32(REG.LEN, 16);
  host.write32(REG.GO, 1);
  host.waitForInterrupt([1], 10 * LATENCY_NS);
  host.write32(0x100c, 1);
  return buf;
}

Deno.test("Tracing a machine run", async (t) => {
  await t.step(
    "QEMU text sink: device lines as QEMU prints them, host and platform lines too",
    () => {
      const m = new Machine();
      const sink = new QemuTraceSink({});
      m.trace.addSink(sink);
      const buf = workload(m);
      const device = sink.lines.filter((l) => l.startsWith("pci_nvme_"));
      assertEquals(device, [
        "pci_nvme_mmio_write addr 0x1008 data 0x3 size 4",
        "pci_nvme_mmio_doorbell_sq sqid 1 new_tail 3",
        "pci_nvme_mmio_read addr 0x0 size 4",
        `pci_nvme_mmio_write addr 0x8 data 0x${buf.toString(16)} size 8`,
        `pci_nvme_mmio_write addr 0x10 data 0x${(buf + 2048).toString(16)} size 8`,
        "pci_nvme_mmio_write addr 0x18 data 0x10 size 4",
        "pci_nvme_mmio_write addr 0x1c data 0x1 size 4",
        `pci_nvme_map_addr addr 0x${buf.toString(16)} len 16`,
        "pci_nvme_mmio_write addr 0x100c data 0x1 size 4",
        "pci_nvme_mmio_doorbell_cq cqid 1 new_head 1",
      ]);
      const others = sink.lines.filter((l) => !l.startsWith("pci_nvme_") && !l.includes("config_"));
      assertEquals(others, [
        "host_sqe_written qid 1 slot 2 opc 0x2 cid 5 nsid 0x1",
        `platform_dma_read addr 0x${buf.toString(16)} len 16`,
        `platform_dma_write addr 0x${(buf + 2048).toString(16)} len 16`,
        "platform_msix_message vector 1 addr 0xfee00000 data 0x1",
        "host_wakeup vector 1",
      ]);
    },
  );

  await t.step("memory sink: events carry virtual time, side and function", () => {
    const m = new Machine();
    const sink = new MemoryTraceSink();
    m.trace.addSink(sink);
    workload(m);
    const msix = sink.ofType("msix_message")[0];
    assertEquals([msix.t, msix.side, msix.fn], [LATENCY_NS, "platform", 0]);
    assertEquals(sink.ofType("mmio_doorbell_sq")[0].side, "device");
  });

  await t.step("findings are traced as platform events", () => {
    const m = new Machine();
    const sink = new MemoryTraceSink();
    m.trace.addSink(sink);
    const host = m.attach(new ToyDevice());
    host.read32(0x3);
    assertEquals(sink.ofType("finding").map((f) => f.id), ["mmio.align"]);
  });

  await t.step("tracing off: no emitter call, so no event object is built", () => {
    const original = TraceEmitter.prototype.emit;
    let calls = 0;
    TraceEmitter.prototype.emit = function (this: TraceEmitter<never>, body: never) {
      calls++;
      original.call(this, body);
    };
    try {
      workload(new Machine());
      assertEquals(calls, 0);
      const m = new Machine();
      m.trace.addSink(new MemoryTraceSink());
      workload(m);
      assertEquals(calls > 10, true);
    } finally {
      TraceEmitter.prototype.emit = original;
    }
  });
});

Deno.test("Chrome trace sink", () => {
  const m = new Machine();
  const sink = new ChromeTraceSink();
  m.trace.addSink(sink);
  workload(m);
  const doc = JSON.parse(sink.json());
  const msix = doc.traceEvents.find((e: { name: string }) => e.name === "msix_message");
  assertEquals(msix.ts, LATENCY_NS / 1000);
  assertEquals(msix.tid, 3);
  assertEquals(msix.args, { vector: 1, address: 0xfee00000, data: 1 });
  assertEquals(
    doc.traceEvents.filter((e: { ph: string }) => e.ph === "M").map((
      e: { args: { name: string } },
    ) => e.args.name),
    ["platform", "host", "device"], // config reads come first,
  );
});
