// `fuzz --differential qemu`: send the same generated command sequences to the reference
// controller (configured like QEMU from its CAP and Identify) and to QEMU 7.2, compare status,
// completion data and media, filter the registered deviations (fuzz/differential/deviations.ts)
// and report every other divergence shrunk to the smallest sequence. Exit 0 no unregistered
// divergence, 1 a divergence, 2 usage error or QEMU missing, 3 a side threw (QEMU died).

import {
  DEFAULT_DIFF_LENGTH,
  DEFAULT_DIFF_RUNS,
  type DifferentialReport,
  DifferentialUnavailableError,
  runDifferential,
} from "../fuzz/differential/run.ts";
import { differentialJson, differentialText } from "../fuzz/differential/report.ts";
import { parseFlags, UsageError } from "./_args.ts";
import type { CliIo } from "./_io.ts";
import { progressLine } from "./_progress.ts";

/** The targets `--differential` accepts. */
export const DIFFERENTIAL_TARGETS = ["qemu"] as const;

/** Help text for `fuzz --differential`. */
export const FUZZ_DIFFERENTIAL_HELP =
  `Differential fuzzing: the same generated command sequences go to the reference controller and
to QEMU's emulated NVMe; every difference in status, completion data or media that is not a
registered deviation is a failure, shrunk to the smallest sequence that still shows it.

Usage:
  deno task fuzz --differential qemu [options]

Options:
  --differential T  the other side: qemu (QEMU 7.2+ over qtest, one process reused across
                    sequences; the reference is configured from its CAP and Identify)
  --runs N          sequences to generate (default ${DEFAULT_DIFF_RUNS}, about 70 s against
                    QEMU 7.2 on two cores)
  --seed S          fast-check seed, an integer 0..2147483647 (default: random, printed first)
  --length N        commands per sequence at most (default ${DEFAULT_DIFF_LENGTH})
  --time-limit SEC  stop generating after SEC seconds (shrinking included); the run passes with
                    the sequences it ran and says so
  --path P          re-run only the case at fast-check path P (from a failure; give its --seed
                    and --length). It runs on a fresh QEMU process, while the run that found it
                    used one process warmed by every sequence before (SMART counters, Error log
                    count, Host Behavior, Timestamp are not reset between sequences): when a
                    path does not reproduce, rerun with the same --seed and --runs, no --path
  --format F        text (default) | json
  --quiet           no progress line on stderr
  -h, --help        this help

The seed comes first on stdout ("seed 1234567"), then the report: sequences, commands and
sequences/s; the registered divergences by class (QEMU deviations, differences both sides may
have, known reference-controller bugs), each with its spec section and the conformance deviation
ids registering the same behaviour; on a failure the shrunk counterexample as numbered steps with
both sides' status, its divergences, and the command that replays it.

Never generated (they hang or crash QEMU 7.2, reference/qemu-nvme.md §13): SGLs, queue or data
memory in BAR0, Doorbell Buffer Config, Format NVM, Namespace Management, AERs.

Exit codes: 0 no unregistered divergence, 1 a divergence (the counterexample is printed),
2 usage error, or QEMU missing/too old (nothing could be compared: not a finding, so not 1),
3 error: a side threw mid-run (QEMU died, a qtest error); the error and the smallest sequence
that still throws are printed, and nothing after it was compared.

Examples:
  deno task fuzz --differential qemu                        ${DEFAULT_DIFF_RUNS} sequences, random seed
  deno task fuzz --differential qemu --runs 5000 --seed 42 --length 40
  deno task fuzz --differential qemu --time-limit 60 --format json > differential.json
  deno task fuzz --differential qemu --seed 42 --path 17:3:0   replay one failure
`;

/** Largest seed (fast-check seeds are 32-bit signed; keep them non-negative). */
const MAX_SEED = 2 ** 31 - 1;
const COMMAND = "fuzz --differential";

