import { assertEquals, assertThrows } from "@std/assert";
import { LATENCY_NS, REG, TOY_ID, ToyDevice } from "./_toy_device_test_helpers.ts";
import { WaitForeverError } from "./errors.ts";
import { Machine, type MachineOptions } from "./machine.ts";
import { PciCommand, PciConfigOffset } from "./pci_config.ts";
import { WAIT_TIMEOUT } from "./ports.ts";

function setup(options: MachineOptions = {}, busMaster = true) {
  const m = new Machine(options);
  const dev = new ToyDevice();
  const host = m.attach(dev, { busMaster });
  host.setupInterrupts("msix");
  /** Programs a copy of `len` bytes src → dst and rings GO for vector 0. */
  const copy = (src: number, dst: number, len: number) => {
    host.write64(REG.SRC, src);
    host.write64(REG.DST, dst);
    host.write32(REG.LEN, len);
    host.write32(REG.GO, 0);
  };
  return { m, dev, host, copy };
}

const pattern = (n: number, seed = 1) =>
  Uint8Array.from({ length: n }, (_, i) => (i * 7 + seed) & 0xff);

Deno.test("DMA through the IOMMU", async (t) => {
  await t.step("mapped buffers are copied and bytes counted", () => {
    const { host, m, copy } = setup();
    const src = host.allocate(512);
    const dst = host.allocate(512);
    host.memWrite(src, pattern(512));
    copy(src, dst, 512);
    assertEquals(host.waitForInterrupt([0], 10 * LATENCY_NS), 0);
    const out = new Uint8Array(512);
    host.memRead(dst, out);
    assertEquals(out, pattern(512));
    assertEquals(m.counters.dmaReadBytes, 512);
    assertEquals(m.counters.dmaWriteBytes, 512);
    assertEquals(m.findings.total, 0);
  });

  await t.step("a DMA outside the map is a finding and never touches memory", () => {
    const { host, m, copy } = setup();
    const src = host.allocate(4096);
    const dst = host.allocate(256);
    host.memWrite(src, pattern(4096));
    const victim = dst + 256; // right after the buffer: not mapped
    host.memWrite(victim, pattern(64, 9));
    const before = m.memory.pageCount;
    copy(src, dst, 512); // straddles the end of dst
    host.waitForInterrupt([0], 10 * LATENCY_NS);
    const out = new Uint8Array(64);
    host.memRead(victim, out);
    assertEquals(out, pattern(64, 9));
    host.memRead(dst, out);
    assertEquals(out, new Uint8Array(64)); // the refused write left dst alone too
    assertEquals(m.memory.pageCount, before);
    const f = m.findings.filter({ id: "dma.unmapped" });
    assertEquals(f.length, 1);
    assertEquals(f[0].side, "platform");
    assertEquals(f[0].timeNs, LATENCY_NS);
    assertEquals(m.counters.dmaFaults, 1);
  });

  await t.step("a refused read returns zeros; freed buffers are unmapped", () => {
    const { host, m, dev } = setup();
    const buf = host.allocate(64);
    host.memWrite(buf, pattern(64));
    host.free(buf);
    const into = new Uint8Array(64).fill(0xff);
    assertEquals(dev.port.dmaRead(buf, into), false);
    assertEquals(into, new Uint8Array(64));
    assertEquals(dev.port.dmaReadU32(buf), 0);
    assertEquals(m.findings.count({ id: "dma.unmapped" }), 2);
  });

  await t.step("explicit map/unmap and direction", () => {
    const { host, m, dev } = setup();
    const addr = 0x2_0000_0000;
    assertEquals(dev.port.dmaWriteU32(addr, 1), false);
    host.dmaMap(addr, 8, "read");
    assertEquals(dev.port.dmaReadU64(addr), 0);
    assertEquals(dev.port.dmaWriteU32(addr, 1), false);
    assertEquals(m.findings.filter().map((f) => f.id), ["dma.unmapped", "dma.permission"]);
    host.dmaMap(addr, 8);
    assertEquals(dev.port.dmaWriteU64(addr, 0x1_0000_0002), true);
    assertEquals(host.memReadU64(addr), 0x1_0000_0002);
    host.dmaUnmap(addr, 8);
    assertEquals(dev.port.dmaReadU32(addr), 0);
  });

  await t.step("with the IOMMU off any in-range address is DMA-able", () => {
    const { dev, host, m } = setup({ iommu: false });
    assertEquals(dev.port.dmaWriteU32(0x3000, 0xabcd), true);
    assertEquals(host.memReadU32(0x3000), 0xabcd);
    assertEquals(dev.port.dmaWriteU32(m.memory.sizeBytes, 0), false);
    assertEquals(m.findings.filter().map((f) => f.id), ["dma.range"]);
  });

  await t.step("bus master disabled: DMA refused with a finding", () => {
    const { host, m, copy } = setup({}, false);
    const src = host.allocate(64);
    const dst = host.allocate(64);
    host.memWrite(src, pattern(64));
    copy(src, dst, 64);
    host.sleep(10 * LATENCY_NS);
    const out = new Uint8Array(64);
    host.memRead(dst, out);
    assertEquals(out, new Uint8Array(64));
    assertEquals(m.findings.has("dma.bus_master"), true);
    host.configWrite(PciConfigOffset.COMMAND, 2, PciCommand.MEMORY_SPACE | PciCommand.BUS_MASTER);
    copy(src, dst, 64);
    host.sleep(10 * LATENCY_NS);
    host.memRead(dst, out);
    assertEquals(out, pattern(64));
  });
});

