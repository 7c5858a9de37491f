import { assertEquals } from "@std/assert";
import { formatQemuTraceLine, QemuTraceSink } from "./trace_qemu.ts";
import { MemoryTraceSink, Trace } from "./trace.ts";
import type { TraceBody, TraceEvent, TraceSide } from "./trace_events.ts";

function ev(side: TraceSide, body: TraceBody, t = 0): TraceEvent {
  return { ...body, t, side, fn: 0 } as TraceEvent;
}

Deno.test("QEMU trace text", async (t) => {
  await t.step("device events print exactly as QEMU 7.2", () => {
    const cases: [TraceBody, string][] = [
      [
        { type: "mmio_doorbell_sq", sqid: 1, new_tail: 3 },
        "pci_nvme_mmio_doorbell_sq sqid 1 new_tail 3",
      ],
      [
        { type: "mmio_doorbell_cq", cqid: 0, new_head: 2 },
        "pci_nvme_mmio_doorbell_cq cqid 0 new_head 2",
      ],
      [
        { type: "io_cmd", cid: 5, nsid: 1, sqid: 1, opcode: 2 },
        "pci_nvme_io_cmd cid 5 nsid 0x1 sqid 1 opc 0x2 opname 'NVME_NVM_CMD_READ'",
      ],
      [
        { type: "admin_cmd", cid: 0, sqid: 0, opcode: 6 },
        "pci_nvme_admin_cmd cid 0 sqid 0 opc 0x6 opname 'NVME_ADM_CMD_IDENTIFY'",
      ],
      [
        { type: "admin_cmd", cid: 1, sqid: 0, opcode: 0xc1 },
        "pci_nvme_admin_cmd cid 1 sqid 0 opc 0xc1 opname 'NVME_ADM_CMD_UNKNOWN'",
      ],
      [
        { type: "enqueue_req_completion", cid: 5, cqid: 1, dw0: 0, dw1: 0, status: 0x4001 },
        "pci_nvme_enqueue_req_completion cid 5 cqid 1 dw0 0x0 dw1 0x0 status 0x4001",
      ],
      [{ type: "irq_msix", vector: 1 }, "pci_nvme_irq_msix raising MSI-X IRQ vector 1"],
      [{ type: "irq_pin" }, "pci_nvme_irq_pin pulsing IRQ pin"],
      [{ type: "irq_masked" }, "pci_nvme_irq_masked IRQ is masked"],
      [{ type: "mmio_read", addr: 0x1c, size: 4 }, "pci_nvme_mmio_read addr 0x1c size 4"],
      [
        { type: "mmio_write", addr: 0x14, data: 0x460001, dataHi: 0, size: 4 },
        "pci_nvme_mmio_write addr 0x14 data 0x460001 size 4",
      ],
      [
        { type: "mmio_write", addr: 0x28, data: 0x1000, dataHi: 0x1, size: 8 },
        "pci_nvme_mmio_write addr 0x28 data 0x100001000 size 8",
      ],
      [
        { type: "eventidx_sq", sqid: 1, new_eventidx: 7 },
        "pci_nvme_eventidx_sq sqid 1 new_eventidx 7",
      ],
      [
        { type: "shadow_doorbell_cq", cqid: 2, new_shadow_doorbell: 9 },
        "pci_nvme_shadow_doorbell_cq cqid 2 new_shadow_doorbell 9",
      ],
      [
        { type: "dbbuf_config", dbs_addr: 0x100000000, eis_addr: 0x100001000 },
        "pci_nvme_dbbuf_config dbs_addr=0x100000000 eis_addr=0x100001000",
      ],
      [
        { type: "create_cq", addr: 0x2000, cqid: 1, vector: 1, size: 1023, qflags: 3, ien: 1 },
        "pci_nvme_create_cq create completion queue, addr=0x2000, cqid=1, vector=1, qsize=1023, " +
        "qflags=3, ien=1",
      ],
      [{ type: "del_sq", qid: 1 }, "pci_nvme_del_sq deleting submission queue sqid=1"],
      [
        { type: "nvm_read", cid: 3, nsid: 1, nlb: 8, count: 4096, lba: 0x10 },
        "pci_nvme_read cid 3 nsid 1 nlb 8 count 4096 lba 0x10",
      ],
      [
        { type: "ub_db_wr_invalid_sqtail", qid: 1, new_tail: 99 },
        "pci_nvme_ub_db_wr_invalid_sqtail submission queue doorbell write value beyond queue " +
        "size, sqid=1, new_head=99, ignoring",
      ],
      [
        { type: "mmio_start_success" },
        "pci_nvme_mmio_start_success setting controller enable bit succeeded",
      ],
      [
        { type: "qemu_raw", name: "mmio_stopped", text: "cleared controller enable bit" },
        "pci_nvme_mmio_stopped cleared controller enable bit",
      ],
    ];
    for (const [body, line] of cases) assertEquals(formatQemuTraceLine(ev("device", body)), line);
  });

  await t.step("host and platform events print as host_* / platform_* lines", () => {
    assertEquals(
      formatQemuTraceLine(
        ev("host", { type: "sqe_written", qid: 1, slot: 3, opcode: 2, cid: 5, nsid: 1 }),
      ),
      "host_sqe_written qid 1 slot 3 opc 0x2 cid 5 nsid 0x1",
    );
    assertEquals(
      formatQemuTraceLine(
        ev("host", { type: "cqe_consumed", qid: 1, slot: 0, cid: 5, status: 0, phase: 1 }),
      ),
      "host_cqe_consumed qid 1 slot 0 cid 5 status 0x0 phase 1",
    );
    assertEquals(
      formatQemuTraceLine(
        ev("host", {
          type: "doorbell_decision",
          qid: 2,
          isCq: true,
          value: 4,
          eventIdx: null,
          mmio: true,
        }),
      ),
      "host_doorbell_decision qid 2 cq 1 value 4 eventidx none mmio 1",
    );
    assertEquals(
      formatQemuTraceLine(
        ev("platform", { type: "msix_message", vector: 0, address: 0xfee00000, data: 0 }),
      ),
      "platform_msix_message vector 0 addr 0xfee00000 data 0x0",
    );
  });

  await t.step("options: drop sides, add QEMU-style timestamps", () => {
    const host = ev("host", { type: "wakeup", vector: 0 });
    assertEquals(formatQemuTraceLine(host, { host: false }), null);
    const dev = ev("device", { type: "irq_pin" }, 3_000_012_345);
    assertEquals(
      formatQemuTraceLine(dev, { timestamps: true, pid: 42 }),
      "42@3.000012:pci_nvme_irq_pin pulsing IRQ pin",
    );
    const sink = new QemuTraceSink({ platform: false });
    sink.write(dev);
    sink.write(ev("platform", { type: "intx_level", level: true }));
    assertEquals(sink.text(), "pci_nvme_irq_pin pulsing IRQ pin\n");
  });
});

