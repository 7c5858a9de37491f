import { assert, assertEquals, assertStringIncludes } from "@std/assert";
import { main } from "../cli.ts";
import { ALL_CASES } from "../conformance/registry.ts";
import { assertUsageExit, captureRun } from "./_test_helpers.ts";

// In-process runs of the real command line through main(), output captured through CliIo.
// Each run is filtered to one or two cases so the whole file stays fast.

const conformance = (args: readonly string[], stderrIsTerminal = false) =>
  captureRun((io) => main(["conformance", ...args], io), stderrIsTerminal);

/** Asserts a usage error: exit 2, one line on stderr containing `text`, nothing on stdout. */
async function assertUsageError(args: readonly string[], text: string): Promise<void> {
  assertUsageExit(await conformance(args), args.join(" "), text);
}

// A device case to run: the first registered one (the registers group comes first).
const FIRST = ALL_CASES[0];
const TARGET_URL = new URL("../conformance/target.ts", import.meta.url).href;
const tmp = Deno.makeTempDirSync({ prefix: "conformance_cli_test_" });
globalThis.addEventListener("unload", () => Deno.removeSync(tmp, { recursive: true }));

/** Writes a target module into the temp dir and returns its path. */
function targetModule(name: string, source: string): string {
  const path = `${tmp}/${name}.ts`;
  Deno.writeTextFileSync(path, source);
  return path;
}

// The session opened for the probe works; every later one fails, so every case fails.
const flakySource = (deviations: string) => `
import { referenceTarget } from "${TARGET_URL}";
export function createTarget() {
  const inner = referenceTarget();
  let opens = 0;
  return {
    name: "flaky",
    description: "the link goes down after the probe",
    open() {
      if (opens++ > 0) throw new Error("link down");
      return inner.open();
    },
    deviations: ${deviations},
  };
}
`;

Deno.test("conformance --help explains every flag with examples", async () => {
  const r = await conformance(["--help"]);
  assertEquals(r.code, 0);
  for (const flag of ["--target", "--driver", "--filter", "--format", "--out", "--list"]) {
    assertStringIncludes(r.stdout, flag);
  }
  assertStringIncludes(r.stdout, "--quiet");
  assertStringIncludes(r.stdout, "Examples:");
  assertStringIncludes(r.stdout, "reference controller");
});

Deno.test("conformance --list prints ids, sections and titles of the selection", async () => {
  assert(FIRST !== undefined, "ALL_CASES is empty");
  const all = await conformance(["--list"]);
  assertEquals(all.code, 0, all.stderr);
  const rows = all.stdout.trimEnd().split("\n");
  for (const c of ALL_CASES) assert(rows.some((l) => l.startsWith(`${c.id} `)), c.id);
  const prefix = FIRST.id.slice(0, FIRST.id.indexOf(".") + 1);
  const some = await conformance(["--list", "--filter", prefix]);
  const listed = some.stdout.trimEnd().split("\n").slice(0, -1);
  assertEquals(listed.length, ALL_CASES.filter((c) => c.id.startsWith(prefix)).length);
  const json = await conformance(["--list", "--filter", FIRST.id, "--format", "json"]);
  assertEquals(JSON.parse(json.stdout), [
    { id: FIRST.id, title: FIRST.title, section: FIRST.section },
  ]);
  const regex = await conformance(["--list", "--format", "json", "--filter", `/^${FIRST.id}$/`]);
  assertEquals(JSON.parse(regex.stdout).map((c: { id: string }) => c.id), [FIRST.id]);
});

Deno.test("driver obligation cases join the list only with the reference target", async () => {
  const listIds = async (args: readonly string[]) => {
    const r = await conformance(["--list", "--format", "json", ...args]);
    assertEquals(r.code, 0, r.stderr);
    return (JSON.parse(r.stdout) as { id: string }[]).map((c) => c.id);
  };
  const device = new Set(ALL_CASES.map((c) => c.id));
  const reference = await listIds([]);
  assertEquals(reference.filter((id) => device.has(id)), ALL_CASES.map((c) => c.id));
  const driverIds = reference.filter((id) => !device.has(id));
  assert(driverIds.length > 0, "the linux driver's obligation scenarios are listed");
  const module = targetModule("plain", flakySource("{}"));
  assertEquals(await listIds(["--target", module]), ALL_CASES.map((c) => c.id));
  const json = await conformance(["--filter", FIRST.id, "--format", "json"]);
  assertEquals(JSON.parse(json.stdout).driver, "linux");
});

Deno.test("conformance runs a filtered case: PASS line, summary, exit 0", async () => {
  const r = await conformance(["--filter", FIRST.id]);
  assertEquals(r.code, 0, r.stdout + r.stderr);
  const lines = r.stdout.trimEnd().split("\n");
  assertStringIncludes(lines[0], "target reference, driver ");
  assert(lines[1].startsWith(`PASS ${FIRST.id}  ${FIRST.section}  (`), lines[1]);
  assertEquals(lines.at(-1), "1 passed, 0 failed, 0 skipped, 0 deviations");
  assertEquals(r.stderr, "", "no progress line when stderr is not a terminal");
});

Deno.test("conformance draws a progress line only on a terminal and not with --quiet", async () => {
  const tty = await conformance(["--filter", FIRST.id], true);
  assertStringIncludes(tty.stderr, `[1/1] ${FIRST.id}`);
  assert(!tty.stdout.includes("\r"), "progress stays on stderr");
  const quiet = await conformance(["--filter", FIRST.id, "--quiet"], true);
  assertEquals(quiet.stderr, "");
  assertEquals(quiet.stdout, "1 passed, 0 failed, 0 skipped, 0 deviations\n");
});

