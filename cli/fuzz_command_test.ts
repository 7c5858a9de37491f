import {
  assert,
  assertEquals,
  assertMatch,
  assertRejects,
  assertStringIncludes,
} from "@std/assert";
import { UsageError } from "./_args.ts";
import { captureRun } from "./_test_helpers.ts";
import { FUZZ_HELP, runFuzz } from "./fuzz_command.ts";
import { PROPERTIES } from "../fuzz/properties.ts";

// In-process runs of `fuzz` through runFuzz, output captured through CliIo. Budgets are tiny:
// the properties themselves are tested in fuzz/.

const fuzz = (args: readonly string[]) => captureRun((io) => runFuzz(args, io));

const tmp = Deno.makeTempDirSync({ prefix: "fuzz_cli_test_" });
globalThis.addEventListener("unload", () => Deno.removeSync(tmp, { recursive: true }));

/** A third-party driver module: the Linux-like driver with every I/O completion delivered twice. */
const BUGGY_DRIVER = `${tmp}/buggy_driver.ts`;
Deno.writeTextFileSync(
  BUGGY_DRIVER,
  `import { createDriver as linux } from "${
    new URL("../driver/linux/driver.ts", import.meta.url).href
  }";
import { withDriverBug } from "${new URL("../fuzz/driver_mutants.ts", import.meta.url).href}";
export const createDriver = withDriverBug(linux, "completion-twice");
`,
);

const DRIVER_URL = new URL("../driver/linux/driver.ts", import.meta.url).href;

/** A module that kills its own process on the third driver it builds. */
const CRASHING_DRIVER = `${tmp}/crashing_driver.ts`;
Deno.writeTextFileSync(
  CRASHING_DRIVER,
  `import { createDriver as linux } from "${DRIVER_URL}";
let built = 0;
export const createDriver = (host, options) => {
  if (++built === 3) Deno.exit(3);
  return linux(host, options);
};
`,
);

/** Two properties through {@linkcode CRASHING_DRIVER}: the first one's third driver kills it. */
const CRASHING_RUN = [
  ...["--driver", CRASHING_DRIVER, "--property", "queue-wraparound,need-event"],
  ...["--runs", "10", "--seed", "2"],
];

/** A module whose bring-up spins without touching the HostPort (no virtual time passes). */
const SPINNING_DRIVER = `${tmp}/spinning_driver.ts`;
Deno.writeTextFileSync(
  SPINNING_DRIVER,
  `import { createDriver as linux } from "${DRIVER_URL}";
export const createDriver = (host, options) => {
  const d = linux(host, options);
  d.bringUp = () => { for (;;) { /* spin */ } };
  return d;
};
`,
);

/** A module that is not a driver model. */
const NOT_A_DRIVER = `${tmp}/not_a_driver.ts`;
Deno.writeTextFileSync(NOT_A_DRIVER, "export const x = 1;\n");

Deno.test("fuzz --help and --list", async () => {
  assertEquals((await fuzz(["--help"])).code, FUZZ_HELP);
  const list = (await fuzz(["--list"])).code as string;
  for (const p of PROPERTIES) assertStringIncludes(list, p.name);
  assertStringIncludes(list, `${PROPERTIES.length} properties`);
});

Deno.test("fuzz: usage errors name the problem", async () => {
  const cases: [string[], string][] = [
    [["--bogus"], "unknown flag"],
    [["extra"], "unexpected argument"],
    [["--property", "nope"], 'unknown property "nope"'],
    [["--runs", "0"], "--runs must be an integer"],
    [["--seed", "x"], "--seed must be an integer"],
    [["--time-limit", "0"], "--time-limit must be an integer in 1.."],
    [["--seed", "2147483648"], "--seed must be an integer in 0..2147483647"],
    [["--driver", "nope"], 'unknown driver "nope"'],
    [["--driver-options", "[1]"], "must be a JSON object"],
    [["--driver-options", "{"], "is not JSON"],
    [["--replay", `${tmp}/none.json`, "--seed", "1"], "cannot be combined with --replay"],
    [["--replay", `${tmp}/none.json`], "cannot read replay file"],
    [["--mutants", "--runs", "5"], "--mutants runs each mutant's own budget"],
  ];
  for (const [args, text] of cases) {
    await assertRejects(() => fuzz(args), UsageError, text, args.join(" "));
  }
});

