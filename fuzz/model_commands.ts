/**
 * Model-based testing (`fc.commands`): random sequences of admin and I/O operations, issued
 * through the driver model under test to the reference controller on a machine with seeded
 * preemption, each checked against a small model as it runs:
 *
 * - I/O: Write (FUA or not), Read, Flush, Write Zeroes, Deallocate over a few overlapping LBAs;
 *   the model is the expected content of each block, and every read is compared with it;
 * - controller reset through the driver (data survives; queues the test created are gone);
 * - Create I/O Completion/Submission Queue and Delete I/O Submission/Completion Queue with queue
 *   identifiers in use by the driver, free, beyond the number granted, or 0, and sizes up to
 *   CAP.MQES + 2 — the model predicts success or the exact status (Invalid Queue Identifier,
 *   Invalid Queue Size; Base 2.1 §5.2.1, §5.2.2, §5.2.3, §5.2.4);
 * - Get Features Number of Queues (the grant never changes; §5.1.25.2.1) and Identify Controller
 *   (serial and model number as found at bring-up; §5.1.13.2.1).
 *
 * After every command the controller must have recorded no host-obligation finding. A
 * counterexample reads as the list of commands (fast-check prints each command's `toString`).
 *
 * Speed unit: commands — the NVMe commands the sequence issues (one per Write, Read, Write
 * Zeroes, Deallocate, Flush, Get Features and Identify; Create CQ then SQ; Delete SQ then CQ;
 * none for a reset) plus the Get Features probe of each setup; bring-up commands are not counted.
 *
 * @example
 * ```ts
 * import { modelCommandsProperty } from "./model_commands.ts";
 * import { runProperty } from "./runner.ts";
 * import { resolveDriver } from "../driver/registry.ts";
 * const driver = await resolveDriver("linux");
 * const r = runProperty(modelCommandsProperty(), { driver }, { seed: 6, runs: 3 });
 * if (r.status !== "pass") throw new Error(`${r.error}\n${r.steps.join("\n")}`);
 * ```
 *
 * @module
 */

import fc from "fast-check";
import { BlockDevice } from "../driver/block_device.ts";
import { fillPattern } from "../driver/workload.ts";
import { FeatureId } from "../spec/features.ts";
import { AdminOpcode } from "../spec/opcodes.ts";
import {
  CreateQueueCmd,
  CreateSqBadIdCmd,
  DeleteQueueCmd,
  GetQueuesCmd,
  IdentifyCmd,
  MODEL_MQES,
  NSQA_MASK,
} from "./model_admin_commands.ts";
import {
  freeQueue,
  issued,
  type Model,
  type ModelCommand,
  noFindings,
  type Real,
} from "./model_state.ts";
import {
  check,
  CommandTally,
  type FuzzProperty,
  type PropertyContext,
  requireDriver,
} from "./property.ts";
import { bootSim, controllerOptions } from "./sim.ts";
import { seed32 } from "./arbitraries.ts";

/** LBAs the I/O commands touch. */
const LBAS = 8;
const MAX_BLOCKS = 3;
/** Virtual time one sequence may use. */
const CASE_BUDGET_NS = 600e9;

class WriteCmd implements ModelCommand {
  constructor(readonly lba: number, readonly n: number, readonly fua: boolean) {}
  check(): boolean {
    return true;
  }
  run(m: Model, r: Real): void {
    const v = ++m.version;
    const bs = r.disk.blockSize;
    const data = new Uint8Array(this.n * bs);
    for (let i = 0; i < this.n; i++) {
      fillPattern(data.subarray(i * bs, (i + 1) * bs), this.lba + i, v, bs);
    }
    issued(r, 1);
    r.disk.write(this.lba, data, { fua: this.fua });
    for (let i = 0; i < this.n; i++) m.blocks.set(this.lba + i, v);
    noFindings(r, this.toString());
  }
  toString(): string {
    return `write(${this.lba}+${this.n}${this.fua ? ", FUA" : ""})`;
  }
}

class ReadCmd implements ModelCommand {
  constructor(readonly lba: number, readonly n: number) {}
  check(): boolean {
    return true;
  }
  run(m: Model, r: Real): void {
    const bs = r.disk.blockSize;
    issued(r, 1);
    const data = r.disk.read(this.lba, this.n);
    const expect = new Uint8Array(bs);
    for (let i = 0; i < this.n; i++) {
      const lba = this.lba + i;
      const v = m.blocks.get(lba) ?? 0;
      if (v === 0) expect.fill(0);
      else fillPattern(expect, lba, v, bs);
      const got = data.subarray(i * bs, (i + 1) * bs);
      const at = got.findIndex((b, k) => b !== expect[k]);
      check(at < 0, () => `${this}: LBA ${lba} byte ${at} differs from version ${v} (0 = zeros)`);
    }
    noFindings(r, this.toString());
  }
  toString(): string {
    return `read(${this.lba}+${this.n})`;
  }
}

