import { assertEquals } from "@std/assert";
import { NvmeController } from "../controller/controller.ts";
import { Machine } from "../platform/machine.ts";
import { PciCommand, PciConfigOffset } from "../platform/pci_config.ts";
import { RegisterOffset } from "../spec/registers.ts";
import { DEFAULT_COST_MODEL, parseCostOverrides } from "./cost_model.ts";
import { ChargingHostPort } from "./sweep_host.ts";

const { CC, CSTS, ASQ } = RegisterOffset;

function rig(costs: string[] = []) {
  const machine = new Machine();
  const cost = parseCostOverrides(costs);
  const host = new ChargingHostPort(machine.attach(new NvmeController()), machine, cost);
  return { machine, host, cost };
}

Deno.test("nothing is charged until charging is switched on", () => {
  const { host } = rig();
  const t = host.now();
  host.read32(CSTS);
  host.write32(CC, 0);
  assertEquals(host.now(), t);
  assertEquals(host.mmioAccesses, 0);
  assertEquals(host.chargedNs, 0);
});

Deno.test("each MMIO access is one exit of mmioExitNs; memory accesses are free", () => {
  const { host, cost } = rig(["mmioExitNs=700"]);
  host.charging = true;
  const t = host.now();
  host.read32(CSTS);
  host.read64(0);
  host.mmioRead(CSTS, 4);
  const buf = host.allocate(4096);
  host.memWriteU32(buf, 1);
  host.memReadU32(buf);
  assertEquals(host.mmioAccesses, 3);
  assertEquals(host.now() - t, 3 * cost.mmioExitNs);
  assertEquals(host.chargedNs, 3 * 700);
  host.charge(50);
  assertEquals(host.now() - t, 3 * 700 + 50);
});

Deno.test("each MMIO write, of any width, is one exit too", () => {
  const { host, cost } = rig();
  host.charging = true;
  const t = host.now();
  host.write32(CC, 0);
  host.write64(ASQ, 0);
  host.mmioWrite(CC, 4, 0);
  assertEquals(host.mmioAccesses, 3);
  assertEquals(host.now() - t, 3 * cost.mmioExitNs);
});

Deno.test("an MMIO write takes effect when its exit ends", () => {
  // The write to a register lands after the exit: the counters see it only then, so the
  // device cannot react to a doorbell during the exit that carries it.
  const { host, machine } = rig();
  host.charging = true;
  let seenAt = -1;
  const before = machine.counters.otherRegisterWrites;
  machine.scheduler.schedule(DEFAULT_COST_MODEL.mmioExitNs / 2, () => {
    if (machine.counters.otherRegisterWrites === before) seenAt = machine.scheduler.now;
  });
  host.write32(CC, 0);
  assertEquals(seenAt, DEFAULT_COST_MODEL.mmioExitNs / 2, "mid-exit the write had not landed");
  assertEquals(machine.counters.otherRegisterWrites, before + 1);
});

Deno.test("interrupts: taking one costs interruptNs, a wake-up adds wakeupNs", () => {
  const { host, machine, cost } = rig();
  host.configWrite(PciConfigOffset.COMMAND, 2, PciCommand.MEMORY_SPACE | PciCommand.BUS_MASTER);
  host.setupInterrupts("msix");
  const slot = machine.devicePort(0);
  host.charging = true;
  slot.msixNotify(3);
  let t = host.now();
  assertEquals(host.takeInterrupt(3), true);
  assertEquals(host.now() - t, cost.interruptNs);
  assertEquals(host.takeInterrupt(3), false, "nothing pending: no charge");
  assertEquals(host.now() - t, cost.interruptNs);
  machine.scheduler.schedule(1000, () => slot.msixNotify(3));
  t = host.now();
  assertEquals(host.waitForInterrupt([3], 1e6), 3);
  assertEquals(host.now() - t, 1000 + cost.interruptNs + cost.wakeupNs);
  assertEquals(host.interruptsTaken, 2);
});
