import { assertEquals, assertThrows } from "@std/assert";
import { DriverError } from "../model.ts";
import {
  assertNoFindings,
  defineDriverScenarios,
  setup,
} from "../spdk/_driver_scenarios_test_helpers.ts";
import { createDriver, MinimalDriver } from "./minimal_driver.ts";

// The same scenarios as the SPDK-like driver, where the minimal driver's features allow: one I/O
// queue (contexts all map to it), 4 KiB pages only, and it resets by itself on a timeout.
defineDriverScenarios({
  name: "minimal",
  factory: createDriver,
  ioOptions: (depth) => ({ queueDepth: depth + 1 }), // depth - 1 commands fit a queue
  timeoutOptions: (ns) => ({ timeoutNs: ns }),
  largePages: false,
  selfRecovers: true,
});

Deno.test("minimal: bad options are DriverErrors", () => {
  const { host } = setup();
  assertThrows(() => createDriver(host, { queueDepth: 1 }), DriverError, "queueDepth");
  assertThrows(() => createDriver(host, { timeoutNs: 0 }), DriverError, "timeoutNs");
  assertThrows(() => createDriver(host, { sgl: true }), DriverError, "unknown option");
});

Deno.test("minimal: one polled I/O queue of the requested depth, capped by MQES", () => {
  for (const [mqes, depth] of [[2047, 64], [15, 16]]) {
    const { host } = setup({ mqes });
    const driver = new MinimalDriver(host);
    const info = driver.bringUp();
    assertEquals(info.ioQueues, [{ qid: 1, depth, polled: true, vector: 0 }]);
    assertEquals([info.shadowDoorbells, info.sglSupported, info.pageSize], [false, false, 4096]);
    driver.shutdown();
    assertNoFindings(host);
  }
});
