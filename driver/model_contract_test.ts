// The DriverModel contract (driver/model.ts) every built-in driver must keep, checked the same way
// for each: what a caller sees when it submits to a controller that is not live.

import { assert, assertEquals } from "@std/assert";
import { NvmeController } from "../controller/controller.ts";
import { Machine } from "../platform/machine.ts";
import { NvmOpcode } from "../spec/opcodes.ts";
import type { DriverCompletion, DriverModel } from "./model.ts";
import { BUILTIN_DRIVERS, resolveDriver } from "./registry.ts";

async function driverOn(name: string): Promise<DriverModel> {
  const { factory } = await resolveDriver(name);
  const host = new Machine().attach(new NvmeController());
  return factory(host);
}

/** Submits a 1-block Read and returns how it ended (null until a reap ends it). */
function submitRead(driver: DriverModel): { ended: DriverCompletion | null } {
  const out: { ended: DriverCompletion | null } = { ended: null };
  const accepted = driver.submit(
    { opcode: NvmOpcode.READ, nsid: 1, cdw10: 0, cdw12: 0 },
    (c) => (out.ended = { ...c }),
  );
  assert(accepted, "a command for a controller that is not live is accepted");
  return out;
}

for (const name of Object.keys(BUILTIN_DRIVERS)) {
  Deno.test(`${name}: submit before bring-up and after shutdown ends with host error "dead"`, async () => {
    const driver = await driverOn(name);
    for (const when of ["before bring-up", "after shutdown"]) {
      if (when === "after shutdown") {
        driver.bringUp();
        driver.shutdown();
      }
      const r = submitRead(driver);
      assertEquals(r.ended, null, `${when}: ends from a reap, not inside submit`);
      assertEquals(driver.inFlight, 1, `${when}: counted in flight until reaped`);
      driver.processCompletions();
      assertEquals(r.ended?.hostError, "dead", when);
      assertEquals(r.ended?.dnr, true, `${when}: a dead controller is not worth a retry`);
      assertEquals(driver.inFlight, 0, when);
    }
  });
}
