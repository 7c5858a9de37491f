import { assertEquals, assertThrows } from "@std/assert";
import { NvmeController } from "../controller/controller.ts";
import { Machine } from "../platform/machine.ts";
import { RegisterOffset } from "../spec/registers.ts";
import { GuardedHostPort } from "./guarded_host.ts";
import { HangError } from "./property.ts";

function port(options: ConstructorParameters<typeof GuardedHostPort>[1] = {}) {
  const machine = new Machine();
  return new GuardedHostPort(machine.attach(new NvmeController()), options);
}

Deno.test("guarded host: sleeping or waiting past the deadline is a hang", () => {
  const host = port({ deadlineNs: 1e6 });
  host.sleep(5e5);
  assertThrows(() => host.sleep(1e6), HangError, "virtual time");
  const h2 = port({ deadlineNs: 1e6 });
  assertThrows(() => h2.waitForInterrupt(null, 1e9), HangError);
  assertEquals(h2.now() <= 1e6 + 1, true, "it stops at the deadline, not at the wait's end");
});

Deno.test("guarded host: too many accesses is a hang; extend moves the deadline", () => {
  const host = port({ maxAccesses: 10 });
  for (let i = 0; i < 10; i++) host.read32(RegisterOffset.VS);
  assertThrows(() => host.read32(RegisterOffset.VS), HangError, "host accesses");
  const h2 = port({ deadlineNs: 1000 });
  h2.extend(1e9);
  h2.sleep(5e8);
  assertEquals(h2.accesses > 0, true);
});

Deno.test("guarded host: an MMIO distortion rewrites or drops writes", () => {
  const machine = new Machine();
  const ctrl = new NvmeController();
  const inner = machine.attach(ctrl);
  const host = new GuardedHostPort(inner, {
    mmioWrite: (offset, value) => offset === RegisterOffset.INTMS ? null : value | 0x10,
  });
  host.write32(RegisterOffset.AQA, 0x000f_000f);
  assertEquals(inner.read32(RegisterOffset.AQA), 0x000f_001f);
  host.write32(RegisterOffset.INTMS, 1);
  assertEquals(ctrl.regs.intMask, 0, "dropped");
});
