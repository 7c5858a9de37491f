/**
 * Driver obligations: scenarios that run a driver model (ours, or `--driver ./module.ts`) against
 * the reference controller, which checks every host obligation as it goes (doorbell before RDY,
 * tail beyond the queue, CQ head past what was posted, CID reuse, bad PRPs, DMA outside mapped
 * memory, CC changes while enabled, …) and records findings. A scenario fails on any finding, on
 * an I/O error, or on data that does not read back.
 *
 * @example
 * ```ts
 * import { driverObligationCases } from "./driver_cases.ts";
 * import { createDriver } from "../driver/linux/driver.ts";
 * const cases = driverObligationCases("linux", createDriver);
 * if (!cases.every((c) => c.id.startsWith("driver."))) throw new Error();
 * ```
 *
 * @module
 */

import { NvmeController } from "../controller/controller.ts";
import type { ControllerOptions } from "../controller/options.ts";
import { Machine } from "../platform/machine.ts";
import type { HostPort } from "../platform/ports.ts";
import { RegisterOffset } from "../spec/registers.ts";
import type { DriverFactory, DriverModel } from "../driver/model.ts";
import { runWorkload, type WorkloadOptions } from "../driver/workload.ts";
import { type CaseContext, type ConformanceCase, defineCases } from "./case.ts";

/** CSTS.SHST "shutdown processing complete" (Base 2.1 §3.1.4.6). */
const SHST_COMPLETE = 2;
const SHST_SHIFT = 2;

interface Scenario {
  readonly id: string;
  readonly title: string;
  readonly section: string;
  readonly controller?: Partial<ControllerOptions>;
  readonly body: (s: ScenarioRun) => void;
}

/** What a scenario body gets: the driver on a fresh reference controller. */
interface ScenarioRun {
  readonly ctx: CaseContext;
  readonly host: HostPort;
  readonly driver: DriverModel;
  readonly machine: Machine;
  workload(o: WorkloadOptions): void;
}

function findingsText(machine: Machine): string {
  return machine.findings.all().slice(0, 3).map((f) => `${f.id} (${f.section}): ${f.message}`).join(
    "; ",
  );
}