Deno.test("fuzz: passing properties print the seed, one line each, and exit 0", async () => {
  const r = await fuzz(["--property", "need-event,prp-builder", "--runs", "20", "--seed", "9"]);
  assertEquals(r.code, 0, r.stdout);
  assertStringIncludes(r.stdout, "seed 9 (reproduce with --seed 9)");
  assertMatch(
    r.stdout,
    /^PASS need-event {2}20 runs {2}[\d,]+ runs\/s {2}[\d,]+ checks\/s {2}Base 2\.1 §5\.2\.5/m,
  );
  assertStringIncludes(r.stdout, "2 passed, 0 failed\ntotals: 40 runs in ");
  assertStringIncludes(r.stdout, "60 checks in "); // need-event 2 per case, prp-builder 1
  const random = await fuzz(["--property", "need-event", "--runs", "5"]);
  assertMatch(random.stdout, /seed \d+ \(reproduce with --seed \d+\)/);
});

Deno.test("fuzz: a third-party driver's failure is shrunk, saved and replayed", async () => {
  const out = `${tmp}/failures`;
  const r = await fuzz([
    "--driver",
    BUGGY_DRIVER,
    "--property",
    "queue-wraparound",
    "--runs",
    "50",
    "--seed",
    "4",
    "--out",
    out,
  ]);
  assertEquals(r.code, 1, r.stdout);
  assertMatch(r.stdout, /^FAIL queue-wraparound {2}after \d+ runs?, shrunk \d+ times/m);
  assertStringIncludes(r.stdout, "completed 2 times");
  assertStringIncludes(r.stdout, "counterexample:\n    1. controller MQES=");
  const file = `${out}/queue-wraparound-seed4.json`;
  assertStringIncludes(r.stdout, `replay: deno task fuzz --replay ${file}`);
  const replay = await fuzz(["--replay", file]);
  assertEquals(replay.code, 1);
  assertStringIncludes(replay.stdout, `with driver ${BUGGY_DRIVER}`);
  assertStringIncludes(replay.stdout, "completed 2 times");
  // The same case with the real driver: the failure no longer reproduces.
  const fixed = await fuzz(["--replay", file, "--driver", "linux"]);
  assertEquals(fixed.code, 0);
  assertStringIncludes(fixed.stdout, "no longer reproduces");
});

Deno.test("fuzz: a replay file that cannot be written still fails the run, with the record", async () => {
  const blocker = `${tmp}/not-a-dir`;
  Deno.writeTextFileSync(blocker, "");
  const r = await fuzz([
    "--driver",
    BUGGY_DRIVER,
    "--property",
    "queue-wraparound",
    "--runs",
    "20",
    "--seed",
    "4",
    "--out",
    `${blocker}/sub`,
  ]);
  assertEquals(r.code, 1);
  assertStringIncludes(r.stderr, "cannot write replay file");
  assertStringIncludes(r.stdout, "replay record: {");
});

Deno.test("fuzz --time-limit cuts a long run short and says so", async () => {
  const r = await fuzz(["--property", "need-event", "--runs", "100000000", "--time-limit", "1"]);
  assertEquals(r.code, 0);
  assertStringIncludes(r.stdout, "(time limit: cut short)");
});

Deno.test("fuzz --mutants: every mutant of the chosen properties is killed", async () => {
  const r = await fuzz(["--mutants", "--property", "need-event,prp-builder"]);
  assertEquals(r.code, 0, r.stdout);
  assertStringIncludes(r.stdout, "seed 1");
  assertMatch(r.stdout, /^KILLED need-event:linux-inclusive/m);
  assertStringIncludes(r.stdout, "4 killed, 0 survived");
  assert(!r.stdout.includes("ALIVE"));
});

Deno.test("fuzz: a module that kills its process fails the running property; the rest go on", async () => {
  const r = await fuzz(CRASHING_RUN);
  assertEquals(r.code, 1, r.stdout);
  assertStringIncludes(r.stdout, "isolated subprocess");
  assertStringIncludes(
    r.stdout,
    "FAIL queue-wraparound  the driver module's process ended (exit code 3)",
  );
  assertMatch(r.stdout, /^PASS need-event/m);
  assertStringIncludes(r.stdout, "1 passed, 1 failed");
});

Deno.test("fuzz: a module that spins outside the HostPort is killed and reported as a hang", async () => {
  const r = await fuzz([
    "--driver",
    SPINNING_DRIVER,
    "--property",
    "cc-csts",
    "--runs",
    "3",
    "--seed",
    "2",
    "--hang-timeout",
    "2",
  ]);
  assertEquals(r.code, 1, r.stdout);
  assertStringIncludes(r.stdout, "FAIL cc-csts  no output for 2 s");
  assertStringIncludes(r.stdout, "0 passed, 1 failed");
});

