import { assertEquals } from "@std/assert";
import { LATENCY_NS, REG, ToyDevice } from "./_toy_device_test_helpers.ts";
import { Machine } from "./machine.ts";
import { MsixEntry } from "./msix.ts";
import { MsixCapability, PciCommand, PciConfigOffset } from "./pci_config.ts";
import { WAIT_TIMEOUT } from "./ports.ts";

const CTRL = MsixCapability.OFFSET + MsixCapability.CONTROL;
const TABLE = 0x2000;
const PBA = 0x3000;

function setup() {
  const m = new Machine();
  const dev = new ToyDevice();
  const host = m.attach(dev, { busMaster: true });
  host.setupInterrupts("msix");
  const fire = (vector: number) => host.write32(REG.GO, vector);
  return { m, dev, host, fire };
}

Deno.test("MSI-X", async (t) => {
  await t.step("setupInterrupts programs every vector and an unmasked message arrives", () => {
    const { host, fire } = setup();
    assertEquals(host.read32(TABLE + 16 * 2 + MsixEntry.DATA), 2);
    assertEquals(host.read32(TABLE + 16 * 2 + MsixEntry.ADDRESS_LO), 0xfee00000);
    fire(2);
    assertEquals(host.waitForInterrupt([0, 1], 5 * LATENCY_NS), WAIT_TIMEOUT);
    assertEquals(host.takeInterrupt(2), true);
    assertEquals(host.takeInterrupt(2), false);
  });

  await t.step("a masked vector sets its pending bit and delivers on unmask", () => {
    const { host, fire, m } = setup();
    host.write32(TABLE + 16 * 1 + MsixEntry.VECTOR_CONTROL, MsixEntry.MASK_BIT);
    fire(1);
    host.sleep(2 * LATENCY_NS);
    assertEquals(host.read32(PBA), 0b10);
    assertEquals(host.takeInterrupt(1), false);
    assertEquals(m.counters.interruptsMasked, 1);
    host.write32(TABLE + 16 * 1 + MsixEntry.VECTOR_CONTROL, 0);
    assertEquals(host.read32(PBA), 0);
    assertEquals(host.waitForInterrupt([1], 0), 1);
    assertEquals(m.counters.interruptsDelivered, 1);
  });

  await t.step("the function mask holds every vector pending until cleared", () => {
    const { host, fire } = setup();
    host.configWrite(CTRL, 2, MsixCapability.CONTROL_ENABLE | MsixCapability.CONTROL_FUNCTION_MASK);
    fire(0);
    fire(3);
    host.sleep(2 * LATENCY_NS);
    assertEquals(host.read32(PBA), 0b1001);
    host.configWrite(CTRL, 2, MsixCapability.CONTROL_ENABLE);
    assertEquals(host.read32(PBA), 0);
    assertEquals(host.waitForInterrupt(null, 0), 0);
    assertEquals(host.waitForInterrupt(null, 0), 3);
  });

  await t.step("the PBA is read-only (write ignored, warning recorded)", () => {
    const { host, m } = setup();
    host.write32(PBA, 0xffffffff);
    assertEquals(host.read32(PBA), 0);
    assertEquals(m.findings.filter({ id: "msix.pba_write" }).length, 1);
    assertEquals(m.findings.all()[0].severity, "warning");
  });

  await t.step("a message to a RAM address also writes the data word there", () => {
    const { host, fire } = setup();
    const word = host.allocate(64);
    host.write32(TABLE + MsixEntry.ADDRESS_LO, word);
    host.write32(TABLE + MsixEntry.ADDRESS_HI, Math.floor(word / 2 ** 32));
    host.write32(TABLE + MsixEntry.DATA, 0xcafe);
    fire(0);
    assertEquals(host.waitForInterrupt([0], 10 * LATENCY_NS), 0);
    assertEquals(host.memReadU32(word), 0xcafe);
  });

  await t.step(
    "no message without Bus Master Enable; MSI-X disabled or bad vector are device findings",
    () => {
      const { host, m, dev } = setup();
      host.configWrite(
        PciConfigOffset.COMMAND,
        2,
        PciCommand.MEMORY_SPACE | PciCommand.INTX_DISABLE,
      );
      dev.port.msixNotify(0);
      assertEquals(host.takeInterrupt(0), false);
      assertEquals(m.findings.has("msix.bus_master"), true);
      dev.port.msixNotify(4);
      assertEquals(m.findings.filter({ id: "msix.vector_range" })[0].side, "device");
      host.configWrite(CTRL, 2, 0);
      dev.port.msixNotify(0);
      assertEquals(m.findings.has("msix.disabled"), true);
    },
  );
});

Deno.test("INTx", async (t) => {
  await t.step(
    "level-triggered pin used when MSI-X is disabled, gated by Interrupt Disable",
    () => {
      const m = new Machine();
      const dev = new ToyDevice();
      const host = m.attach(dev, { busMaster: true });
      assertEquals(host.setupInterrupts("intx"), 1);
      const INTX = 0x10000;
      host.write32(REG.GO, 0);
      assertEquals(host.waitForInterrupt([INTX], 10 * LATENCY_NS), INTX);
      assertEquals(host.configRead(PciConfigOffset.STATUS, 2) & 0x8, 0x8);
      // A level stays asserted until the device lowers it.
      assertEquals(host.waitForInterrupt([INTX], 0), INTX);
      host.configWrite(PciConfigOffset.COMMAND, 2, 0x406);
      assertEquals(host.waitForInterrupt([INTX], 0), -1);
      assertEquals(host.configRead(PciConfigOffset.STATUS, 2) & 0x8, 0x8);
      host.configWrite(PciConfigOffset.COMMAND, 2, 0x6);
      host.write32(REG.INTXACK, 1);
      assertEquals(host.waitForInterrupt([INTX], 0), -1);
      assertEquals(m.counters.intxAssertions, 2);
      assertEquals(m.counters.wakeups, 2);
    },
  );

  await t.step("asserting INTx while MSI-X is enabled is a device finding", () => {
    const m = new Machine();
    const dev = new ToyDevice();
    const host = m.attach(dev, { busMaster: true });
    host.setupInterrupts("msix");
    dev.port.setIntx(true);
    assertEquals(m.slot(0).intx.level, false);
    assertEquals(m.findings.filter({ id: "intx.msix_enabled" }).length, 1);
  });
});