Deno.test("Trace hub", async (t) => {
  await t.step("emitters are disabled until a sink is attached and stamp t/side/fn", () => {
    const clock = { now: 0 };
    const trace = new Trace(clock);
    const device = trace.emitter("device", 2);
    assertEquals(device.enabled, false);
    const sink = new MemoryTraceSink();
    trace.addSink(sink);
    assertEquals(device.enabled, true);
    clock.now = 77;
    device.emit({ type: "irq_msix", vector: 3 });
    assertEquals(sink.events, [{ type: "irq_msix", vector: 3, t: 77, side: "device", fn: 2 }]);
    trace.removeSink(sink);
    assertEquals(device.enabled, false);
    device.emit({ type: "irq_msix", vector: 4 });
    assertEquals(sink.events.length, 1);
  });

  await t.step("MemoryTraceSink keeps a bounded list and filters by type", () => {
    const sink = new MemoryTraceSink(2);
    for (let i = 0; i < 3; i++) sink.write(ev("device", { type: "irq_msix", vector: i }));
    assertEquals(sink.types(), ["irq_msix", "irq_msix"]);
    assertEquals(sink.dropped, 1);
    assertEquals(sink.ofType("irq_msix").map((e) => e.vector), [0, 1]);
    sink.clear();
    assertEquals(sink.events.length, 0);
  });
});
