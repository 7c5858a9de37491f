// `fuzz`: run the fast-check properties (fuzz/properties.ts) against a driver model and the
// reference controller; shrink failures, write replay files, replay them; or run the mutants that
// prove each property can fail. Exit 0 all passed (every mutant killed), 1 a property failed (a
// mutant survived, a replay file could not be written), 2 usage errors.

import type { ControllerOptions } from "../controller/options.ts";
import type { DriverFactory } from "../driver/model.ts";
import { BUILTIN_DRIVERS, type ResolvedDriver, resolveDriver } from "../driver/registry.ts";
import { FUZZ_MUTANTS, runMutant } from "../fuzz/mutants.ts";
import {
  PROPERTIES,
  propertyByName,
  selectProperties,
  UnknownPropertyError,
} from "../fuzz/properties.ts";
import type { FuzzProperty } from "../fuzz/property.ts";
import {
  readReplay,
  ReplayFileError,
  type ReplayRecord,
  replayRecord,
  saveReplay,
} from "../fuzz/replay.ts";
import { formatResult, propertyTable, seconds, summaryLine } from "../fuzz/report_text.ts";
import { DEFAULT_RUNS, type PropertyResult, runProperty } from "../fuzz/runner.ts";
import { parseFlags, UsageError } from "./_args.ts";
import { type CliIo, processIo } from "./_io.ts";
import { eventLine, runIsolatedSession } from "../fuzz/isolated_run.ts";
import { dirname, isAbsolute, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/** The seed `--mutants` uses unless `--seed` is given. */
export const DEFAULT_MUTANT_SEED = 1;
/** Where replay files go unless `--out` says otherwise. */
export const DEFAULT_OUT_DIR = "fuzz-failures";

/** Help text for `fuzz`. */
export const FUZZ_HELP =
  `Fuzz a driver model (and the reference controller) with fast-check properties.

Usage:
  deno task fuzz [options]

Options:
  --driver D          the driver model under test (default: linux):
                        ${
    Object.keys(BUILTIN_DRIVERS).join(" | ")
  } | ./module.ts exporting createDriver(host, options?)
  --driver-options J  JSON object passed to the driver factory, e.g. '{"timeoutAction":"reset"}'
  --property P        all (default) or a comma-separated list of property names (see --list)
  --runs N            generated cases per property (default: each property's own, see --list)
  --seed S            fast-check seed, an integer 0..2147483647 (default: random, printed first)
  --time-limit SEC    wall-clock budget for the whole run; each property gets an equal share of
                      what is left (shrinking included); a property cut short passes with the
                      cases it ran and says so
  --out DIR           where failures are written as replay files (default: ./${DEFAULT_OUT_DIR})
  --replay FILE       re-run exactly the failing case recorded in FILE (its property, driver,
                      driver options, controller options, seed and path)
  --mutants           run the seeded-bug mutants instead: each must be killed by its property
                      within the mutant's budget (with --property, only mutants killed by those
                      properties; seed 1 unless --seed is given)
  --in-process        run a ./module.ts driver inside this process; by default it runs in a
                      subprocess that may only read the harness and the module's directory, so
                      a crash or a hang of the module is reported as a failure of the property
                      that was running (the session goes on with the rest)
  --hang-timeout SEC  isolated module: kill it after SEC seconds without finishing a property
                      (default 600, or the --time-limit plus 60) and report a hang
  --events            (internal) progress lines for the isolating parent process
  --list              print the properties (name, default runs, section, invariant) and exit
  -h, --help          this help

Output: the seed first ("seed 1234567"), then one line per property as it finishes,
  PASS need-event  2000 runs  Base 2.1 §5.2.8  (0.6 s)
  FAIL queue-wraparound  after 5 runs, shrunk 37 times  Base 2.1 §3.3.1  (1.7 s)
with a failure's error, its shrunk counterexample as numbered steps and the replay command
indented below, and a closing line "N passed, N failed".

Exit codes: 0 every property passed (with --mutants: every mutant was killed), 1 a property
failed (a mutant survived, or a replay file could not be written), 2 usage error.

Examples:
  deno task fuzz                                      every property, linux driver, random seed
  deno task fuzz --property need-event,prp-builder --runs 5000 --seed 42
  deno task fuzz --driver ./my_driver.ts --time-limit 120
  deno task fuzz --driver spdk --driver-options '{"timeoutAction":"reset","timeoutNs":1e9}'
  deno task fuzz --replay fuzz-failures/queue-wraparound-seed42.json
  deno task fuzz --mutants
`;

function errorText(e: unknown): string {
  return e instanceof Error ? e.message.split("\n")[0] : String(e);
}

function parseInteger(flag: string, value: unknown, min: number, max: number): number {
  const s = String(value);
  const n = Number(s);
  if (!/^-?\d+$/.test(s) || !Number.isSafeInteger(n) || n < min || n > max) {
    throw new UsageError(`fuzz: --${flag} must be an integer in ${min}..${max}, got "${s}"`);
  }
  return n;
}

function parseObject(flag: string, value: unknown): Record<string, unknown> {
  let v: unknown;
  try {
    v = JSON.parse(String(value));
  } catch (e) {
    throw new UsageError(`fuzz: --${flag} is not JSON: ${errorText(e)}`);
  }
  if (typeof v !== "object" || v === null || Array.isArray(v)) {
    throw new UsageError(`fuzz: --${flag} must be a JSON object, e.g. '{"key": 1}'`);
  }
  return v as Record<string, unknown>;
}

/** Largest seed: fast-check seeds are 32-bit signed; non-negative ones need no sign on the
 * command line (`--seed -5` would read as a flag). */
const MAX_SEED = 2 ** 31 - 1;

function randomSeed(): number {
  return crypto.getRandomValues(new Uint32Array(1))[0] & MAX_SEED;
}

async function loadDriver(spec: string): Promise<ResolvedDriver> {
  try {
    return await resolveDriver(spec);
  } catch (e) {
    throw new UsageError(`fuzz: ${errorText(e)}`);
  }
}

interface RunContext {
  readonly io: CliIo;
  readonly driverSpec: string;
  readonly driver: ResolvedDriver;
  readonly driverOptions: Readonly<Record<string, unknown>>;
  readonly controller: Readonly<Partial<ControllerOptions>>;
  readonly out: string;
  /** Print event lines for an isolating parent instead of writing replay files. */
  readonly events: boolean;
}

/** Saves a failure's replay file (or hands the record to the isolating parent). */
function saveFailure(c: RunContext, r: PropertyResult, usesDriver: boolean): boolean {
  const record = replayRecord(r, {
    driver: usesDriver ? c.driverSpec : null,
    driverOptions: c.driverOptions,
    controller: c.controller,
  });
  if (!c.events) return saveReplay(c.out, record, c.io);
  c.io.stdout(eventLine({ replay: record }));
  return true;
}

function runAll(
  c: RunContext,
  props: readonly FuzzProperty[],
  seed: number,
  runs: number | undefined,
  budgetMs: number | undefined,
): number {
  const started = performance.now();
  let passed = 0, failed = 0, writeFailed = false;
  props.forEach((p, i) => {
    const left = budgetMs === undefined
      ? undefined
      : Math.max(1, (budgetMs - (performance.now() - started)) / (props.length - i));
    if (c.events) c.io.stdout(eventLine({ start: p.name }));
    const r = runProperty(p, {
      driver: c.driver,
      driverOptions: c.driverOptions,
      controller: c.controller,
    }, { seed, runs, timeLimitMs: left });
    c.io.stdout(formatResult(r) + "\n");
    if (r.status === "pass") passed++;
    else {
      failed++;
      if (!saveFailure(c, r, p.usesDriver)) writeFailed = true;
    }
    if (c.events) c.io.stdout(eventLine({ done: { property: p.name, status: r.status } }));
  });
  if (!c.events) c.io.stdout(summaryLine(passed, failed) + "\n");
  return failed > 0 || writeFailed ? 1 : 0;
}

function runMutants(c: RunContext, props: readonly FuzzProperty[], seed: number): number {
  const names = new Set(props.map((p) => p.name));
  const mutants = FUZZ_MUTANTS.filter((m) => names.has(m.killedBy));
  if (mutants.length === 0) throw new UsageError("fuzz: no mutant is killed by those properties");
  let survived = 0;
  const w = Math.max(...mutants.map((m) => m.id.length));
  for (const m of mutants) {
    const r = runMutant(m, c.driver, { seed });
    const killed = r.status === "fail";
    if (!killed) survived++;
    c.io.stdout(
      `${killed ? "KILLED" : "ALIVE "} ${m.id.padEnd(w)}  by ${m.killedBy}  ` +
        (killed
          ? `after ${r.runs} run${
            r.runs === 1 ? "" : "s"
          }, counterexample of ${r.steps.length} step${r.steps.length === 1 ? "" : "s"} (${
            seconds(r.durationMs)
          })`
          : `survived ${r.runs} runs (${seconds(r.durationMs)})`) +
        "\n",
    );
    if (killed) c.io.stdout(`       ${r.error.slice(0, 200)}\n`);
  }
  c.io.stdout(`${mutants.length - survived} killed, ${survived} survived\n`);
  return survived > 0 ? 1 : 0;
}

function loadRecord(file: string): ReplayRecord {
  try {
    return readReplay(file);
  } catch (e) {
    if (e instanceof ReplayFileError) throw new UsageError(`fuzz: ${e.message}`);
    throw e;
  }
}

async function replay(
  io: CliIo,
  record: ReplayRecord,
  driverSpec: string,
  events: boolean,
): Promise<number> {
  const prop = propertyByName(record.property);
  if (!prop) throw new UsageError(`fuzz: unknown property "${record.property}" in the replay file`);
  let driver: { name: string; factory: DriverFactory } | undefined;
  if (prop.usesDriver) driver = await loadDriver(driverSpec);
  io.stdout(
    `replaying ${record.property} (seed ${record.seed}, path ${record.path})` +
      (prop.usesDriver ? ` with driver ${driverSpec}` : "") + "\n",
  );
  if (events) io.stdout(eventLine({ start: prop.name }));
  const r = runProperty(prop, {
    driver,
    driverOptions: record.driverOptions,
    controller: record.controller,
  }, { seed: record.seed, path: record.path, replayPath: record.replayPath ?? undefined });
  io.stdout(formatResult(r) + "\n");
  if (r.status === "pass") io.stdout("the recorded failure no longer reproduces\n");
  if (events) io.stdout(eventLine({ done: { property: prop.name, status: r.status } }));
  return r.status === "pass" ? 0 : 1;
}

/** A `--driver` value naming a module file rather than a built-in driver. */
function isModulePath(spec: string): boolean {
  return !(spec in BUILTIN_DRIVERS) && (spec.includes("/") || /\.(m?[jt]s)$/.test(spec));
}

/** The harness's root directory (where deno.json is). */
const HARNESS_ROOT = fileURLToPath(new URL("../", import.meta.url));
/** Silence after which an isolated child counts as hung, without a time limit. */
const DEFAULT_SILENCE_MS = 600_000;
/** Extra silence allowed past a time limit's share (shrinking and start-up). */
const SILENCE_MARGIN_MS = 60_000;

/** Runs a driver module's session in a subprocess (fuzz/isolated_run.ts). */
function isolated(
  io: CliIo,
  header: string,
  out: string,
  properties: readonly string[],
  extraRead: readonly string[],
  childArgs: (remaining: readonly string[]) => string[],
  silenceLimitMs: number,
): Promise<number> {
  return runIsolatedSession({
    io,
    header,
    out,
    properties,
    readPaths: [HARNESS_ROOT, ...extraRead],
    silenceLimitMs,
    childArgs: (remaining) => [
      `--config=${HARNESS_ROOT}deno.json`,
      fileURLToPath(import.meta.url),
      "--in-process",
      "--events",
      ...childArgs(remaining),
    ],
  });
}

/** Runs `fuzz`; resolves to the exit code (output goes through `io`) or to text for stdout. */
export async function runFuzz(argv: readonly string[], io: CliIo): Promise<number | string> {
  const args = parseFlags("fuzz", argv, {
    boolean: ["list", "mutants", "in-process", "events"],
    string: [
      "driver",
      "driver-options",
      "property",
      "runs",
      "seed",
      "time-limit",
      "replay",
      "out",
      "hang-timeout",
    ],
  });
  if (args.help) return FUZZ_HELP;
  if (args._.length > 0) {
    throw new UsageError(
      `fuzz: unexpected argument "${args._[0]}"; pick properties with --property`,
    );
  }
  if (args.list) return propertyTable(PROPERTIES, DEFAULT_RUNS);
  const driverFlag = args.driver === undefined ? undefined : String(args.driver);
  const absolute = (spec: string) => isAbsolute(spec) ? spec : resolve(Deno.cwd(), spec);
  const events = Boolean(args.events);
  const isolate = (spec: string) => !args["in-process"] && !args.mutants && isModulePath(spec);
  const out = String(args.out ?? DEFAULT_OUT_DIR);
  const hangMs = args["hang-timeout"] === undefined
    ? undefined
    : parseInteger("hang-timeout", args["hang-timeout"], 1, 7 * 24 * 3600) * 1000;
  if (args.replay !== undefined) {
    for (const f of ["property", "runs", "seed", "time-limit", "mutants", "driver-options"]) {
      if (args[f] !== undefined && args[f] !== false) {
        throw new UsageError(`fuzz: --${f} cannot be combined with --replay (the file says)`);
      }
    }
    const file = String(args.replay);
    const record = loadRecord(file);
    const spec = driverFlag ?? record.driver ?? "linux";
    if (!isolate(spec)) return await replay(io, record, spec, events);
    const module = absolute(spec);
    return await isolated(
      io,
      "",
      out,
      [record.property],
      [dirname(module), absolute(file)],
      () => ["--replay", absolute(file), "--driver", module],
      hangMs ?? DEFAULT_SILENCE_MS,
    );
  }
  let props: FuzzProperty[];
  try {
    props = selectProperties(String(args.property ?? "all"));
  } catch (e) {
    if (e instanceof UnknownPropertyError) throw new UsageError(`fuzz: ${e.message}`);
    throw e;
  }
  const runs = args.runs === undefined ? undefined : parseInteger("runs", args.runs, 1, 1e9);
  const seed = args.seed === undefined
    ? randomSeed()
    : parseInteger("seed", args.seed, 0, MAX_SEED);
  const budgetMs = args["time-limit"] === undefined
    ? undefined
    : parseInteger("time-limit", args["time-limit"], 1, 7 * 24 * 3600) * 1000;
  const driverOptions = args["driver-options"] === undefined
    ? {}
    : parseObject("driver-options", args["driver-options"]);
  if (args.mutants && (runs !== undefined || budgetMs !== undefined)) {
    throw new UsageError("fuzz: --mutants runs each mutant's own budget; drop --runs/--time-limit");
  }
  const driverSpec = driverFlag ?? "linux";
  if (isolate(driverSpec)) {
    const module = absolute(driverSpec);
    const header = `nvme-harness fuzz: driver ${driverSpec} (isolated subprocess reading only ` +
      `the harness and ${dirname(module)}), seed ${seed} (reproduce with --seed ${seed})\n`;
    const started = performance.now();
    const silence = hangMs ??
      (budgetMs === undefined ? DEFAULT_SILENCE_MS : budgetMs + SILENCE_MARGIN_MS);
    return await isolated(
      io,
      header,
      out,
      props.map((p) => p.name),
      [dirname(module)],
      (rest) => {
        const left = budgetMs === undefined ? [] : [
          "--time-limit",
          String(Math.max(1, Math.ceil((budgetMs - (performance.now() - started)) / 1000))),
        ];
        return [
          "--driver",
          module,
          "--property",
          rest.join(","),
          "--seed",
          String(seed),
          ...(runs === undefined ? [] : ["--runs", String(runs)]),
          ...left,
          ...(args["driver-options"] === undefined
            ? []
            : ["--driver-options", JSON.stringify(driverOptions)]),
        ];
      },
      silence,
    );
  }
  const c: RunContext = {
    io,
    driverSpec,
    driver: await loadDriver(driverSpec),
    driverOptions,
    controller: {},
    out,
    events,
  };
  if (args.mutants) {
    // A fixed default seed: the mutant table is a reproducible proof, not a random sample.
    const mutantSeed = args.seed === undefined ? DEFAULT_MUTANT_SEED : seed;
    io.stdout(`nvme-harness fuzz --mutants: driver ${driverSpec}, seed ${mutantSeed}\n`);
    return runMutants(c, props, mutantSeed);
  }
  if (!events) {
    io.stdout(
      `nvme-harness fuzz: driver ${driverSpec}, seed ${seed} (reproduce with --seed ${seed})\n`,
    );
  }
  return runAll(c, props, seed, runs, budgetMs);
}

// The isolated child (`--in-process --events`) runs this file directly.
if (import.meta.main) {
  const io = processIo();
  try {
    const out = await runFuzz(Deno.args, io);
    if (typeof out === "string") io.stdout(out + "\n");
    Deno.exit(typeof out === "number" ? out : 0);
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    io.stderr(`nvme-harness: ${e.message}\n`);
    Deno.exit(2);
  }
}
