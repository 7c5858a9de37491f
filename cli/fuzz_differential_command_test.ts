import {
  assert,
  assertEquals,
  assertMatch,
  assertRejects,
  assertStringIncludes,
} from "@std/assert";
import { UsageError } from "./_args.ts";
import {
  differentialExitCode,
  FUZZ_DIFFERENTIAL_HELP,
  runFuzzDifferential,
} from "./fuzz_differential_command.ts";
import { qemuAvailable } from "../platform/qtest/available.ts";
import { captureRun } from "./_test_helpers.ts";

// In-process runs of `fuzz --differential` with output captured. The differential machinery is
// tested in fuzz/differential/; here: flags, usage errors, output shape and exit codes.

const differential = (args: readonly string[]) => captureRun((io) => runFuzzDifferential(args, io));

Deno.test("fuzz --differential --help returns the help text with examples", async () => {
  const r = await differential(["--help"]);
  assertEquals(r.code, FUZZ_DIFFERENTIAL_HELP);
  assertStringIncludes(FUZZ_DIFFERENTIAL_HELP, "Examples:");
  assertStringIncludes(FUZZ_DIFFERENTIAL_HELP, "--differential qemu");
  assertStringIncludes(FUZZ_DIFFERENTIAL_HELP, "Exit codes:");
});

Deno.test("fuzz --differential: bad input is a usage error naming what is valid", async () => {
  const cases: [string[], RegExp][] = [
    [["--differential", "bochs"], /the only target is qemu/],
    [["--differential", "qemu", "--runs", "0"], /--runs must be an integer in 1\.\./],
    [["--differential", "qemu", "--seed", "2147483648"], /--seed must be an integer/],
    [["--differential", "qemu", "--format", "xml"], /text or json/],
    [["--differential", "qemu", "--length", "x"], /--length/],
    [["--differential", "qemu", "--path", "a:b", "--seed", "1"], /--path must look like/],
    [["--differential", "qemu", "--path", "1:2"], /needs the --seed/],
    [["--differential", "qemu", "--bogus"], /unknown flag "--bogus"/],
    [["--differential", "qemu", "extra"], /unexpected argument "extra"/],
  ];
  for (const [argv, message] of cases) {
    const e = await assertRejects(() => differential(argv), UsageError);
    assertMatch(e.message, message, argv.join(" "));
  }
});

Deno.test("fuzz --differential: an error (a side threw) exits non-zero, apart from a finding", () => {
  assertEquals(differentialExitCode("pass"), 0);
  assertEquals(differentialExitCode("fail"), 1);
  assertEquals(differentialExitCode("error"), 3);
  assertMatch(FUZZ_DIFFERENTIAL_HELP, /\n3 error: a side threw/);
  assertStringIncludes(FUZZ_DIFFERENTIAL_HELP, "fresh QEMU process");
});

const qemu = qemuAvailable();
if (!qemu.ok) console.log(`fuzz --differential QEMU runs skipped: ${qemu.reason}`);

Deno.test({
  name: "fuzz --differential qemu: seed first, report, exit 0 (text and JSON)",
  ignore: !qemu.ok,
  async fn() {
    const t = await differential([
      "--differential",
      "qemu",
      "--runs",
      "25",
      "--seed",
      "7",
      "--quiet",
    ]);
    assertEquals(t.code, 0, t.stdout);
    assert(t.stdout.startsWith("seed 7\n"), t.stdout);
    assertMatch(t.stdout, /PASS differential vs qemu: 25 sequences, \d+ commands/);
    assertStringIncludes(t.stdout, "replay: deno task fuzz --differential qemu --seed 7");
    assertEquals(t.stderr, "");
    const j = await differential([
      "--differential",
      "qemu",
      "--runs",
      "5",
      "--seed",
      "7",
      "--format",
      "json",
    ]);
    assertEquals(j.code, 0);
    const report = JSON.parse(j.stdout.slice(j.stdout.indexOf("\n") + 1));
    assertEquals(report.status, "pass");
    assertEquals(report.sequences, 5);
    assertEquals(report.seed, 7);
    assert(Array.isArray(report.classes));
  },
});
