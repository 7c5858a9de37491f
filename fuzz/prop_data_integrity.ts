/**
 * Property `data-integrity`: sequences of Write (with and without FUA), Read, Flush, Write Zeroes,
 * Dataset Management deallocate, controller resets, normal shutdowns and power losses, issued
 * through the driver model over a small LBA range so that they overlap — every read returns what
 * the shadow model (`shadow_media.ts`) allows: the last completed write, or after a power loss the
 * durable version or one written since. Durable data is never lost or changed (Base 2.1
 * §5.1.25.1.4, §7.2 Flush, §3.6 shutdown; NVM CS 1.1 §3.3.3, §3.3.6, §3.3.8).
 *
 * After a power loss the host "reboots": a new driver instance from the same factory brings the
 * controller up again (host memory survives, as on the machine).
 *
 * Speed unit: commands — one per Write, Read, Write Zeroes, Dataset Management and Flush the case
 * issues through the block device (resets, shutdowns and power losses are not commands; the
 * bring-ups after them are timed, not counted).
 *
 * @example
 * ```ts
 * import { dataIntegrityProperty } from "./prop_data_integrity.ts";
 * import { runProperty } from "./runner.ts";
 * import { resolveDriver } from "../driver/registry.ts";
 * const driver = await resolveDriver("linux");
 * const r = runProperty(dataIntegrityProperty(), { driver }, { seed: 2, runs: 3 });
 * if (r.status !== "pass") throw new Error(`${r.error}\n${r.steps.join("\n")}`);
 * ```
 *
 * @module
 */

import fc from "fast-check";
import { BlockDevice } from "../driver/block_device.ts";
import type { DriverModel } from "../driver/model.ts";
import { fillPattern } from "../driver/workload.ts";
import {
  countCommands,
  type FuzzProperty,
  type PropertyContext,
  PropertyViolation,
  requireDriver,
} from "./property.ts";
import { ShadowMedia, ZEROES } from "./shadow_media.ts";
import { bootSim, controllerOptions, type Sim } from "./sim.ts";

/** LBAs the operations touch: few, so that they overlap. */
export const INTEGRITY_LBAS = 8;
/** Blocks per data command, at most. */
const MAX_BLOCKS = 4;
/** Virtual time one case may use. */
const CASE_BUDGET_NS = 120e9;
/**
 * CAP.MQES of the controller: queues of 16 entries. Commands here go one at a time, so a deep
 * queue adds nothing but bring-up cost (a driver sets up request slots for every entry, on every
 * bring-up after a shutdown or power loss too); a short one also wraps within a case.
 */
export const INTEGRITY_MQES = 15;

/** One operation. */
export type IntegrityOp =
  | { readonly op: "write"; readonly lba: number; readonly blocks: number; readonly fua: boolean }
  | { readonly op: "read"; readonly lba: number; readonly blocks: number }
  | { readonly op: "write-zeroes"; readonly lba: number; readonly blocks: number }
  | { readonly op: "deallocate"; readonly lba: number; readonly blocks: number }
  | { readonly op: "flush" }
  | { readonly op: "reset" }
  | { readonly op: "shutdown" }
  | { readonly op: "power-loss" };

const range = {
  lba: fc.integer({ min: 0, max: INTEGRITY_LBAS - 1 }),
  blocks: fc.integer({ min: 1, max: MAX_BLOCKS }),
};

/** Arbitrary operations, weighted towards data commands. */
export const integrityOp: fc.Arbitrary<IntegrityOp> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({ op: fc.constant("write" as const), ...range, fua: fc.boolean() }),
  },
  { weight: 6, arbitrary: fc.record({ op: fc.constant("read" as const), ...range }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant("write-zeroes" as const), ...range }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant("deallocate" as const), ...range }) },
  { weight: 2, arbitrary: fc.constant({ op: "flush" as const }) },
  { weight: 1, arbitrary: fc.constant({ op: "reset" as const }) },
  { weight: 1, arbitrary: fc.constant({ op: "shutdown" as const }) },
  { weight: 2, arbitrary: fc.constant({ op: "power-loss" as const }) },
);

/** Which operations are one NVMe command (the rest act on the controller or the machine). */
const ISSUES_COMMAND: Readonly<Record<IntegrityOp["op"], boolean>> = {
  write: true,
  read: true,
  "write-zeroes": true,
  deallocate: true,
  flush: true,
  reset: false,
  shutdown: false,
  "power-loss": false,
};

/** One operation in words. */
export function integrityOpText(o: IntegrityOp): string {
  switch (o.op) {
    case "write":
      return `write LBA ${o.lba}+${o.blocks}${o.fua ? " FUA" : ""}`;
    case "read":
    case "write-zeroes":
    case "deallocate":
      return `${o.op} LBA ${o.lba}+${o.blocks}`;
    case "flush":
      return "flush";
    case "reset":
      return "controller reset (driver.reset)";
    case "shutdown":
      return "normal shutdown, then bring-up";
    case "power-loss":
      return "power loss, then a new driver brings the controller up";
  }
}