class ZeroCmd implements ModelCommand {
  constructor(readonly lba: number, readonly n: number, readonly deallocate: boolean) {}
  check(): boolean {
    return true;
  }
  run(m: Model, r: Real): void {
    issued(r, 1);
    if (this.deallocate) r.disk.deallocate(this.lba, this.n);
    else r.disk.writeZeroes(this.lba, this.n);
    for (let i = 0; i < this.n; i++) m.blocks.set(this.lba + i, 0);
    noFindings(r, this.toString());
  }
  toString(): string {
    return `${this.deallocate ? "deallocate" : "writeZeroes"}(${this.lba}+${this.n})`;
  }
}

class FlushCmd implements ModelCommand {
  check(): boolean {
    return true;
  }
  run(_m: Model, r: Real): void {
    issued(r, 1);
    r.disk.flush();
    noFindings(r, this.toString());
  }
  toString(): string {
    return "flush()";
  }
}

class ResetCmd implements ModelCommand {
  check(): boolean {
    return true;
  }
  run(m: Model, r: Real): void {
    r.sim.driver.reset();
    // A controller reset deletes every I/O queue; the driver recreates its own.
    for (const q of m.created) freeQueue(r, q);
    m.created.clear();
    r.queueMemory.clear();
    noFindings(r, this.toString());
  }
  toString(): string {
    return "reset()";
  }
}

const lba = fc.integer({ min: 0, max: LBAS - 1 });
const n = fc.integer({ min: 1, max: MAX_BLOCKS });

/** Every command generator. */
export const commandArbitraries: fc.Arbitrary<ModelCommand>[] = [
  fc.tuple(lba, n, fc.boolean()).map(([l, k, f]) => new WriteCmd(l, k, f)),
  fc.tuple(lba, n).map(([l, k]) => new ReadCmd(l, k)),
  fc.tuple(lba, n, fc.boolean()).map(([l, k, d]) => new ZeroCmd(l, k, d)),
  fc.constant(new FlushCmd()),
  fc.constant(new ResetCmd()),
  fc.tuple(fc.nat(), fc.integer({ min: 1, max: MODEL_MQES + 2 })).map(([p, e]) =>
    new CreateQueueCmd(p, e)
  ),
  fc.nat().map((p) => new CreateSqBadIdCmd(p)),
  fc.nat().map((p) => new DeleteQueueCmd(p)),
  fc.constant(new GetQueuesCmd()),
  fc.constant(new IdentifyCmd()),
];

/** Builds the model and the system for one run. */
function setup(ctx: PropertyContext, preemptionSeed: number | null): { model: Model; real: Real } {
  const driver = requireDriver(ctx, "model-commands");
  const sim = bootSim(driver, {
    driverOptions: ctx.driverOptions,
    guard: { deadlineNs: CASE_BUDGET_NS },
    preemption: preemptionSeed === null ? undefined : { seed: preemptionSeed },
    controller: controllerOptions({ mqes: MODEL_MQES }, ctx.controller),
  });
  const disk = new BlockDevice(sim.host, sim.driver);
  const info = sim.driver.info!;
  const tally = ctx.tally ?? new CommandTally();
  tally.commands++; // the probe below
  const probe = disk.exec({
    admin: true,
    opcode: AdminOpcode.GET_FEATURES,
    cdw10: FeatureId.NUMBER_OF_QUEUES,
  });
  check(
    probe.status === 0,
    `setup: Get Features Number of Queues status 0x${probe.status.toString(16)}`,
  );
  return {
    model: {
      blocks: new Map(),
      driverQids: new Set(info.ioQueues.map((q) => q.qid)),
      created: new Set(),
      granted: (probe.dw0 & NSQA_MASK) + 1,
      version: 0,
    },
    real: {
      sim,
      disk,
      identity: { sn: info.identify.sn, mn: info.identify.mn },
      queueMemory: new Map(),
      tally,
    },
  };
}

/** The property (its counterexample is the command list). */
export function modelCommandsProperty(): FuzzProperty {
  return {
    name: "model-commands",
    description: "random admin and I/O command sequences through the driver (seeded preemption) " +
      "match a model: read data, queue create/delete statuses, Number of Queues, Identify; no " +
      "host-obligation finding",
    section: "Base 2.1 §5.2.1–§5.2.4, §5.1.25.2.1, §5.1.13; NVM CS 1.1 §3.3",
    usesDriver: true,
    defaultRuns: 1000,
    property: (ctx) =>
      fc.property(
        fc.commands(commandArbitraries, {
          maxCommands: 40,
          size: "medium",
          replayPath: ctx.replayPath,
        }),
        fc.option(seed32, { freq: 2, nil: null }),
        (cmds, seed: number | null) => fc.modelRun(() => setup(ctx, seed), cmds),
      ),
    steps: ([cmds, seed]) => [
      `machine: ${seed === null ? "no preemption" : `preemption seed ${seed}`}`,
      ...String(cmds).replace(/\/\*replayPath=.*\*\/$/, "").split(",").map((s) => s.trim())
        .filter((s) => s !== ""),
    ],
  };
}