Deno.test("conformance --format json --out writes the report and prints the summary", async () => {
  const out = `${tmp}/report.json`;
  const r = await conformance(["--filter", FIRST.id, "--format", "json", "--out", out]);
  assertEquals(r.code, 0, r.stderr);
  assertEquals(r.stdout, "1 passed, 0 failed, 0 skipped, 0 deviations\n");
  const json = JSON.parse(Deno.readTextFileSync(out));
  assertEquals(Object.keys(json), ["target", "driver", "spec", "cases", "summary"]);
  assertEquals(json.target, "reference");
  assertEquals(json.spec, "NVMe Base 2.1, NVM Command Set 1.1, PCIe Transport 1.1");
  assertEquals(json.cases.map((c: { id: string; status: string }) => [c.id, c.status]), [
    [FIRST.id, "pass"],
  ]);
  assertEquals(json.summary, { passed: 1, failed: 0, skipped: 0, deviations: 0 });
  const text = `${tmp}/report.txt`;
  const t = await conformance(["--filter", FIRST.id, "--out", text]);
  assertEquals(t.stdout, "1 passed, 0 failed, 0 skipped, 0 deviations\n");
  const lines = Deno.readTextFileSync(text).trimEnd().split("\n");
  assertStringIncludes(lines[0], "target reference");
  assert(lines.some((l) => l.startsWith(`PASS ${FIRST.id}  `)));
  assertEquals(lines.at(-1), "1 passed, 0 failed, 0 skipped, 0 deviations");
});

Deno.test("conformance never loses results: an unwritable --out prints the report, exit 1", async () => {
  const out = `${tmp}/no/such/dir/report.xml`;
  const r = await conformance(["--filter", FIRST.id, "--format", "junit", "--out", out]);
  assertEquals(r.code, 1);
  assert(r.stdout.startsWith("<?xml"), r.stdout);
  assertStringIncludes(r.stdout, `name="${FIRST.id}"`);
  assertEquals(r.stderr.trimEnd().split("\n").length, 1);
  assertStringIncludes(r.stderr, `cannot write report to ${out}`);
});

Deno.test("conformance --format markdown and junit print to stdout", async () => {
  const md = await conformance(["--filter", FIRST.id, "--format", "markdown"]);
  assertEquals(md.code, 0);
  assertStringIncludes(md.stdout, "| group | cases | passed | failed | skipped | deviations |");
  assertStringIncludes(md.stdout, `| \`${FIRST.id}\` |`);
  const junit = await conformance(["--filter", FIRST.id, "--format", "junit"]);
  assertEquals(junit.code, 0);
  assertStringIncludes(junit.stdout, 'tests="1" failures="0"');
});

Deno.test("conformance --target module: failures exit 1, registered deviations exit 0", async () => {
  const broken = targetModule("flaky", flakySource("{}"));
  const r = await conformance(["--target", broken, "--filter", FIRST.id]);
  assertEquals(r.code, 1, r.stderr);
  assertStringIncludes(r.stdout, "target flaky, driver none");
  assertStringIncludes(r.stdout, `FAIL ${FIRST.id}`);
  assertStringIncludes(r.stdout, "link down");
  assertStringIncludes(r.stdout, "0 passed, 1 failed, 0 skipped, 0 deviations");
  const known = JSON.stringify({ [FIRST.id]: { reason: "drops the link", evidence: "a test" } });
  const deviant = targetModule("deviant", flakySource(known));
  const d = await conformance(["--target", deviant, "--filter", FIRST.id]);
  assertEquals(d.code, 0, d.stdout);
  assertStringIncludes(d.stdout, `DEVIATION ${FIRST.id}`);
  assertStringIncludes(d.stdout, "drops the link");
  assertStringIncludes(d.stdout, "0 passed, 0 failed, 0 skipped, 1 deviations");
});

Deno.test("conformance usage errors exit 2 with one line on stderr", async () => {
  await assertUsageError(["--frobnicate"], 'unknown flag "--frobnicate"');
  await assertUsageError(["--format", "yaml"], 'unknown format "yaml"');
  await assertUsageError(["--format", "toString"], 'unknown format "toString"');
  await assertUsageError(["--target", "qemu9"], 'unknown target "qemu9"');
  await assertUsageError(["--target", `${tmp}/absent.ts`], "cannot load target module");
  const noFactory = targetModule("no_factory", "export const target = 1;\n");
  await assertUsageError(["--target", noFactory], "does not export createTarget");
  const throws = targetModule("throws", 'export function createTarget() { throw new Error("x"); }');
  await assertUsageError(["--target", throws], "createTarget() in");
  const flaky = targetModule("flaky_driver", flakySource("{}"));
  await assertUsageError(["--target", flaky, "--driver", "linux"], "--driver needs --target");
  await assertUsageError(["--driver", "nosuch"], 'unknown driver "nosuch"');
  await assertUsageError(["--filter", "/(unclosed/"], "bad filter regex");
  await assertUsageError(["--filter", "nosuch.group."], "selects no case");
  await assertUsageError(["--filter"], "--filter needs a value");
  await assertUsageError(["registers."], 'unexpected argument "registers."');
});
