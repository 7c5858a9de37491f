import { assert, assertEquals } from "@std/assert";
import { MemoryTraceSink } from "../trace.ts";
import { RegisterOffset } from "../../spec/registers.ts";
import { parseQemuLogLine } from "./qemu_trace_log.ts";
import { qemuTest, withQemu } from "./_test_helpers.ts";

/** BAR0 offset of the admin SQ tail doorbell (PCIe Transport 1.1 §3.1.2.1, DSTRD 0). */
const ADMIN_SQ_TAIL_DOORBELL = 0x1000;

qemuTest("QEMU trace capture: readTrace has every line, a named file is kept", async () => {
  const file = Deno.makeTempFileSync({ prefix: "nvme-trace-test-", suffix: ".log" });
  try {
    await withQemu({ serial: "tracecap", trace: { events: ["pci_nvme_mmio_*"], file } }, (m) => {
      m.host.read32(RegisterOffset.CSTS);
      const lines = m.readTrace().map(parseQemuLogLine);
      const last = lines.at(-1)!;
      // QEMU's log is flushed per line: the read's line is there once the qtest reply came.
      assertEquals(last.event, { type: "mmio_read", addr: RegisterOffset.CSTS, size: 4 });
      assertEquals(last.pid, m.pid, "-msg timestamp=on prefixes QEMU's pid and time");
      assert(last.epochUs !== null && Math.abs(last.epochUs / 1000 - Date.now()) < 60_000);
    });
    const kept = Deno.readTextFileSync(file).trim().split("\n");
    assert(kept.some((l) => l.endsWith("pci_nvme_mmio_read addr 0x1c size 4")), kept.join("\n"));
  } finally {
    Deno.removeSync(file);
  }
});

qemuTest(
  "QEMU trace capture: QEMU's events are merged with the host's in causal order",
  async () => {
    await withQemu({ serial: "tracemerge", trace: { events: ["pci_nvme_*"] } }, (m) => {
      const host = m.host;
      host.drainQemuTrace();
      const sink = new MemoryTraceSink();
      host.traceHub.addSink(sink);
      host.trace.emit({
        type: "host_note",
        text: "ring a doorbell of a queue that does not exist",
      });
      host.write32(ADMIN_SQ_TAIL_DOORBELL, 1); // controller disabled: QEMU ignores and says so
      host.trace.emit({ type: "host_note", text: "done" });
      assertEquals(sink.types(), [
        "host_note",
        "mmio_write",
        "ub_db_wr_invalid_sq",
        "host_note",
      ]);
      assertEquals(sink.events[1].qemu?.pid, m.pid);
      const t = sink.events.map((e) => e.t);
      assertEquals([...t].sort((a, b) => a - b), t, "times never go backwards");
    });
  },
);
