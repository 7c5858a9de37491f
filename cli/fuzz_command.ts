// `fuzz`: run the fast-check properties (fuzz/properties.ts) against a driver model and the
// reference controller; shrink failures, write replay files, replay them; or run the mutants that
// prove each property can fail. Exit 0 all passed (every mutant killed), 1 a property failed (a
// mutant survived, a replay file could not be written), 2 usage errors.

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
import { readReplay, ReplayFileError, type ReplayRecord } from "../fuzz/replay.ts";
import { formatResult, propertyTable, seconds } from "../fuzz/report_text.ts";
import { crashedResult, fuzzJson } from "../fuzz/report_json.ts";
import { runSession } from "../fuzz/session.ts";
import { progressLine } from "./_progress.ts";
import { DEFAULT_RUNS, runProperty } from "../fuzz/runner.ts";
import { parseFlags, UsageError } from "./_args.ts";
import { type CliIo, processIo } from "./_io.ts";
import { eventLine, runIsolatedSession } from "../fuzz/isolated_run.ts";
import { dirname, isAbsolute, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { DEFAULT_MUTANT_SEED, DEFAULT_OUT_DIR, FUZZ_HELP } from "./fuzz_help.ts";
import { runFuzzDifferential } from "./fuzz_differential_command.ts";

export { DEFAULT_MUTANT_SEED, DEFAULT_OUT_DIR, FUZZ_HELP };

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
  readonly driver: ResolvedDriver;
  readonly quiet: boolean;
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
    if (killed && c.quiet) continue;
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
  if (events) {
    io.stdout(eventLine({ done: { property: prop.name, status: r.status, result: r } }));
  }
  return r.status === "pass" ? 0 : 1;
}

/** `--format`: text (default) or json. */
function parseFormat(value: unknown): "text" | "json" {
  const f = value === undefined ? "text" : String(value);
  if (f !== "text" && f !== "json") {
    throw new UsageError(`fuzz: --format must be text or json, got "${f}"`);
  }
  return f;
}

/** Exit code of a usage error. */
const USAGE_EXIT = 2;

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

/** How an isolated session shows itself. */
interface IsolatedView {
  readonly io: CliIo;
  readonly quiet: boolean;
  readonly format: "text" | "json";
  /** For the JSON document: the driver as given, its options and the seed. */
  readonly json?: { driver: string; driverOptions: Record<string, unknown>; seed: number };
}

/** Runs a driver module's session in a subprocess (fuzz/isolated_run.ts). */
async function isolated(
  view: IsolatedView,
  header: string,
  out: string,
  properties: readonly string[],
  extraRead: readonly string[],
  childArgs: (remaining: readonly string[]) => string[],
  silenceLimitMs: number,
): Promise<number> {
  const s = await runIsolatedSession({
    io: view.io,
    header: view.quiet ? "" : header,
    out,
    properties,
    readPaths: [HARNESS_ROOT, ...extraRead],
    silenceLimitMs,
    format: view.format,
    progressLine: progressLine(view.io, view.quiet),
    childArgs: (remaining) => [
      `--config=${HARNESS_ROOT}deno.json`,
      fileURLToPath(import.meta.url),
      "--in-process",
      "--events",
      ...(view.quiet ? ["--quiet"] : []),
      ...childArgs(remaining),
    ],
  });
  if (view.json !== undefined && s.exitCode !== USAGE_EXIT) {
    const { seed } = view.json;
    const results = s.ended.map((e) => ({
      ...(e.result ?? crashedResult(e.property, seed, e.crash ?? "no result reported")),
      replayFile: e.replayFile,
    }));
    view.io.stdout(JSON.stringify(fuzzJson({ ...view.json, results }), null, 2) + "\n");
  }
  return s.exitCode;
}

/** Runs `fuzz`; resolves to the exit code (output goes through `io`) or to text for stdout. */
export async function runFuzz(argv: readonly string[], io: CliIo): Promise<number | string> {
  // Differential fuzzing is a different run with its own flags (cli/fuzz_differential_command.ts).
  if (argv.some((a) => a === "--differential" || a.startsWith("--differential="))) {
    return await runFuzzDifferential(argv, io);
  }
  const args = parseFlags("fuzz", argv, {
    boolean: ["list", "mutants", "in-process", "events", "quiet"],
    string: [
      "format",
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
  const quiet = Boolean(args.quiet);
  const format = parseFormat(args.format);
  if (format === "json" && (args.replay !== undefined || args.mutants || events)) {
    throw new UsageError("fuzz: --format json is for a fuzz run, not --replay or --mutants");
  }
  const view: IsolatedView = { io, quiet, format };
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
      view,
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
      {
        ...view,
        json: format === "json" ? { driver: driverSpec, driverOptions, seed } : undefined,
      },
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
  const driver = await loadDriver(driverSpec);
  if (args.mutants) {
    // A fixed default seed: the mutant table is a reproducible proof, not a random sample.
    const mutantSeed = args.seed === undefined ? DEFAULT_MUTANT_SEED : seed;
    io.stdout(`nvme-harness fuzz --mutants: driver ${driverSpec}, seed ${mutantSeed}\n`);
    return runMutants({ io, driver, quiet }, props, mutantSeed);
  }
  if (!events && !quiet && format === "text") {
    io.stdout(
      `nvme-harness fuzz: driver ${driverSpec}, seed ${seed} (reproduce with --seed ${seed})\n`,
    );
  }
  return runSession(
    {
      io,
      progressLine: progressLine(io, quiet || events),
      driverSpec,
      driver,
      driverOptions,
      controller: {},
      out,
      events,
      quiet,
      format,
    },
    props,
    { seed, runs, budgetMs },
  );
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