Deno.test("Scheduling and host waits", async (t) => {
  await t.step("MMIO never runs device work inline; host waits do", () => {
    const { host, dev, m, copy } = setup();
    const a = host.allocate(64);
    copy(a, a, 64);
    copy(a, a, 64);
    assertEquals(dev.workRan, 0);
    assertEquals(m.scheduler.pending, 2);
    host.poll();
    assertEquals(dev.workRan, 0);
    host.sleep(LATENCY_NS);
    assertEquals(dev.workRan, 2);
    assertEquals(host.now(), LATENCY_NS + m.pollQuantumNs);
  });

  await t.step("waitForInterrupt stops at the interrupt, or times out at the deadline", () => {
    const { host, m, copy } = setup();
    const a = host.allocate(64);
    copy(a, a, 64);
    assertEquals(host.waitForInterrupt([1], 300), WAIT_TIMEOUT);
    assertEquals(host.now(), 300);
    assertEquals(host.waitForInterrupt([0, 1], 10_000), 0);
    assertEquals(host.now(), LATENCY_NS);
    assertEquals(host.waitForInterrupt([0], 500), WAIT_TIMEOUT);
    assertEquals(host.now(), LATENCY_NS + 500);
    assertEquals(m.counters.waits, 3);
    assertEquals(m.counters.wakeups, 1);
    assertEquals(m.counters.waitTimeouts, 2);
    assertThrows(() => host.waitForInterrupt([0], Infinity), WaitForeverError, "finite timeoutNs");
  });

  await t.step("power loss cancels the function's work and resets it", () => {
    const { host, dev, m, copy } = setup();
    const a = host.allocate(64);
    copy(a, a, 64);
    m.powerLoss();
    assertEquals(m.scheduler.isIdle, true);
    assertEquals(dev.resets, ["power-loss"]);
    assertEquals(host.read32(REG.ID), TOY_ID); // firmware re-applied memory space
    // Firmware setup (memory space, and bus master as attached) is re-applied.
    assertEquals(
      host.configRead(PciConfigOffset.COMMAND, 2),
      PciCommand.MEMORY_SPACE | PciCommand.BUS_MASTER,
    );
  });

  await t.step("two functions share memory and time but not BARs or interrupts", () => {
    const m = new Machine();
    const d0 = new ToyDevice();
    const d1 = new ToyDevice();
    const h0 = m.attach(d0, { busMaster: true });
    const h1 = m.attach(d1, { busMaster: true });
    h0.setupInterrupts("msix");
    h1.setupInterrupts("msix");
    assertEquals(m.slot(1).config.bar0Address, 0xe0004000);
    h1.write32(REG.GO, 1);
    assertEquals(h0.waitForInterrupt(null, 5 * LATENCY_NS), WAIT_TIMEOUT);
    assertEquals(h1.takeInterrupt(1), true);
    assertEquals(d1.workRan, 1);
    assertEquals(d0.workRan, 0);
    assertEquals(m.describe(), "machine functions=2 iommu=on poll=100ns preemption off");
  });
});

Deno.test("BAR0 access rules", async (t) => {
  await t.step("64-bit accesses reach the function as two dwords, low first", () => {
    const { host, dev } = setup();
    dev.calls.length = 0;
    host.write64(REG.SRC, 0x1234_5678_9abc_def0n);
    assertEquals(dev.calls, [
      { write: true, offset: 0x08, size: 8, value: 0x9abcdef0 },
      { write: true, offset: 0x0c, size: 8, value: 0x12345678 },
    ]);
    assertEquals(host.read64(REG.SRC), 0x1234_5678_9abc_def0n);
    assertEquals(dev.calls.slice(2).map((c) => [c.offset, c.size]), [[0x08, 8], [0x0c, 8]]);
    host.write32(REG.DST, 0xaaaa);
    host.write32(REG.DST + 4, 0xbbbb);
    assertEquals(host.read64(REG.DST), 0xbbbb_0000_aaaan);
  });

  await t.step("wrong width, misalignment, range and decode are host findings", () => {
    const { host, m, dev } = setup();
    dev.calls.length = 0;
    m.counters.reset();
    assertEquals(host.mmioRead(0x1c, 2), 0xffff);
    host.mmioWrite(0x1c, 1, 1);
    assertEquals(host.read32(0x1e), 0xffffffff);
    host.write64(0x1c, 1);
    assertEquals(host.read64(0x4000), 0xffffffffffffffffn);
    host.configWrite(PciConfigOffset.COMMAND, 2, PciCommand.BUS_MASTER);
    assertEquals(host.read32(0), 0xffffffff);
    assertEquals(dev.calls, []);
    assertEquals(m.findings.filter().map((f) => f.id), [
      "mmio.width",
      "mmio.width",
      "mmio.align",
      "mmio.align",
      "mmio.range",
      "mmio.decode_disabled",
    ]);
    assertEquals(m.findings.count({ side: "host" }), 6);
    assertEquals(m.counters.mmioReads + m.counters.mmioWrites, 6);
  });

  await t.step("the function decides whether a 64-bit access suits a register", () => {
    const { host, m, dev } = setup();
    host.write64(REG.GO + 4, 0); // 8-aligned qword over GO's neighbours: fine for the bus
    host.write64(0x18, 0); // LEN + GO as one qword: the toy refuses 64-bit access to GO
    assertEquals(dev.workRan, 0);
    assertEquals(m.scheduler.pending, 0);
    assertEquals(m.findings.filter().map((f) => f.id), ["mmio.width"]);
  });
});
