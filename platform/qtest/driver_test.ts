import { assert, assertEquals } from "@std/assert";
import { MemoryTraceSink } from "../trace.ts";
import { BlockDevice } from "../../driver/block_device.ts";
import { createDriver } from "../../driver/linux/driver.ts";
import type { LinuxDriver } from "../../driver/linux/driver.ts";
import { runWorkload } from "../../driver/workload.ts";
import { qemuTest, withQemu } from "./_test_helpers.ts";

const SEED = 7;

qemuTest("Linux-like driver on QEMU: MSI-X, shadow doorbells, verified I/O", async () => {
  console.log(`workload seed ${SEED}`);
  // QEMU's own shadow-doorbell trace points land in the same trace as the driver's events.
  await withQemu({ serial: "driver", qemuTrace: "pci_nvme_shadow_doorbell_*" }, (m) => {
    const host = m.host;
    const sink = new MemoryTraceSink();
    host.traceHub.addSink(sink);
    const driver = createDriver(host, { cpus: 2, ioQueueDepth: 64 }) as LinuxDriver;
    const info = driver.bringUp();
    assertEquals(info.identify.mn.trim(), "QEMU NVMe Ctrl");
    assert(info.shadowDoorbells, "QEMU 7.2 advertises Doorbell Buffer Config (OACS bit 8)");
    assertEquals(info.ioQueues.length, 2);
    assert(info.namespaces[0].blocks > 0);
    const before = host.counters.snapshot();
    const r = runWorkload(host, driver, { ios: 400, queueDepth: 16, contexts: 2, seed: SEED });
    assertEquals(r.errors, 0, r.firstProblem ?? "");
    assertEquals(r.mismatches, 0, r.firstProblem ?? "");
    assertEquals(r.completed, 400);
    assert(r.reads > 0 && r.writes > 0);
    const after = host.counters.snapshot();
    assert(after.interruptsDelivered > before.interruptsDelivered, "completions raised MSI-X");
    // QEMU read the shadow SQ tails the driver wrote (its trace says so), and the driver decided
    // per doorbell whether to ring MMIO (its own trace says so).
    host.poll();
    const qemu = sink.ofType("shadow_doorbell_sq").filter((e) => e.qemu?.pid === m.pid);
    assert(qemu.length > 0, "QEMU's trace shows it reading the shadow SQ tails");
    const decisions = sink.ofType("doorbell_decision").filter((d) => d.qid > 0);
    assert(decisions.length > 0 && decisions.every((d) => d.eventIdx !== null));

    const disk = new BlockDevice(host, driver);
    const data = new Uint8Array(4 * disk.blockSize).map((_, i) => (i * 31 + 7) & 0xff);
    disk.write(100, data);
    disk.flush();
    assertEquals(disk.read(100, 4), data);
    driver.shutdown();
  });
});

qemuTest("Linux-like driver on QEMU: INTx and polled queues", async () => {
  await withQemu({ serial: "intx" }, (m) => {
    const driver = createDriver(m.host, { cpus: 1, interrupts: "intx", pollQueues: 1 });
    driver.bringUp();
    const r = runWorkload(m.host, driver, { ios: 100, queueDepth: 4, seed: SEED });
    assertEquals([r.errors, r.mismatches, r.completed], [0, 0, 100], r.firstProblem ?? "");
    const p = runWorkload(m.host, driver, { ios: 50, queueDepth: 4, seed: SEED, polled: true });
    assertEquals([p.errors, p.mismatches, p.completed], [0, 0, 50], p.firstProblem ?? "");
    assert(m.host.counters.intxAssertions > 0, "INTx was raised");
    driver.shutdown();
  });
});
