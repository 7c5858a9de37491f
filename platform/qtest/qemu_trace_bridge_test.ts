import { assertEquals } from "@std/assert";
import { MemoryTraceSink, Trace } from "../trace.ts";
import { formatQemuTraceLine } from "../trace_qemu.ts";
import { QemuTraceBridge } from "./qemu_trace_bridge.ts";

/** Hub time 0 is wall-clock 1000 s since the epoch. */
const EPOCH_US = 1_000_000_000;
const at = (us: number) => `77@1000.${String(us).padStart(6, "0")}:`;

function setup() {
  const clock = { now: 0 };
  const hub = new Trace(clock);
  const pending: string[] = [];
  const bridge = new QemuTraceBridge(hub, () => pending.splice(0), EPOCH_US);
  const host = bridge.wrapHostEmitter(hub.emitter("host", 0));
  const sink = new MemoryTraceSink();
  return { clock, hub, pending, bridge, host, sink };
}

Deno.test("QEMU trace merge: QEMU's lines come before the next host event, typed and marked", () => {
  const { clock, hub, pending, host, sink } = setup();
  hub.addSink(sink);
  clock.now = 10_000;
  host.emit({ type: "sqe_written", qid: 1, slot: 0, opcode: 2, cid: 7, nsid: 1 });
  // The doorbell write: QEMU logs it before the qtest reply, then its SQ bottom half runs.
  pending.push(
    `${at(12)}pci_nvme_mmio_doorbell_sq sqid 1 new_tail 1`,
    `${at(13)}pci_nvme_io_cmd cid 7 nsid 0x1 sqid 1 opc 0x2 opname 'NVME_NVM_CMD_READ'`,
    `${at(15)}pci_nvme_enqueue_req_completion cid 7 cqid 1 dw0 0x0 dw1 0x0 status 0x0`,
  );
  clock.now = 20_000;
  host.emit({ type: "cqe_consumed", qid: 1, slot: 0, cid: 7, status: 0, phase: 1 });
  assertEquals(sink.types(), [
    "sqe_written",
    "mmio_doorbell_sq",
    "io_cmd",
    "enqueue_req_completion",
    "cqe_consumed",
  ]);
  assertEquals(sink.events.map((e) => e.t), [10_000, 12_000, 13_000, 15_000, 20_000]);
  const io = sink.events[2];
  assertEquals([io.side, io.qemu?.pid, io.qemu?.name], ["device", 77, "pci_nvme_io_cmd"]);
  // Printed as QEMU printed it, under QEMU's pid; host lines under ours.
  assertEquals(
    sink.events.map((e) => formatQemuTraceLine(e, { timestamps: true, pid: 5 })),
    [
      "5@0.000010:host_sqe_written qid 1 slot 0 opc 0x2 cid 7 nsid 0x1",
      "77@0.000012:pci_nvme_mmio_doorbell_sq sqid 1 new_tail 1",
      "77@0.000013:pci_nvme_io_cmd cid 7 nsid 0x1 sqid 1 opc 0x2 opname 'NVME_NVM_CMD_READ'",
      "77@0.000015:pci_nvme_enqueue_req_completion cid 7 cqid 1 dw0 0x0 dw1 0x0 status 0x0",
      "5@0.000020:host_cqe_consumed qid 1 slot 0 cid 7 status 0x0 phase 1",
    ],
  );
});

Deno.test("QEMU trace merge: sequence wins over a disagreeing clock (times clamped, order kept)", () => {
  const { clock, hub, pending, bridge, host, sink } = setup();
  hub.addSink(sink);
  clock.now = 50_000;
  host.emit({ type: "host_note", text: "before" });
  pending.push(
    `${at(40)}pci_nvme_irq_pin pulsing IRQ pin`, // QEMU's clock behind ours: not before "before"
    `${at(90)}pci_nvme_irq_masked IRQ is masked`, // ahead: not after the moment it was read
    "pci_nvme_mmio_stopped cleared controller enable bit", // no timestamp: the moment it was read
  );
  clock.now = 60_000;
  host.emit({ type: "host_note", text: "after" });
  assertEquals(sink.types(), ["host_note", "irq_pin", "irq_masked", "mmio_stopped", "host_note"]);
  assertEquals(sink.events.map((e) => e.t), [50_000, 50_000, 60_000, 60_000, 60_000]);
  assertEquals(bridge.clamped, 2);
});

Deno.test("QEMU trace merge: lines read while no sink is attached never reach a later sink", () => {
  const { clock, hub, pending, bridge, host, sink } = setup();
  pending.push(`${at(1)}pci_nvme_irq_msix raising MSI-X IRQ vector 0`);
  assertEquals(bridge.drain(), 1);
  hub.addSink(sink);
  pending.push(`${at(3)}pci_nvme_irq_msix raising MSI-X IRQ vector 1`, "garbage line");
  clock.now = 4_000;
  host.emit({ type: "wakeup", vector: 1 });
  assertEquals(sink.types(), ["irq_msix", "qemu_raw", "wakeup"]);
  assertEquals(sink.ofType("irq_msix")[0].vector, 1);
  assertEquals(formatQemuTraceLine(sink.events[1]), "garbage line");
  assertEquals(bridge.linesRead, 3);
});
