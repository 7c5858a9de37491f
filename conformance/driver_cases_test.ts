import { assert, assertEquals } from "@std/assert";
import { createDriver } from "../driver/linux/driver.ts";
import type { DriverFactory } from "../driver/model.ts";
import { BUILTIN_DRIVERS, resolveDriver } from "../driver/registry.ts";
import type { HostPort } from "../platform/ports.ts";
import { decodeDoorbell } from "../spec/doorbell.ts";
import { driverObligationCases } from "./driver_cases.ts";
import { probeTarget, runCase } from "./run_case.ts";
import { referenceTarget } from "./target.ts";

const target = referenceTarget();
const caps = probeTarget(target);

Deno.test("driver obligations: every scenario passes for each built-in driver", async (t) => {
  for (const name of Object.keys(BUILTIN_DRIVERS)) {
    const { factory } = await resolveDriver(name);
    for (const c of driverObligationCases(name, factory)) {
      await t.step(`${name}: ${c.id}`, () => {
        const r = runCase(target, caps, c);
        assertEquals(r.status, "pass", r.message);
      });
    }
  }
});

/** The Linux-like driver whose I/O doorbell writes (CQ heads or SQ tails) run one entry ahead. */
function doorbellAhead(isCq: boolean, extra: Record<string, unknown> = {}): DriverFactory {
  return (host, options) => {
    const proxied = new Proxy(host, {
      get(t, k) {
        if (k === "write32") {
          return (offset: number, value: number) => {
            const db = decodeDoorbell(offset, 0);
            t.write32(offset, db && db.isCq === isCq && db.qid > 0 ? value + 1 : value);
          };
        }
        const v = Reflect.get(t, k);
        return typeof v === "function" ? v.bind(t) : v;
      },
    }) as HostPort;
    return createDriver(proxied, { ...options, ...extra });
  };
}

const headAhead = doorbellAhead(true);
const tailAhead = doorbellAhead(false, { shadowDoorbells: false });

Deno.test("driver obligations: a driver breaking doorbell rules fails with the findings", () => {
  for (const [name, factory] of [["head-ahead", headAhead], ["tail-ahead", tailAhead]] as const) {
    const c = driverObligationCases(name, factory).find((x) => x.id === "driver.io.qd1")!;
    const r = runCase(target, caps, c);
    assertEquals(r.status, "fail", `${name}: ${r.message}`);
    assert(/finding|error|mismatch|stalled/i.test(r.message), r.message);
  }
});
