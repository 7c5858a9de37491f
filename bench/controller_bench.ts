/**
 * `deno bench` of the in-process round trip: host writes an SQE and rings the doorbell, the
 * scheduler runs the controller (fetch, PRP walk, media read, DMA to host memory, CQE post), the
 * host polls the CQE and releases it. One polled I/O queue pair of depth 128 (bench/_bench_host.ts);
 * at queue depth n the host cycles n tags, each with its own 4 KiB buffer, while the reads walk a
 * 1 MiB span of the namespace.
 *
 * Each bench iteration is a batch of {@linkcode BATCH} commands, so per-iteration overhead is
 * negligible and **commands/s = 1000 × 10⁹ / (ns per iteration)**. The 4 KiB memcpy baseline
 * (`Uint8Array.prototype.set` of 4096 bytes, also ×1000 per iteration) runs in the same group, so
 * deno prints each case's cost as a multiple of one memcpy. A short summary with commands/s and
 * MMIO writes per command is printed once when the file loads (median of nine windows after a
 * 1.5 s warm-up, see `_bench_timing.ts`). Run it through the task, which also raises V8's
 * cumulative inlining budget (`--max-inlined-bytecode-size-cumulative=3000`): the round trip is
 * ~50 small functions, and with the default budget V8 stops inlining them about a fifth slower.
 *
 * ```sh
 * deno task bench bench/controller_bench.ts
 * ```
 *
 * @module
 */

import { BenchRig } from "./_bench_host.ts";
import { BATCH, benchMemcpyBaseline, formatRate, memcpyNs, timePerCall } from "./_bench_timing.ts";

export { BATCH };

const GROUP = "round trip ×1000";
const rig = new BenchRig({ depth: 128 });

const CASES = [
  { name: "4 KiB read, QD1", kind: "read", qd: 1 },
  { name: "4 KiB read, QD32", kind: "read", qd: 32 },
  { name: "Flush, QD1", kind: "flush", qd: 1 },
  { name: "Flush, QD32", kind: "flush", qd: 32 },
] as const;

benchMemcpyBaseline(GROUP);

for (const c of CASES) {
  Deno.bench({
    name: `${c.name} ×1000`,
    group: GROUP,
    fn: () => rig.run(c.kind, c.qd, BATCH),
  });
}

function summary(): void {
  const measured = CASES.map((c) => {
    const before = rig.machine.counters.snapshot();
    const perCmd = timePerCall(() => rig.run(c.kind, c.qd, BATCH)) / BATCH;
    const after = rig.machine.counters.snapshot();
    const mmio = (after.mmioWrites - before.mmioWrites) / (after.ioCommands - before.ioCommands);
    return { name: c.name, perCmd, mmio };
  });
  const copy = memcpyNs();
  const lines = [`summary (${BATCH} per batch; commands/s = ${BATCH} / time per batch):`];
  lines.push(`  memcpy 4 KiB                ${formatRate(1e9 / copy).padStart(12)} copies/s`);
  for (const m of measured) {
    lines.push(
      `  ${m.name.padEnd(26)}  ${formatRate(1e9 / m.perCmd).padStart(12)} commands/s` +
        `  (${(m.perCmd / copy).toFixed(1)}× a 4 KiB memcpy, ${
          m.mmio.toFixed(3)
        } MMIO writes/command)`,
    );
  }
  console.log(lines.join("\n"));
}

summary();
