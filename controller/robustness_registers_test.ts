// "The controller survives every input" (issue #3), register half: arbitrary register writes keep
// the controller legal (R0–R7, defined in _robustness_register_property.ts), plus reproductions
// of the controller bugs that property found (ignored while listed in KNOWN_CONTROLLER_BUGS).
//
// Seeds: the property runs with a fixed seed (reproducible CI) which fast-check prints with the
// shrunk counterexample on failure. Set NVME_FUZZ_SEED=<n> (with --allow-env) to explore others.

import { assertEquals } from "@std/assert";
import fc from "fast-check";
import { RegisterOffset as R } from "../spec/registers.ts";
import { CAP_TO_NS, registerProperty } from "./_robustness_register_property.ts";
import {
  boundedSleep,
  Budget,
  CSTS_CFS,
  CSTS_RDY,
  KNOWN_CONTROLLER_BUGS,
  makeRig,
  REGISTER_RUNS,
  SEED,
  shst,
  TIME_LIMIT_MS,
} from "./_robustness_test_helpers.ts";

Deno.test("robustness: arbitrary register writes keep the controller legal (R0–R7)", () => {
  fc.assert(registerProperty(), {
    seed: SEED,
    numRuns: REGISTER_RUNS,
    interruptAfterTimeLimit: TIME_LIMIT_MS,
  });
});

// =============================================================================================
// Known controller bugs found by the register property (reproductions; ignored while listed)
// =============================================================================================

Deno.test({
  name: "known bug: CSTS.CFS survives a reset when the host re-enables as soon as RDY reads 0",
  ignore: KNOWN_CONTROLLER_BUGS.has("csts-not-cleared-by-quick-reenable"),
  fn() {
    const { machine, host } = makeRig(undefined, false);
    const budget = new Budget();
    host.write32(R.AQA, 0); // invalid admin queue sizes: the enable is refused (CFS)
    host.write32(R.CC, 0x00460001);
    boundedSleep(machine, host, 10_000, budget);
    assertEquals(host.read32(R.CSTS) & (CSTS_RDY | CSTS_CFS), CSTS_CFS);
    host.write32(R.CC, 0x00460000); // reset: RDY is already 0, which is what the host waits for
    assertEquals(host.read32(R.CSTS) & CSTS_RDY, 0);
    host.write32(R.AQA, 0x001f001f);
    host.write32(R.CC, 0x00460001); // a valid enable
    boundedSleep(machine, host, CAP_TO_NS, budget);
    assertEquals(host.read32(R.CSTS) & (CSTS_RDY | CSTS_CFS), CSTS_RDY);
  },
});

Deno.test({
  name: "known bug: a shutdown in progress at a controller reset completes after the reset",
  ignore: KNOWN_CONTROLLER_BUGS.has("stale-shutdown-complete-after-reset"),
  fn() {
    const { machine, host } = makeRig(undefined, true);
    const budget = new Budget();
    host.write32(R.CC, 0x00464001); // SHN = normal: SHST = 01b (occurring)
    host.write32(R.CC, 0x00460000); // controller reset
    for (let i = 0; i < 1000 && host.read32(R.CSTS) & CSTS_RDY; i++) {
      boundedSleep(machine, host, 10_000, budget);
    }
    boundedSleep(machine, host, CAP_TO_NS, budget);
    assertEquals(shst(host.read32(R.CSTS)), 0, "SHST after a completed reset");
    host.write32(R.CC, 0x00460001);
    boundedSleep(machine, host, CAP_TO_NS, budget);
    assertEquals(host.read32(R.CSTS), CSTS_RDY, "a freshly enabled controller reports SHST 00b");
  },
});
