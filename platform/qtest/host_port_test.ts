import { assert, assertEquals, assertThrows } from "@std/assert";
import { RawController } from "../../conformance/raw_host.ts";
import { Cns, Identify } from "../../spec/admin_commands.ts";
import { AdminOpcode } from "../../spec/opcodes.ts";
import { RegisterOffset as R } from "../../spec/registers.ts";
import { WaitForeverError } from "../errors.ts";
import { PLATFORM_RULES } from "../findings.ts";
import { MsixEntry } from "../msix.ts";
import { PciCommand, PciConfigOffset } from "../pci_config.ts";
import { INTX_VECTOR, WAIT_TIMEOUT } from "../ports.ts";
import { Mulberry32 } from "../preemption.ts";
import { ALLOC_BASE } from "./machine.ts";
import { BAR0_BASE } from "./pci.ts";
import { qemuTest, withQemu } from "./_test_helpers.ts";

/** QEMU 7.2's NVMe function (reference §1). */
const QEMU_NVME_ID = 0x0010_1b36;
const QEMU_VS = 0x0001_0400;
const TABLE = 0x2000;
const PBA = 0x3000;
const WAIT_NS = 100_000_000;

function identify(buffer: number): Uint8Array {
  return Identify.encode({ opcode: AdminOpcode.IDENTIFY, prp1: buffer, cns: Cns.CONTROLLER });
}

qemuTest("host port: enumeration, BAR0 placement, ECAM and host-side findings", async () => {
  await withQemu({}, ({ host }) => {
    assertEquals(host.platform, "qemu");
    assertEquals(host.configRead(PciConfigOffset.VENDOR_ID, 4), QEMU_NVME_ID);
    assertEquals(
      host.configRead(PciConfigOffset.BAR0, 4),
      (BAR0_BASE | 0x4) >>> 0,
      "64-bit memory BAR",
    );
    assertEquals(host.configRead(PciConfigOffset.COMMAND, 2) & PciCommand.MEMORY_SPACE, 2);
    assertEquals(host.layout.bar0Size, 0x4000);
    assertEquals(host.read32(R.VS), QEMU_VS);
    host.configRead(0x100, 4); // extended space through ECAM: no finding
    const trips = host.client.roundTrips;
    assertEquals(host.configRead(3, 2), 0xffff);
    assertEquals(host.configRead(0x1000, 4), 0xffff_ffff);
    assertEquals(host.read32(0x4000), 0xffff_ffff);
    assertEquals(host.client.roundTrips, trips, "refused accesses are not sent to QEMU");
    assertEquals(host.findings.countById(), {
      [PLATFORM_RULES.configAlign.id]: 1,
      [PLATFORM_RULES.configRange.id]: 1,
      [PLATFORM_RULES.mmioRange.id]: 1,
    });
  });
});

qemuTest("host port: MMIO widths, counters by register class, BAR0 moves", async () => {
  await withQemu({}, ({ host }) => {
    const cap = host.read64(R.CAP);
    assertEquals(cap, (BigInt(host.read32(R.CAP + 4)) << 32n) | BigInt(host.read32(R.CAP)));
    assertEquals(host.mmioRead(R.VS + 2, 2), QEMU_VS >>> 16, "sub-dword reads return the bytes");
    const before = host.counters.snapshot();
    host.write32(0x1000, 0); // SQ 0 tail, CQ 0 head: ignored by a disabled controller
    host.write32(0x1004, 0);
    host.read32(R.CSTS);
    const c = host.counters.snapshot();
    assertEquals(c.sqDoorbellWrites - before.sqDoorbellWrites, 1);
    assertEquals(c.cqDoorbellWrites - before.cqDoorbellWrites, 1);
    assertEquals(c.otherRegisterReads - before.otherRegisterReads, 1);
    const moved = BAR0_BASE + 0x10_0000;
    host.configWrite(PciConfigOffset.BAR0, 4, moved);
    assertEquals(host.layout.bar0, moved);
    assertEquals(host.read32(R.VS), QEMU_VS, "MMIO follows the BAR");
    assertEquals(host.client.read(moved + R.VS, 4), QEMU_VS);
    host.configWrite(PciConfigOffset.BAR0, 4, BAR0_BASE);
    assertEquals(host.read32(R.VS), QEMU_VS);
  });
});