const SCENARIOS: readonly Scenario[] = [
  {
    id: "driver.bringup.clean",
    title: "Bring-up reaches ready with I/O queues and a namespace, breaking no host rule",
    section: "Base 2.1 §3.5.1",
    body: ({ ctx, driver }) => {
      const info = driver.info!;
      if (info.ioQueues.length === 0) ctx.fail("no I/O queues after bring-up");
      if (info.namespaces.length === 0) ctx.fail("no namespace found");
    },
  },
  {
    id: "driver.io.qd1",
    title: "Reads and writes one at a time read back what was written",
    section: "NVM CS 1.1 §3.3.4",
    body: ({ workload }) => workload({ ios: 200, queueDepth: 1, seed: 1 }),
  },
  {
    id: "driver.io.qd32-contexts",
    title: "32 commands in flight from 4 submitting contexts",
    section: "Base 2.1 §3.3.1",
    body: ({ workload }) => workload({ ios: 600, queueDepth: 32, contexts: 4, seed: 2 }),
  },
  {
    id: "driver.io.wraparound",
    title: "Queues of 16 entries wrap many times without overrun",
    section: "Base 2.1 §3.3.1.5",
    controller: { mqes: 15 },
    body: ({ workload }) => workload({ ios: 500, queueDepth: 32, contexts: 2, seed: 3 }),
  },
  {
    id: "driver.io.large-transfers",
    title: "Transfers up to MDTS from buffers at odd dword offsets (PRP lists)",
    section: "Base 2.1 §4.3",
    controller: { mdts: 9 },
    body: ({ driver, workload }) => {
      // Up to the driver's own limit (≤ MDTS): a driver may choose a smaller maximum transfer.
      const ns = driver.info!.namespaces[0];
      const max = Math.floor(driver.info!.maxTransferBytes / ns.blockSize);
      for (const [blocks, offset] of [[2, 0x204], [64, 0xffc], [max, 0x10]]) {
        workload({ ios: 6, queueDepth: 2, blocks, bufferOffset: offset, seed: blocks });
      }
    },
  },
  {
    id: "driver.io.segmented",
    title: "Multi-segment buffers (page-aligned interior boundaries)",
    section: "Base 2.1 §4.3",
    body: ({ workload }) =>
      workload({ ios: 20, queueDepth: 4, blocks: 64, segments: 4, bufferOffset: 0x40, seed: 5 }),
  },
  {
    id: "driver.io.sgl-less-controller",
    title: "A controller without SGL support gets PRPs only",
    section: "Base 2.1 §4.3.2",
    controller: { sgl: "none" },
    body: ({ workload }) => workload({ ios: 20, queueDepth: 4, blocks: 128, segments: 2, seed: 6 }),
  },
  {
    id: "driver.io.doorbell-stride",
    title: "Doorbells at CAP.DSTRD = 2",
    section: "Base 2.1 §3.1.4.1",
    controller: { dstrd: 2 },
    body: ({ workload }) => workload({ ios: 100, queueDepth: 8, contexts: 2, seed: 7 }),
  },
  {
    id: "driver.shadow.polling-controller",
    title: "Shadow doorbells with a controller that polls them (EventIdx policy polling)",
    section: "Base 2.1 §5.2.5",
    controller: { eventIdxPolicy: "polling" },
    body: ({ workload }) => workload({ ios: 300, queueDepth: 8, seed: 8 }),
  },
  {
    id: "driver.reset.mid-io",
    title: "A controller reset with commands in flight, then I/O again",
    section: "Base 2.1 §3.7.2",
    body: ({ ctx, host, driver, workload }) => {
      const buf = host.allocate(4096, 4096);
      let ended = 0;
      const ns = driver.info!.namespaces[0];
      for (let i = 0; i < 4; i++) {
        driver.submit({
          opcode: 0x02,
          nsid: ns.nsid,
          cdw10: i,
          data: [{ addr: buf, length: ns.blockSize }],
        }, () => ended++);
      }
      driver.reset();
      if (ended !== 4) ctx.fail(`${4 - ended} in-flight commands never ended after reset`);
      workload({ ios: 50, queueDepth: 4, seed: 9 });
    },
  },
  {
    id: "driver.shutdown.normal",
    title: "Shutdown sets SHN=normal and waits for SHST=complete",
    section: "Base 2.1 §3.6.1",
    body: ({ ctx, host, driver, workload }) => {
      workload({ ios: 20, queueDepth: 4, seed: 10 });
      driver.shutdown();
      const shst = (host.read32(RegisterOffset.CSTS) >>> SHST_SHIFT) & 3;
      if (shst !== SHST_COMPLETE) ctx.fail(`CSTS.SHST ${shst} after shutdown, expected 2`);
    },
  },
];

/** The driver-obligation cases for driver `name` (ids `driver.<area>.<scenario>`). */
export function driverObligationCases(
  name: string,
  factory: DriverFactory,
): readonly ConformanceCase[] {
  return defineCases(SCENARIOS.map((s) => ({
    id: s.id,
    title: `${s.title} [driver ${name}]`,
    section: s.section,
    run(ctx: CaseContext): void {
      const machine = new Machine();
      const host = machine.attach(new NvmeController(s.controller ?? {}));
      let driver: DriverModel;
      try {
        driver = factory(host, {});
        driver.bringUp();
      } catch (e) {
        ctx.fail(`driver ${name} bring-up failed: ${e instanceof Error ? e.message : e}`);
      }
      const workload = (o: WorkloadOptions) => {
        const r = runWorkload(host, driver, o);
        ctx.check(r.errors === 0, `${r.errors} I/O errors (seed ${r.seed}): ${r.firstProblem}`);
        ctx.check(r.mismatches === 0, `data mismatch (seed ${r.seed}): ${r.firstProblem}`);
      };
      s.body({ ctx, host, driver, machine, workload });
      ctx.check(
        machine.findings.all().length === 0,
        `${machine.findings.all().length} host-obligation findings: ${findingsText(machine)}`,
      );
    },
  })));
}
