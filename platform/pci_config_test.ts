import { assertEquals } from "@std/assert";
import { ToyDevice } from "./_toy_device_test_helpers.ts";
import { Machine } from "./machine.ts";
import {
  findCapability,
  MsixCapability,
  PciCapabilityId,
  PciCommand,
  PciConfigOffset,
  PcieCapability,
} from "./pci_config.ts";

function setup(options: ConstructorParameters<typeof ToyDevice>[0] = {}) {
  const m = new Machine();
  const dev = new ToyDevice(options);
  const host = m.attach(dev);
  return { m, dev, host };
}

Deno.test("PCI configuration space", async (t) => {
  await t.step("identity registers and class code 01/08/02", () => {
    const { host } = setup();
    assertEquals(host.configRead(PciConfigOffset.VENDOR_ID, 4), 0x00101b36);
    assertEquals(host.configRead(PciConfigOffset.REVISION_ID, 4), 0x01080202);
    assertEquals(host.configRead(PciConfigOffset.SUBSYSTEM_VENDOR_ID, 2), 0x1af4);
    assertEquals(host.configRead(PciConfigOffset.INTERRUPT_PIN, 1), 1);
    host.configWrite(PciConfigOffset.VENDOR_ID, 2, 0x1234);
    assertEquals(host.configRead(PciConfigOffset.VENDOR_ID, 2), 0x1b36);
  });

  await t.step("BAR0 is a 64-bit memory BAR with sizing readback", () => {
    const { host, m } = setup();
    assertEquals(m.slot(0).config.bar0Address, 0xe0000000);
    host.configWrite(PciConfigOffset.BAR0, 4, 0xffffffff);
    host.configWrite(PciConfigOffset.BAR1, 4, 0xffffffff);
    assertEquals(host.configRead(PciConfigOffset.BAR0, 4), 0xffffc004);
    assertEquals(host.configRead(PciConfigOffset.BAR1, 4), 0xffffffff);
    host.configWrite(PciConfigOffset.BAR0, 4, 0xfebf0000);
    host.configWrite(PciConfigOffset.BAR1, 4, 0x1);
    assertEquals(m.slot(0).config.bar0Address, 0x1_febf_0000);
  });

  await t.step("Command: memory space on by firmware, bus master off; writable bits only", () => {
    const { host } = setup();
    assertEquals(host.configRead(PciConfigOffset.COMMAND, 2), PciCommand.MEMORY_SPACE);
    host.configWrite(PciConfigOffset.COMMAND, 2, 0xffff);
    assertEquals(host.configRead(PciConfigOffset.COMMAND, 2), 0x0546);
    assertEquals(host.configRead(PciConfigOffset.STATUS, 2) & 0x10, 0x10);
  });

  await t.step("capability list: MSI-X then PCI Express", () => {
    const { host } = setup({ msixVectors: 9 });
    const read = (o: number, s: 1 | 2 | 4) => host.configRead(o, s);
    const msix = findCapability(read, PciCapabilityId.MSIX);
    assertEquals(msix, MsixCapability.OFFSET);
    assertEquals(host.configRead(msix + MsixCapability.CONTROL, 2), 8);
    assertEquals(host.configRead(msix + MsixCapability.TABLE, 4), 0x2000);
    assertEquals(host.configRead(msix + MsixCapability.PBA, 4), 0x3000);
    assertEquals(findCapability(read, PciCapabilityId.PCI_EXPRESS), PcieCapability.OFFSET);
    assertEquals(findCapability(read, PciCapabilityId.MSI), 0);
    // Table size is read-only; enable and function mask are writable.
    host.configWrite(msix + MsixCapability.CONTROL, 2, 0xffff);
    assertEquals(host.configRead(msix + MsixCapability.CONTROL, 2), 0xc008);
  });

  await t.step("Initiate FLR resets the function and its config state", () => {
    const { host, dev, m } = setup();
    host.configWrite(PciConfigOffset.COMMAND, 2, PciCommand.MEMORY_SPACE | PciCommand.BUS_MASTER);
    host.setupInterrupts("msix");
    host.write32(0x1c, 0); // schedule work that the reset must cancel
    const devctl = PcieCapability.OFFSET + PcieCapability.DEVICE_CONTROL;
    host.configWrite(devctl, 2, PcieCapability.DEVCTL_INITIATE_FLR);
    assertEquals(dev.resets, ["flr"]);
    assertEquals(host.configRead(devctl, 2), 0);
    assertEquals(m.scheduler.isIdle, true);
    assertEquals(m.slot(0).msix.enabled, false);
    assertEquals(host.configRead(PciConfigOffset.COMMAND, 2), PciCommand.MEMORY_SPACE);
  });

  await t.step("misaligned or out-of-range config accesses are host findings", () => {
    const { host, m } = setup();
    assertEquals(host.configRead(0x3, 2), 0xffff);
    host.configWrite(0x1000, 4, 0);
    assertEquals(m.findings.filter().map((f) => f.id), ["pci.config_align", "pci.config_range"]);
    assertEquals(m.findings.all()[0].side, "host");
  });
});
