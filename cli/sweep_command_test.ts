import { assert, assertEquals, assertStringIncludes } from "@std/assert";
import { COST_CONSTANTS } from "../bench/cost_model.ts";
import { qemuAvailable } from "../platform/qtest/available.ts";
import { QEMU_BINARY_ENV } from "../platform/qtest/options.ts";
import { main } from "../cli.ts";
import { extractCostFlags } from "./sweep_command.ts";
import { assertUsageExit, captureRun } from "./_test_helpers.ts";

// In-process runs of the real command line through main(), output captured through CliIo.

const sweep = (args: readonly string[]) => captureRun((io) => main(["sweep", ...args], io));

/** Exit 2, one line on stderr containing `text`, nothing on stdout. */
async function assertUsageError(args: readonly string[], text: string): Promise<void> {
  assertUsageExit(await sweep(args), args.join(" "), text);
}

const tmp = Deno.makeTempDirSync({ prefix: "sweep_cli_test_" });
globalThis.addEventListener("unload", () => Deno.removeSync(tmp, { recursive: true }));

Deno.test("sweep --help lists every flag and cost constant", async () => {
  const r = await sweep(["--help"]);
  assertEquals(r.code, 0);
  const flags = [
    "--quick",
    "--format",
    "--out",
    "--cost",
    "--ios",
    "--seed",
    "--qemu",
    "Exit codes",
  ];
  for (const flag of flags) {
    assertStringIncludes(r.stdout, flag);
  }
  for (const c of COST_CONSTANTS) assertStringIncludes(r.stdout, c.name);
});

Deno.test("sweep usage errors exit 2 with one line", async () => {
  await assertUsageError(["--cost", "vmExitNs=3"], 'unknown cost "vmExitNs"');
  await assertUsageError(["--cost=mmioExitNs=-4"], "mmioExitNs=-4");
  await assertUsageError(["--cost"], "--cost needs NAME=NS");
  await assertUsageError(["--format", "csv"], 'unknown format "csv"');
  // Only the formats' own names: not what every object inherits.
  await assertUsageError(["--format", "constructor"], 'unknown format "constructor"');
  await assertUsageError(["--ios", "0"], "--ios 0");
  await assertUsageError(["--seed", "x"], "--seed x");
  await assertUsageError(["--bogus"], 'unknown flag "--bogus"');
  await assertUsageError(["quick"], 'unexpected argument "quick"');
});

Deno.test("extractCostFlags takes both spellings and leaves the rest", () => {
  const r = extractCostFlags(["--quick", "--cost", "a=1", "--cost=b=2", "--format", "json"]);
  assertEquals(r.costs, ["a=1", "b=2"]);
  assertEquals(r.rest, ["--quick", "--format", "json"]);
});

Deno.test("sweep --quick --format json runs in-process and answers the issue's questions", async () => {
  const r = await sweep(["--quick", "--format", "json", "--cost", "mmioExitNs=5000"]);
  assertEquals(r.code, 0, r.stderr);
  const json = JSON.parse(r.stdout);
  assertEquals(json.matrix, "quick");
  assertEquals(json.cost.mmioExitNs, 5000);
  assertEquals(json.costOverrides, ["mmioExitNs"]);
  type Row = Record<string, number | string | null>;
  const rows: Row[] = json.rows;
  assert(rows.length > 50, `${rows.length} rows`);
  for (const row of rows) assertEquals(row.error, null, String(row.series));
  // MMIO doorbells: one SQ tail write per I/O at every depth (the window's edges aside).
  for (const row of rows.filter((x) => x.doorbell === "mmio")) {
    assert(Math.abs((row.sqTailMmioPerIo as number) - 1) < 0.05, `${row.series} QD${row.qd}`);
  }
  // Shadow doorbells with the polling policy: well below 1 MMIO write per I/O from QD4 on.
  for (const row of rows.filter((x) => x.doorbell === "shadow-eventidx-polling")) {
    if ((row.qd as number) >= 4) assert((row.mmioWritesPerIo as number) < 0.5, `${row.series}`);
  }
  // Polled completion: zero interrupts per I/O.
  for (const row of rows.filter((x) => x.completion === "polled")) {
    assertEquals(row.interruptsPerIo, 0, `${row.series} QD${row.qd}`);
  }
  // Coalescing: fewer interrupts per I/O as the threshold grows (at QD32).
  const coalesced = rows
    .filter((x) => x.completion === "interrupt" && x.doorbell === "mmio" && x.qd === 32)
    .map((x) => [x.coalescingLabel, x.interruptsPerIo as number] as const);
  const order = ["off", "2/100us", "4/100us", "8/100us"];
  const irq = order.map((label) => coalesced.find(([l]) => l === label)![1]);
  for (let i = 1; i < irq.length; i++) assert(irq[i] < irq[i - 1], `${order[i]}: ${irq}`);
  assertEquals(json.anchor.points.length, 4);
});

