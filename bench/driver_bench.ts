/**
 * `deno bench` of the whole in-process path through a driver model: block-layer style submission
 * into the Linux-like (and, when it loads, the SPDK-like) driver, the driver's SQE build, PRP
 * mapping and doorbell, the scheduler running the reference controller (fetch, PRP walk, media,
 * DMA, CQE post, interrupt), and the driver's completion path back to a callback. No cost model
 * is charged: this measures the harness itself.
 *
 * Each iteration is {@linkcode BATCH} commands, so **commands/s = 1000 × 10⁹ / (ns per
 * iteration)**; the 4 KiB memcpy baseline (×1000) is in the same group, so `deno bench` prints
 * each case as a multiple of one memcpy — the goal is a few memcpys per command. A summary with
 * commands/s and the ratio is printed once when the file loads:
 *
 * ```sh
 * deno bench --allow-read bench/driver_bench.ts
 * ```
 *
 * @module
 */

import { NvmeController } from "../controller/controller.ts";
import type { DriverCompletion, DriverFactory, DriverModel } from "../driver/model.ts";
import { resolveDriver } from "../driver/registry.ts";
import { Machine } from "../platform/machine.ts";
import { NvmOpcode } from "../spec/opcodes.ts";
import { BATCH, benchMemcpyBaseline, formatRate, memcpyNs, timePerCall } from "./_bench_timing.ts";

export { BATCH };

const IO_BYTES = 4096;
/** LBA span the reads cycle over, in 4 KiB units (1 MiB). */
const SPAN_UNITS = 256;
const WAIT_NS = 1e9;
const GROUP = "driver round trip ×1000";

/** One machine, controller and brought-up driver, reused by every iteration of a case. */
class DriverRig {
  readonly machine = new Machine();
  readonly driver: DriverModel;
  readonly #buffers: number[] = [];
  readonly #blocks: number;
  readonly #nsid: number;
  readonly #polled: boolean;
  #lba = 0;
  #done = 0;
  readonly #callback = (c: DriverCompletion) => {
    if (c.status !== 0 || c.hostError) throw new Error(`bench command failed: ${c.status}`);
    this.#done++;
  };

  constructor(factory: DriverFactory, options: Record<string, unknown>, polled: boolean) {
    const host = this.machine.attach(new NvmeController());
    this.driver = factory(host, options);
    const ns = this.driver.bringUp().namespaces[0];
    this.#blocks = IO_BYTES / ns.blockSize;
    this.#nsid = ns.nsid;
    this.#polled = polled;
    for (let i = 0; i < 128; i++) this.#buffers.push(host.allocate(IO_BYTES, IO_BYTES));
  }

  /** Runs `count` commands of `opcode` with `qd` in flight, then drains. */
  run(opcode: number, qd: number, count: number): void {
    const d = this.driver;
    this.#done = 0;
    let submitted = 0;
    while (this.#done < count) {
      while (submitted - this.#done < qd && submitted < count) {
        const data = opcode === NvmOpcode.FLUSH
          ? undefined
          : [{ addr: this.#buffers[submitted % qd], length: IO_BYTES }];
        const cmd = {
          opcode,
          nsid: this.#nsid,
          cdw10: this.#lba,
          cdw12: this.#blocks - 1,
          data,
          polled: this.#polled,
        };
        if (!d.submit(cmd, this.#callback)) break;
        this.#lba = (this.#lba + this.#blocks) % (SPAN_UNITS * this.#blocks);
        submitted++;
      }
      d.wait(WAIT_NS);
    }
  }
}

interface Case {
  readonly name: string;
  readonly rig: DriverRig;
  readonly opcode: number;
  readonly qd: number;
}

const linux = (await resolveDriver("linux")).factory;
const cases: Case[] = [];
const linuxIrq = new DriverRig(linux, { cpus: 1 }, false);
const linuxPoll = new DriverRig(linux, { cpus: 1, pollQueues: 1 }, true);
cases.push(
  { name: "linux interrupt 4 KiB read, QD1", rig: linuxIrq, opcode: NvmOpcode.READ, qd: 1 },
  { name: "linux interrupt 4 KiB read, QD32", rig: linuxIrq, opcode: NvmOpcode.READ, qd: 32 },
  { name: "linux polled 4 KiB read, QD1", rig: linuxPoll, opcode: NvmOpcode.READ, qd: 1 },
  { name: "linux polled 4 KiB read, QD32", rig: linuxPoll, opcode: NvmOpcode.READ, qd: 32 },
  { name: "linux interrupt Flush, QD32", rig: linuxIrq, opcode: NvmOpcode.FLUSH, qd: 32 },
);
try {
  const spdk = new DriverRig((await resolveDriver("spdk")).factory, { ioQueues: 1 }, true);
  cases.push(
    { name: "spdk polled 4 KiB read, QD1", rig: spdk, opcode: NvmOpcode.READ, qd: 1 },
    { name: "spdk polled 4 KiB read, QD32", rig: spdk, opcode: NvmOpcode.READ, qd: 32 },
  );
} catch (e) {
  console.log(`spdk driver skipped: ${e instanceof Error ? e.message.split("\n")[0] : e}`);
}

benchMemcpyBaseline(GROUP);
for (const c of cases) {
  Deno.bench({
    name: `${c.name} ×1000`,
    group: GROUP,
    fn: () => c.rig.run(c.opcode, c.qd, BATCH),
  });
}

function summary(): void {
  const measured = cases.map((c) => ({
    name: c.name,
    perCmd: timePerCall(() => c.rig.run(c.opcode, c.qd, BATCH)) / BATCH,
  }));
  const copy = memcpyNs();
  const lines = [`summary (${BATCH} per batch):`];
  lines.push(
    `  memcpy 4 KiB                         ${formatRate(1e9 / copy).padStart(12)} copies/s`,
  );
  for (const m of measured) {
    lines.push(
      `  ${m.name.padEnd(35)}  ${formatRate(1e9 / m.perCmd).padStart(12)} commands/s` +
        `  (${(m.perCmd / copy).toFixed(1)}× a 4 KiB memcpy)`,
    );
  }
  console.log(lines.join("\n"));
}

summary();
