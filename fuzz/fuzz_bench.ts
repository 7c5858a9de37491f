/**
 * Speed of the fuzz properties: one bench per property, each iteration a whole
 * {@linkcode runProperty} of a small fixed number of cases with a fixed seed against the
 * Linux-like driver — so every case's bring-up, generation and full checking are in the time.
 * The same seed generates the same cases every iteration, so each bench's name states the
 * commands (or checks) one iteration executes; commands/s = that count × iterations/s.
 *
 * Run it with
 *
 * ```sh
 * deno bench --allow-read fuzz/fuzz_bench.ts
 * deno bench --allow-read fuzz/fuzz_bench.ts --filter data-integrity
 * ```
 *
 * `deno task fuzz` prints the same rates (runs/s, cmds/s or checks/s) per property for a whole
 * run; this file is for comparing one change against another on the same machine.
 *
 * @module
 */

import { resolveDriver } from "../driver/registry.ts";
import { PROPERTIES } from "./properties.ts";
import { runProperty } from "./runner.ts";

/** The seed of every bench (fixed: each iteration checks the same cases). */
export const BENCH_SEED = 1;
/** Cases per iteration, per property: about 10–50 ms of work each. */
export const BENCH_RUNS: Readonly<Record<string, number>> = {
  "need-event": 500,
  "prp-builder": 50,
  "queue-wraparound": 10,
  "cc-csts": 20,
  "data-integrity": 10,
  "driver-under-preemption": 10,
  "model-commands": 10,
  "hostile-device": 5,
};

const driver = await resolveDriver("linux");

for (const p of PROPERTIES) {
  const runs = BENCH_RUNS[p.name] ?? 10;
  const once = () => runProperty(p, { driver }, { seed: BENCH_SEED, runs });
  // One run up front: the name can then state what an iteration executes (the seed fixes it).
  const probe = once();
  if (probe.status !== "pass") throw new Error(`${p.name} fails at seed ${BENCH_SEED}`);
  Deno.bench({
    name: `${p.name}: ${runs} runs, ${probe.commands} ${probe.commandUnit} per iteration`,
    fn: () => {
      once();
    },
  });
}