Deno.test("fuzz: a module that does not export createDriver is a usage error", async () => {
  const r = await fuzz(["--driver", NOT_A_DRIVER, "--runs", "1"]);
  assertEquals(r.code, 2);
  assertEquals(r.stdout, "");
  assertStringIncludes(r.stderr, "does not export createDriver");
});

/** Runs fuzz with stderr as a terminal or not, capturing both streams. */
const fuzzOn = (terminal: boolean, args: readonly string[]) =>
  captureRun((io) => runFuzz(args, io), terminal);

const PROGRESS_ARGS = ["--property", "need-event,data-integrity", "--runs", "3", "--seed", "5"];

Deno.test("fuzz: the progress line is drawn on a terminal, erased, and never on stdout", async () => {
  const r = await fuzzOn(true, PROGRESS_ARGS);
  assertEquals(r.code, 0, r.stdout);
  assertStringIncludes(r.stderr, "[1/2] need-event 0/3 runs");
  assertStringIncludes(r.stderr, "[2/2] data-integrity");
  assert(r.stderr.endsWith("\r\x1b[K"), "erased at the end");
  assert(!r.stdout.includes("\r") && !r.stdout.includes("[1/2]"));
});

Deno.test("fuzz: no progress line when stderr is not a terminal, or with --quiet", async () => {
  const piped = await fuzzOn(false, PROGRESS_ARGS);
  assertEquals([piped.code, piped.stderr], [0, ""]);
  const quiet = await fuzzOn(true, [...PROGRESS_ARGS, "--quiet"]);
  assertEquals([quiet.code, quiet.stderr], [0, ""]);
  // Quiet: no header and no PASS lines, only the closing lines.
  const lines = quiet.stdout.trimEnd().split("\n");
  assertEquals(lines.length, 2, quiet.stdout);
  assertEquals(lines[0], "2 passed, 0 failed");
  assertMatch(lines[1], /^totals: 6 runs in .*; \d+ commands in .*; 6 checks in /);
});

Deno.test("fuzz --quiet still prints a failure", async () => {
  const r = await fuzz([
    "--driver",
    BUGGY_DRIVER,
    "--in-process",
    "--property",
    "need-event,queue-wraparound",
    "--runs",
    "20",
    "--seed",
    "4",
    "--out",
    `${tmp}/quiet`,
    "--quiet",
  ]);
  assertEquals(r.code, 1);
  assert(!r.stdout.includes("PASS"), r.stdout);
  assertMatch(r.stdout, /^FAIL queue-wraparound /m);
  assertStringIncludes(r.stdout, "1 passed, 1 failed");
});

Deno.test("fuzz --format json: one document with seed, results, speed and totals", async () => {
  const r = await fuzz([...PROGRESS_ARGS, "--format", "json"]);
  assertEquals(r.code, 0);
  const doc = JSON.parse(r.stdout);
  assertEquals([doc.format, doc.driver, doc.seed], ["nvme-harness-fuzz-results/1", "linux", 5]);
  assertEquals(doc.results.map((x: { property: string }) => x.property), [
    "need-event",
    "data-integrity",
  ]);
  const [ne, di] = doc.results;
  assertEquals([ne.status, ne.runs, ne.executions, ne.commands, ne.commandUnit], [
    "pass",
    3,
    3,
    6,
    "checks",
  ]);
  assert(di.commands > 0 && di.commandUnit === "commands" && di.durationMs >= 0);
  assertEquals([doc.totals.passed, doc.totals.failed, doc.totals.checks], [2, 0, 6]);
  assertEquals(doc.totals.commands, di.commands);
  await assertRejects(() => fuzz(["--format", "xml"]), UsageError, "text or json");
  await assertRejects(() => fuzz(["--mutants", "--format", "json"]), UsageError, "fuzz run");
});

Deno.test("fuzz --format json through an isolated module: results carried from the child", async () => {
  const r = await fuzz([...CRASHING_RUN, "--format", "json"]);
  assertEquals(r.code, 1);
  const doc = JSON.parse(r.stdout);
  const [qw, ne] = doc.results;
  assertEquals([qw.property, qw.status, qw.executions], ["queue-wraparound", "fail", 0]);
  assertStringIncludes(qw.error, "process ended (exit code 3)");
  assertEquals([ne.property, ne.status, ne.runs, ne.commands], ["need-event", "pass", 10, 20]);
  assertEquals([doc.totals.passed, doc.totals.failed], [1, 1]);
});