function integer(flag: string, value: unknown, min: number, max: number): number {
  const s = String(value);
  const n = Number(s);
  if (!/^\d+$/.test(s) || !Number.isSafeInteger(n) || n < min || n > max) {
    throw new UsageError(`${COMMAND}: --${flag} must be an integer in ${min}..${max}, got "${s}"`);
  }
  return n;
}

/** Runs `fuzz --differential`; resolves to the exit code, or to help text for stdout. */
export function runFuzzDifferential(argv: readonly string[], io: CliIo): Promise<number | string> {
  try {
    return Promise.resolve(run(argv, io));
  } catch (e) {
    return Promise.reject(e);
  }
}

function run(argv: readonly string[], io: CliIo): number | string {
  // `--differential --help` would read "--help" as the target: help wins wherever it is.
  if (argv.includes("--help") || argv.includes("-h")) return FUZZ_DIFFERENTIAL_HELP;
  const args = parseFlags(COMMAND, argv, {
    boolean: ["quiet"],
    string: ["differential", "runs", "seed", "length", "time-limit", "format", "path"],
  });
  if (args.help) return FUZZ_DIFFERENTIAL_HELP;
  if (args._.length > 0) throw new UsageError(`${COMMAND}: unexpected argument "${args._[0]}"`);
  const target = String(args.differential ?? "qemu");
  if (!(DIFFERENTIAL_TARGETS as readonly string[]).includes(target)) {
    throw new UsageError(
      `${COMMAND}: unknown target "${target}"; the only target is ${
        DIFFERENTIAL_TARGETS.join(", ")
      }`,
    );
  }
  const format = String(args.format ?? "text");
  if (format !== "text" && format !== "json") {
    throw new UsageError(`${COMMAND}: --format must be text or json, got "${format}"`);
  }
  const runs = args.runs === undefined ? DEFAULT_DIFF_RUNS : integer("runs", args.runs, 1, 1e9);
  const seed = args.seed === undefined
    ? crypto.getRandomValues(new Uint32Array(1))[0] & MAX_SEED
    : integer("seed", args.seed, 0, MAX_SEED);
  const length = args.length === undefined
    ? DEFAULT_DIFF_LENGTH
    : integer("length", args.length, 1, 10_000);
  const timeLimitMs = args["time-limit"] === undefined
    ? undefined
    : integer("time-limit", args["time-limit"], 1, 7 * 24 * 3600) * 1000;
  const path = args.path === undefined ? undefined : String(args.path);
  if (path !== undefined && !/^\d+(:\d+)*$/.test(path)) {
    throw new UsageError(
      `${COMMAND}: --path must look like 12:0:3 (from a failure), got "${path}"`,
    );
  }
  if (path !== undefined && args.seed === undefined) {
    throw new UsageError(`${COMMAND}: --path needs the --seed of the run it came from`);
  }
  io.stdout(`seed ${seed}\n`);
  const progress = progressLine(io, Boolean(args.quiet));
  let report;
  try {
    report = runDifferential({
      target: "qemu",
      runs,
      seed,
      length,
      timeLimitMs,
      path,
      onProgress: (p) =>
        progress.update(
          `[${p.sequences}/${p.runs}] differential vs ${target}: ${p.divergences} divergences`,
        ),
    });
  } catch (e) {
    progress.clear();
    if (e instanceof DifferentialUnavailableError) {
      throw new UsageError(`${COMMAND} ${target}: ${e.message}`);
    }
    throw e;
  }
  progress.clear();
  io.stdout((format === "json" ? differentialJson(report) : differentialText(report)) + "\n");
  return differentialExitCode(report.status);
}

/** The exit code of a run that ended with `status`: 0 pass, 1 fail, 3 error (see the help). */
export function differentialExitCode(status: DifferentialReport["status"]): number {
  return status === "pass" ? 0 : status === "fail" ? 1 : 3;
}