/** Which version `data` (one block) holds among `allowed`, or null. */
function versionOf(
  data: Uint8Array,
  lba: number,
  allowed: readonly number[],
  expect: Uint8Array,
): number | null {
  for (const v of allowed) {
    if (v === ZEROES) expect.fill(0);
    else fillPattern(expect, lba, v, expect.length);
    let same = true;
    for (let i = 0; i < data.length && same; i++) same = data[i] === expect[i];
    if (same) return v;
  }
  return null;
}

/** Runs one sequence; throws on a violation. */
export function runIntegrityCase(ctx: PropertyContext, ops: readonly IntegrityOp[]): void {
  const driver = requireDriver(ctx, "data-integrity");
  const sim: Sim = bootSim(driver, {
    guard: { deadlineNs: CASE_BUDGET_NS },
    driverOptions: ctx.driverOptions,
    controller: controllerOptions({ mqes: INTEGRITY_MQES }, ctx.controller),
  });
  let model: DriverModel = sim.driver;
  let disk = new BlockDevice(sim.host, model);
  const bs = disk.blockSize;
  const media = new ShadowMedia();
  const expect = new Uint8Array(bs);
  let version = 0;
  const each = (lba: number, blocks: number, f: (l: number) => void) => {
    for (let i = 0; i < blocks; i++) f(lba + i);
  };
  for (const [i, o] of ops.entries()) {
    const step = `step ${i + 1} (${integrityOpText(o)})`;
    if (ISSUES_COMMAND[o.op]) countCommands(ctx, 1);
    switch (o.op) {
      case "write": {
        const v = ++version;
        const data = new Uint8Array(o.blocks * bs);
        // Each block carries the pattern of (its own LBA, version), as a one-block write would.
        each(
          o.lba,
          o.blocks,
          (l) => fillPattern(data.subarray((l - o.lba) * bs, (l - o.lba + 1) * bs), l, v, bs),
        );
        disk.write(o.lba, data, { fua: o.fua });
        each(o.lba, o.blocks, (l) => media.write(l, v, o.fua));
        break;
      }
      case "read": {
        const data = disk.read(o.lba, o.blocks);
        each(o.lba, o.blocks, (l) => {
          const allowed = media.allowed(l);
          const block = data.subarray((l - o.lba) * bs, (l - o.lba + 1) * bs);
          const v = versionOf(block, l, allowed, expect);
          if (v === null) {
            throw new PropertyViolation(
              `${step}: LBA ${l} holds none of the allowed versions [${allowed.join(", ")}] ` +
                `(version 0 = zeros; first bytes ${
                  [...block.subarray(0, 8)].map((b) => b.toString(16)).join(" ")
                })`,
            );
          }
          media.observe(l, v);
        });
        break;
      }
      case "write-zeroes":
        disk.writeZeroes(o.lba, o.blocks);
        each(o.lba, o.blocks, (l) => media.write(l, ZEROES, false));
        break;
      case "deallocate":
        disk.deallocate(o.lba, o.blocks);
        each(o.lba, o.blocks, (l) => media.write(l, ZEROES, false));
        break;
      case "flush":
        disk.flush();
        media.flush();
        break;
      case "reset":
        model.reset();
        break;
      case "shutdown":
        model.shutdown();
        media.flush(); // shutdown processing complete: cached data is durable (Base 2.1 §3.6.1)
        model.bringUp();
        break;
      case "power-loss":
        sim.machine.powerLoss();
        media.powerLoss();
        // The host reboots: a fresh driver instance, host memory as it was.
        model = driver.factory(sim.host, ctx.driverOptions ?? {});
        model.bringUp();
        break;
    }
    if (o.op === "reset" || o.op === "shutdown" || o.op === "power-loss") {
      disk.close();
      disk = new BlockDevice(sim.host, model);
    }
  }
  sim.assertNoFindings("data integrity");
}

/** The property. */
export function dataIntegrityProperty(): FuzzProperty {
  return {
    name: "data-integrity",
    description: "writes (FUA or not), reads, flushes, write zeroes, deallocates, resets, " +
      "shutdowns and power losses over overlapping LBAs: every read returns what a volatile-cache " +
      "shadow model allows; durable data is never lost or changed",
    section: "Base 2.1 §5.1.25.1.4, §7.2, §3.6; NVM CS 1.1 §3.3.3, §3.3.6, §3.3.8",
    usesDriver: true,
    defaultRuns: 1000,
    property: (ctx) =>
      fc.property(
        fc.array(integrityOp, { minLength: 1, maxLength: 30, size: "medium" }),
        (ops) => runIntegrityCase(ctx, ops),
      ),
    steps: ([ops]) => (ops as IntegrityOp[]).map(integrityOpText),
  };
}