Deno.test("sweep --out writes JSON, Markdown and SVG charts; text report on stdout", async () => {
  const out = `${tmp}/report`;
  const r = await sweep(["--quick", "--ios", "40", "--out", out]);
  assertEquals(r.code, 0, r.stderr);
  assertStringIncludes(r.stdout, "cost model (ns; override with --cost name=value):");
  const files = [...Deno.readDirSync(out)].map((e) => e.name).sort();
  for (
    const f of [
      "sweep.json",
      "sweep.md",
      "mmio-per-io_randread_q1.svg",
      "iops_randread_q1.svg",
      "interrupts-per-io_randread_q1.svg",
      "anchor_mmio-per-io.svg",
    ]
  ) assert(files.includes(f), `${f} in ${files}`);
  assertEquals(JSON.parse(Deno.readTextFileSync(`${out}/sweep.json`)).iosPerRow, 40);
  assertStringIncludes(r.stderr, `wrote ${files.length} files to ${out}`);
});

Deno.test("sweep --out into something that is not a directory: report still printed, exit 1", async () => {
  const file = `${tmp}/plain-file`;
  Deno.writeTextFileSync(file, "");
  const r = await sweep(["--quick", "--ios", "20", "--format", "markdown", "--out", file]);
  assertEquals(r.code, 1);
  assertStringIncludes(r.stdout, "# nvme-harness sweep");
  assertStringIncludes(r.stderr, `cannot write to ${file}`);
});

Deno.test("sweep --qemu without a usable QEMU: one stderr line, the report says so, exit 0", async () => {
  const previous = Deno.env.get(QEMU_BINARY_ENV);
  Deno.env.set(QEMU_BINARY_ENV, `${tmp}/no-such-qemu`);
  try {
    const r = await sweep(["--quick", "--ios", "20", "--qemu", "--format", "json"]);
    assertEquals(r.code, 0, r.stderr);
    const lines = r.stderr.trimEnd().split("\n");
    assertEquals(lines.length, 1, r.stderr);
    assertStringIncludes(lines[0], `QEMU cross-check skipped: ${tmp}/no-such-qemu not found`);
    const json = JSON.parse(r.stdout);
    assertStringIncludes(json.crossCheck.skipped, "not found");
    assertEquals(json.crossCheck.rows, []);
  } finally {
    if (previous === undefined) Deno.env.delete(QEMU_BINARY_ENV);
    else Deno.env.set(QEMU_BINARY_ENV, previous);
  }
});

const qemu = qemuAvailable();
if (!qemu.ok) console.warn(`sweep --qemu test skipped: ${qemu.reason}`);

Deno.test({
  name: `sweep --quick --qemu adds the QEMU cross-check section${
    qemu.ok ? "" : ` [skipped: ${qemu.reason}]`
  }`,
  ignore: !qemu.ok,
  async fn() {
    const r = await sweep(["--quick", "--ios", "20", "--qemu", "--format", "markdown"]);
    assertEquals(r.code, 0, r.stderr);
    assertEquals(r.stderr, "", "no note when QEMU ran");
    assertStringIncludes(r.stdout, "## QEMU cross-check: MMIO doorbell writes per I/O");
    const lines = r.stdout.split("\n");
    const start = lines.findIndex((l) => l.startsWith("| QD | shadow"));
    assert(start > 0);
    const body: string[] = [];
    for (let i = start + 2; lines[i]?.startsWith("|"); i++) body.push(lines[i]);
    assertEquals(body.length, 8, "QD 1 2 4 8, without and with shadow doorbells");
    assertStringIncludes(body[0], "| 1 | off | 1.00 + 1.00 = 2.00 | 1.00 + 1.00 = 2.00 |");
  },
});
