// `conformance`: run the conformance suite (device cases against a target, plus a driver model's
// obligation scenarios against the reference controller) and report in text, JSON, JUnit or
// Markdown. Exit 0 when nothing failed, 1 otherwise, 2 for usage errors.

import { isAbsolute, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import type { ConformanceCase } from "../conformance/case.ts";
import { driverObligationCases } from "../conformance/driver_cases.ts";
import {
  ALL_CASES,
  assertUniqueIds,
  CaseFilterError,
  selectCases,
} from "../conformance/registry.ts";
import { renderJsonReport } from "../conformance/report_json.ts";
import { renderJunitReport } from "../conformance/report_junit.ts";
import { renderMarkdownReport } from "../conformance/report_markdown.ts";
import { formatCaseResult, renderTextReport, textHeader } from "../conformance/report_text.ts";
import type { CaseResult } from "../conformance/run_case.ts";
import {
  type RunReport,
  runSucceeded,
  runSuite,
  SPEC_VERSIONS,
  summaryLine,
} from "../conformance/runner.ts";
import { qemuAvailable, qemuTarget } from "../conformance/qemu_target.ts";
import { referenceTarget, type Target, type TargetModule } from "../conformance/target.ts";
import type { DriverFactory } from "../driver/model.ts";
import { BUILTIN_DRIVERS, resolveDriver } from "../driver/registry.ts";
import { chooseFormat, parseFlags, UsageError } from "./_args.ts";
import type { CliIo } from "./_io.ts";
import { progressLine } from "./_progress.ts";

/** Report formats and their renderers. */
const FORMATS: Readonly<Record<string, (report: RunReport) => string>> = {
  text: renderTextReport,
  json: renderJsonReport,
  junit: renderJunitReport,
  markdown: renderMarkdownReport,
};

/** Built-in targets by name. */
const TARGETS: Readonly<Record<string, () => Target>> = {
  reference: () => referenceTarget(),
  qemu: () => {
    const available = qemuAvailable();
    if (!available.ok) throw new UsageError(`conformance: --target qemu: ${available.reason}`);
    return qemuTarget();
  },
};

/** Help text for `conformance`. */
export const CONFORMANCE_HELP = `Run the NVMe conformance suite and report case by case.

Usage:
  deno task conformance [options]

Options:
  --target T    what the device cases run against (default: reference):
                  reference     the nvme-harness reference controller, in-process
                  qemu          QEMU's emulated NVMe (qemu-system-x86_64 -device nvme, 7.2+)
                                over qtest, a fresh QEMU per case, with QEMU 7.2's deviation
                                registry
                  ./module.ts   a module exporting createTarget(options?) => Target
                                (see conformance/target.ts: open() returns a HostPort session;
                                an optional deviations registry maps case ids to known reasons)
  --driver D    the driver model whose obligation scenarios run (default: linux):
                  ${
  Object.keys(BUILTIN_DRIVERS).join(" | ")
} | ./module.ts exporting createDriver(host, options?)
                Driver scenarios always run against the reference controller, which records
                every host-obligation finding; so they run only with --target reference, and
                --driver with another target is a usage error.
  --filter F    select cases: an exact id (registers.cap.mqes), an id prefix (io-queues.,
                io-queues.create), or /regex/ with optional flags (/wrap|full/i)
  --format F    text (default) | json | junit | markdown
  --out FILE    write the report to FILE and print only the summary line on stdout; if FILE
                cannot be written, the report goes to stdout and the exit code is 1
  --list        print the selected cases (id, section, title) and exit; with --format json,
                as a JSON array
  --quiet       no progress line; in text format print only FAIL and DEVIATION lines and the
                summary
  -h, --help    this help

Text format: one line per case as it finishes,
  PASS registers.cap.mqes  Base 2.1 §3.1.4.1  (0.4 ms)
with the reason (FAIL, SKIP, DEVIATION, or a passing case's notes) indented on the next line,
and a closing line "N passed, N failed, N skipped, N deviations". While it runs, a progress line
is drawn on stderr when stderr is a terminal.
JSON: {target, driver, spec, cases: [{id, title, section, status, message, durationMs}],
       summary: {passed, failed, skipped, deviations}}; status is pass|fail|skip|deviation.
JUnit: one testsuite per group (the id's first part); deviations are <skipped> with the reason
       prefixed "deviation:". Markdown: a summary table and one table per group.

A deviation is a case the target fails for a reason its deviation registry documents; it counts
as not failed. A registered deviation whose case passes is reported as a failure (the registry
is stale).

Exit codes: 0 nothing failed (passes, skips, deviations only), 1 a case failed or the report
could not be written, 2 usage error (one line on stderr).

Examples:
  deno task conformance                                  everything, reference + linux driver
  deno task conformance --filter io-queues.              one group
  deno task conformance --filter '/wrap/' --list         which cases mention wrap
  deno task conformance --driver spdk --filter driver.   the SPDK-like driver's obligations
  deno task conformance --driver ./my_driver.ts          your driver model's obligations
  deno task conformance --target ./my_ctrl.ts            your controller model
  deno task conformance --format junit --out /tmp/conformance.xml
  deno task conformance --format json | jq '.summary'
`;

function errorText(e: unknown): string {
  return e instanceof Error ? e.message.split("\n")[0] : String(e);
}

function isModulePath(spec: string): boolean {
  return spec.includes("/") || /\.(m?[jt]s)$/.test(spec);
}

/** Loads a target module by path and builds its target; any problem is a usage error. */
async function loadTargetModule(path: string): Promise<Target> {
  const url = pathToFileURL(isAbsolute(path) ? path : resolve(Deno.cwd(), path)).href;
  let mod: Partial<TargetModule>;
  try {
    mod = await import(url);
  } catch (e) {
    throw new UsageError(`conformance: cannot load target module ${path}: ${errorText(e)}`);
  }
  if (typeof mod.createTarget !== "function") {
    throw new UsageError(
      `conformance: target module ${path} does not export createTarget(options?) ` +
        `(see conformance/target.ts)`,
    );
  }
  let target: Target;
  try {
    target = mod.createTarget();
  } catch (e) {
    throw new UsageError(`conformance: createTarget() in ${path} threw: ${errorText(e)}`);
  }
  if (
    typeof target !== "object" || target === null || typeof target.open !== "function" ||
    typeof target.name !== "string"
  ) {
    throw new UsageError(
      `conformance: createTarget() in ${path} did not return a Target (name, open())`,
    );
  }
  return target;
}

async function resolveTarget(spec: string): Promise<{ target: Target; reference: boolean }> {
  const builtin = TARGETS[spec];
  if (builtin) return { target: builtin(), reference: spec === "reference" };
  if (isModulePath(spec)) return { target: await loadTargetModule(spec), reference: false };
  throw new UsageError(
    `conformance: unknown target "${spec}": use ${
      Object.keys(TARGETS).join(", ")
    } or a path to a module exporting createTarget`,
  );
}

/** The driver cases to append, and the driver name for the report. */
async function resolveDriverCases(
  spec: string,
): Promise<{ name: string; cases: readonly ConformanceCase[] }> {
  let driver: { name: string; factory: DriverFactory };
  try {
    driver = await resolveDriver(spec);
  } catch (e) {
    throw new UsageError(`conformance: ${errorText(e)}`);
  }
  return { name: driver.name, cases: driverObligationCases(driver.name, driver.factory) };
}

function listCases(cases: readonly ConformanceCase[], json: boolean): string {
  if (json) {
    const rows = cases.map((c) => ({ id: c.id, title: c.title, section: c.section }));
    return JSON.stringify(rows, null, 2);
  }
  const idWidth = Math.max(...cases.map((c) => c.id.length));
  const sectionWidth = Math.max(...cases.map((c) => c.section.length));
  const rows = cases.map((c) =>
    `${c.id.padEnd(idWidth)}  ${c.section.padEnd(sectionWidth)}  ${c.title}`
  );
  return [...rows, `${cases.length} case${cases.length === 1 ? "" : "s"}`].join("\n");
}

/** Writes the live text lines and the stderr progress line while the suite runs. */
function liveOutput(io: CliIo, streamText: boolean, quiet: boolean) {
  let failures = 0;
  const progress = progressLine(io, quiet);
  return {
    onCaseStart(c: ConformanceCase, index: number, total: number): void {
      if (!progress.enabled) return;
      const n = String(index + 1).padStart(String(total).length);
      const failed = failures > 0 ? ` ${failures} failed` : "";
      progress.update(`[${n}/${total}]${failed} ${c.id}`);
    },
    onResult(r: CaseResult): void {
      if (r.status === "fail") failures++;
      if (!streamText || (quiet && (r.status === "pass" || r.status === "skip"))) return;
      progress.clear();
      io.stdout(formatCaseResult(r) + "\n");
    },
    done: () => progress.clear(),
  };
}

/** Runs `conformance`; resolves to the exit code (its output goes through `io`). */
export async function runConformance(argv: readonly string[], io: CliIo): Promise<number | string> {
  const args = parseFlags("conformance", argv, {
    boolean: ["list", "quiet"],
    string: ["target", "driver", "filter", "format", "out"],
  });
  if (args.help) return CONFORMANCE_HELP;
  if (args._.length > 0) {
    throw new UsageError(
      `conformance: unexpected argument "${args._[0]}"; select cases with --filter`,
    );
  }
  const format = String(args.format ?? "text");
  const render = chooseFormat("conformance", format, "text", FORMATS);
  const { target, reference } = await resolveTarget(String(args.target ?? "reference"));
  let driverName = "none";
  let cases = ALL_CASES;
  if (reference) {
    const driver = await resolveDriverCases(String(args.driver ?? "linux"));
    driverName = driver.name;
    cases = assertUniqueIds([...ALL_CASES, ...driver.cases]);
  } else if (args.driver !== undefined) {
    throw new UsageError(
      "conformance: --driver needs --target reference (driver scenarios run against the " +
        "reference controller)",
    );
  }
  if (args.filter !== undefined) {
    try {
      cases = selectCases(String(args.filter), cases);
    } catch (e) {
      if (e instanceof CaseFilterError) throw new UsageError(`conformance: ${e.message}`);
      throw e;
    }
  }
  if (cases.length === 0) throw new UsageError("conformance: no cases to run");
  if (args.list) return listCases(cases, format === "json");

  const out = args.out === undefined ? undefined : String(args.out);
  const quiet = Boolean(args.quiet);
  const streamText = format === "text" && out === undefined;
  if (streamText && !quiet) io.stdout(textHeader(target.name, driverName, SPEC_VERSIONS) + "\n");
  const live = liveOutput(io, streamText, quiet);
  const report = runSuite(target, cases, { driver: driverName, ...live });
  live.done();
  const summary = summaryLine(report.summary);
  const code = runSucceeded(report.summary) ? 0 : 1;
  if (out === undefined) {
    io.stdout(streamText ? summary + "\n" : render(report));
    return code;
  }
  try {
    Deno.writeTextFileSync(out, render(report));
  } catch (e) {
    // Never lose results: the report goes to stdout instead.
    io.stdout(render(report));
    io.stderr(`nvme-harness: conformance: cannot write report to ${out}: ${errorText(e)}\n`);
    return 1;
  }
  io.stdout(summary + "\n");
  return code;
}