qemuTest("host port: guest RAM as host memory, bulk moves in 1 MiB commands", async () => {
  await withQemu({ memoryMiB: 64 }, ({ host }) => {
    const seed = 11;
    const rng = new Mulberry32(seed);
    const data = new Uint8Array(3 * 2 ** 20 + 123).map(() => rng.nextU32() & 0xff);
    const addr = host.allocate(data.length, 4096);
    assert(addr >= ALLOC_BASE && addr + data.length <= 64 * 2 ** 20);
    const trips = host.client.roundTrips;
    host.memWrite(addr, data);
    const back = new Uint8Array(data.length);
    host.memRead(addr, back);
    assertEquals(host.client.roundTrips - trips, 8, "4 chunks each way");
    assertEquals(back, data, `seed ${seed}`);
    host.memWriteU64(addr, 2 ** 40 + 5);
    assertEquals(host.memReadU64(addr), 2 ** 40 + 5);
    assertEquals(host.memReadU32(addr + 4), 2 ** 8);
    host.memFill(addr, 16, 0xab);
    assertEquals(host.memReadU32(addr + 12), 0xabababab);
    host.free(addr);
    assertEquals(host.allocate(data.length, 4096), addr, "freed memory is handed out again");
  });
});

qemuTest("host port: MSI-X through RAM words, masking holds the message in the PBA", async () => {
  await withQemu({}, ({ host }) => {
    const ctrl = new RawController(host);
    assertEquals(ctrl.msixVectors, 65);
    const admin = ctrl.enable();
    admin.submit(identify(ctrl.buffer));
    assertEquals(host.waitForInterrupt([0], WAIT_NS), 0);
    admin.wait();
    assertEquals(host.takeInterrupt(0), false, "the latch was consumed");
    host.write32(TABLE + MsixEntry.VECTOR_CONTROL, MsixEntry.MASK_BIT);
    admin.exec(identify(ctrl.buffer));
    assertEquals(host.waitForInterrupt([0], 2_000_000), WAIT_TIMEOUT, "masked vector is quiet");
    assertEquals(host.read32(PBA) & 1, 1, "pending bit set");
    host.write32(TABLE + MsixEntry.VECTOR_CONTROL, 0);
    assertEquals(host.waitForInterrupt(null, WAIT_NS), 0, "unmasking sends the message");
    assertEquals(host.read32(PBA) & 1, 0);
    assert(host.counters.interruptsDelivered >= 2);
    assertEquals(host.layout.msixWordCount, ctrl.msixVectors, "one RAM word per vector");
  });
});

qemuTest("host port: INTx levels from the intercepted IOAPIC input", async () => {
  await withQemu({}, ({ host }) => {
    const ctrl = new RawController(host);
    assertEquals(host.setupInterrupts("intx"), 1);
    const admin = ctrl.enable();
    admin.submit(identify(ctrl.buffer));
    assertEquals(host.waitForInterrupt([INTX_VECTOR], WAIT_NS), INTX_VECTOR);
    assertEquals(host.takeInterrupt(INTX_VECTOR), true, "a level stays asserted");
    host.write32(R.INTMS, 1);
    assertEquals(host.takeInterrupt(INTX_VECTOR), false, "INTMS masks vector 0");
    host.write32(R.INTMC, 1);
    assertEquals(host.takeInterrupt(INTX_VECTOR), true);
    admin.wait(); // consumes the CQE and writes the CQ head doorbell
    assertEquals(host.takeInterrupt(INTX_VECTOR), false, "caught up: deasserted");
    assert(host.counters.intxAssertions >= 2);
  });
});

qemuTest("host port: FLR resets the controller and re-applies firmware setup", async () => {
  await withQemu({}, (m) => {
    const ctrl = new RawController(m.host);
    ctrl.enable();
    assertEquals(m.host.read32(R.CSTS) & 1, 1);
    m.functionLevelReset();
    assertEquals([m.host.read32(R.CC), m.host.read32(R.CSTS)], [0, 0]);
    assertEquals(m.host.configRead(PciConfigOffset.COMMAND, 2), PciCommand.MEMORY_SPACE);
    assertEquals(m.host.configRead(PciConfigOffset.BAR0, 4), (BAR0_BASE | 0x4) >>> 0);
    const again = new RawController(m.host);
    again.enable();
    assertEquals(again.identifyController().mn.trim(), "QEMU NVMe Ctrl");
  });
});

qemuTest("host port: waits end in a timeout, sleeps let wall time pass", async () => {
  await withQemu({ maxWaitMs: 100 }, ({ host }) => {
    host.setupInterrupts("msix");
    assertEquals(host.waitForInterrupt([1], 1_000_000), WAIT_TIMEOUT);
    assertEquals(host.counters.waitTimeouts, 1);
    assertThrows(() => host.waitForInterrupt([1], Infinity), WaitForeverError);
    const t = host.now();
    host.sleep(3_000_000);
    assert(host.now() - t >= 3_000_000);
    assertThrows(() => host.sleep(-1));
  });
});
