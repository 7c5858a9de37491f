import { assert, assertEquals, assertNotEquals } from "@std/assert";
import { createDriver } from "../driver/linux/driver.ts";
import type { DriverCompletion } from "../driver/model.ts";
import { RegisterOffset } from "../spec/registers.ts";
import { Status } from "../spec/status.ts";
import { type HostileAction, HostileDevice } from "./hostile_device.ts";
import { bootSim, type Sim } from "./sim.ts";

const CSTS_CFS = 2;

function hostileSim(actions: HostileAction[]): { sim: Sim; device: HostileDevice } {
  let device: HostileDevice | null = null;
  const sim = bootSim({ name: "linux", factory: createDriver }, {
    controller: { shadowDoorbells: false },
    wrap: (ctrl) => (device = new HostileDevice(ctrl, actions)),
  });
  return { sim, device: device! };
}

/** Submits a one-block write of LBA `lba`; returns a getter for its completion. */
function write(sim: Sim, lba: number): () => DriverCompletion | null {
  const buf = sim.host.allocate(512, 4096);
  let done: DriverCompletion | null = null;
  const ns = sim.driver.info!.namespaces[0];
  const ok = sim.driver.submit(
    { opcode: 0x01, nsid: ns.nsid, cdw10: lba, data: [{ addr: buf, length: 512 }] },
    (c) => (done = { ...c }),
  );
  assert(ok);
  return () => done;
}

function waitFor(sim: Sim, get: () => DriverCompletion | null): DriverCompletion {
  while (get() === null) sim.driver.wait(1e9);
  return get()!;
}

Deno.test("hostile device: an error status with DNR reaches the driver's caller", () => {
  const { sim, device } = hostileSim([{
    kind: "error-status",
    at: 0,
    status: Status.INTERNAL_ERROR,
    dnr: true,
  }]);
  const c = waitFor(sim, write(sim, 0));
  assertEquals([c.status, c.dnr], [Status.INTERNAL_ERROR, true]);
  assertEquals(device.fired.length, 1);
  assertEquals(waitFor(sim, write(sim, 1)).status, 0, "the next completion is untouched");
});

Deno.test("hostile device: a completion with an unknown CID loses the real one", () => {
  const { sim, device } = hostileSim([{ kind: "unknown-cid", at: 0 }]);
  const c = waitFor(sim, write(sim, 0));
  assertNotEquals(c.hostError, null, "the driver gave up on the command (timeout → recovery)");
  assert(sim.host.now() > 1e9, "only after its command timeout");
  assert(device.fired[0].includes("unknown CID"));
});

Deno.test("hostile device: a dropped SQ doorbell is covered by the next one", () => {
  const { sim, device } = hostileSim([{ kind: "drop-doorbell", at: 0 }]);
  const first = write(sim, 0);
  sim.driver.wait(1e6);
  assertEquals(first(), null, "not fetched: its doorbell was lost");
  const second = write(sim, 1);
  assertEquals(waitFor(sim, first).status, 0);
  assertEquals(waitFor(sim, second).status, 0);
  assertEquals(device.fired.length, 1);
});

Deno.test("hostile device: a delayed doorbell delays the command", () => {
  const { sim } = hostileSim([{ kind: "delay-doorbell", at: 0, ns: 5e6 }]);
  const start = sim.host.now();
  const c = waitFor(sim, write(sim, 0));
  assertEquals(c.status, 0);
  assert(sim.host.now() - start >= 5e6, "completed only after the delay");
});

Deno.test("hostile device: CFS until the host clears CC.EN, then it behaves", () => {
  const { sim, device } = hostileSim([{ kind: "cfs", at: 0 }]);
  const get = write(sim, 0);
  sim.driver.wait(1e6);
  assert(device.fatal);
  assertEquals(sim.host.read32(RegisterOffset.CSTS) & CSTS_CFS, CSTS_CFS);
  const c = waitFor(sim, get);
  assertNotEquals(c.hostError, null);
  assertEquals(device.fatal, false, "the driver's reset cleared it");
  assertEquals(waitFor(sim, write(sim, 1)).status, 0);
});
