// `sweep`: the benchmark sweep of completion modes × doorbell schemes × coalescing × queue depth ×
// queue count × driver, under a cost model. Prints the report (text, JSON or Markdown) and, with
// --out, writes sweep.json, sweep.md and the SVG charts; with --qemu it also cross-checks doorbell
// counts against QEMU over qtest (skipped with a one-line note when QEMU cannot run). Exit 0 when
// every row ran, 1 when a row failed or the files could not be written, 2 for usage errors.

import { join } from "node:path";
import { sweepCharts } from "../bench/charts_svg.ts";
import { COST_CONSTANTS, CostModelError, parseCostOverrides } from "../bench/cost_model.ts";
import { renderJsonReport } from "../bench/report_json.ts";
import { renderMarkdownReport } from "../bench/report_markdown.ts";
import { renderTextReport } from "../bench/report_text.ts";
import { skippedNote } from "../bench/report_crosscheck.ts";
import { CROSSCHECK_IOS } from "../bench/qemu_crosscheck.ts";
import {
  FULL_IOS,
  QUICK_IOS,
  runSweepMatrix,
  type SweepResult,
  sweepSucceeded,
} from "../bench/sweep.ts";
import { chooseFormat, parseFlags, UsageError } from "./_args.ts";
import type { CliIo } from "./_io.ts";
import { progressLine } from "./_progress.ts";

/** Report formats and their renderers. */
const FORMATS: Readonly<Record<string, (result: SweepResult) => string>> = {
  text: renderTextReport,
  json: renderJsonReport,
  markdown: renderMarkdownReport,
};

/** Help text for `sweep`. */
export const SWEEP_HELP = `Benchmark sweep: interrupt vs polled completion and doorbell options.

Usage:
  deno task sweep [options]

Runs 4 KiB random reads and writes through the Linux-like and SPDK-like driver models against the
reference controller, for every combination of
  completion   interrupt | polled | hybrid (interrupt queues + a polled hot queue)
  doorbells    mmio | shadow-eventidx-interrupt | shadow-eventidx-polling
  coalescing   off | 2, 4, 8 completions per interrupt (100 us bound)   (interrupt modes only)
  QD           1 2 4 8 16 32 64 128          queues  1 2 4           driver  linux | spdk
and reports per I/O: SQ tail and CQ head MMIO writes, interrupts, wake-ups, host polls,
controller shadow polls; modelled mean/p99 latency, IOPS and vCPU time under the cost model;
and the harness's own wall-clock time per I/O. It also reruns the QEMU shadow-doorbell anchor
(MMIO writes per I/O at QD 1/2/4/8) and says why the numbers differ.

With --qemu it cross-checks the model against a real QEMU (>= 7.2, over qtest; needs
--allow-run): the same 4 KiB random-read workload through the Linux-like driver (MSI-X, one I/O
queue) at QD 1 2 4 8 16 32 (1 2 4 8 with --quick), with and without shadow doorbells, on QEMU and
on the reference controller in the same timing regime; it reports measured SQ tail / CQ head
MMIO writes per I/O side by side with the anchor-profile model and the published series.
${CROSSCHECK_IOS} measured I/Os per point, a few seconds in all. When QEMU cannot run, a line
"QEMU cross-check skipped: <reason>" goes to stderr and the sweep still succeeds.

Options:
  --quick            a small subset (one queue, random reads, QD 1 2 4 8 32 128); seconds
  --format F         text (default) | json | markdown
  --out DIR          also write DIR/sweep.json, DIR/sweep.md and SVG charts (MMIO/IO, IOPS,
                     interrupts/IO against QD, one line per option; the anchor chart)
  --cost NAME=NS     override one cost-model constant (repeatable); constants:
${
  COST_CONSTANTS.map((c) => `                       ${c.name.padEnd(21)} default ${c.defaultNs}`)
    .join("\n")
}
  --ios N            measured I/Os per row (default ${QUICK_IOS} with --quick, else ${FULL_IOS})
  --seed N           seed of the random LBAs (default 1)
  --qemu             also run the QEMU cross-check (see above; QEMU from $NVME_HARNESS_QEMU
                     or qemu-system-x86_64 on PATH)
  --quiet            no progress line on stderr (it is drawn only on a terminal anyway)
  -h, --help         this help

The report always lists every cost constant used, with its source, and marks overrides. A
driver model that cannot be loaded is skipped with a note (not a failure).

Exit codes: 0 every row ran, 1 a row or a cross-check point failed or --out could not be
written, 2 usage error. A skipped QEMU cross-check is not a failure.

Examples:
  deno task sweep --quick
  deno task sweep --quick --format json | jq '.rows[] | {doorbell, qd, mmioWritesPerIo}'
  deno task sweep --out /tmp/sweep --format markdown
  deno task sweep --quick --cost mediaReadNs=80000 --cost mmioExitNs=2000
  deno task sweep --quick --qemu --format markdown
  deno task sweep --quick --qemu --format json | jq '.crossCheck.rows[] |
      {qd, shadow, qemu: .qemu.doorbells.totalPerIo, model: .model.doorbells.totalPerIo}'
`;

/** Pulls every `--cost X` / `--cost=X` out of argv (repeatable), returning the rest. */
export function extractCostFlags(argv: readonly string[]): { costs: string[]; rest: string[] } {
  const costs: string[] = [];
  const rest: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--cost") {
      const v = argv[i + 1];
      if (v === undefined || v.startsWith("--")) {
        throw new UsageError("sweep: --cost needs NAME=NS; see `sweep --help`");
      }
      costs.push(v);
      i++;
    } else if (a.startsWith("--cost=")) costs.push(a.slice("--cost=".length));
    else rest.push(a);
  }
  return { costs, rest };
}

function positiveInt(name: string, value: unknown, min: number): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) {
    throw new UsageError(`sweep: --${name} ${value}: give an integer >= ${min}`);
  }
  return n;
}

/** Writes the report files into `dir`; returns how many were written. */
function writeOutputs(dir: string, result: SweepResult): number {
  Deno.mkdirSync(dir, { recursive: true });
  const files = [
    { file: "sweep.json", text: renderJsonReport(result) },
    { file: "sweep.md", text: renderMarkdownReport(result) },
    ...sweepCharts(result).map((c) => ({ file: c.file, text: c.svg })),
  ];
  for (const f of files) Deno.writeTextFileSync(join(dir, f.file), f.text);
  return files.length;
}

/**
 * Runs `sweep`; resolves to the exit code (output goes through `io`). A usage error throws
 * {@linkcode UsageError}, which `main()` reports as exit 2 like every command's.
 */
export async function runSweep(argv: readonly string[], io: CliIo): Promise<number> {
  const { costs, rest } = extractCostFlags(argv);
  const args = parseFlags("sweep", rest, {
    boolean: ["quick", "quiet", "qemu"],
    string: ["format", "out", "ios", "seed"],
  });
  if (args.help) {
    io.stdout(SWEEP_HELP);
    return 0;
  }
  if (args._.length > 0) throw new UsageError(`sweep: unexpected argument "${args._[0]}"`);
  const render = chooseFormat("sweep", args.format, "text", FORMATS);
  let cost;
  try {
    cost = parseCostOverrides(costs);
  } catch (e) {
    if (e instanceof CostModelError) throw new UsageError(`sweep: ${e.message}`);
    throw e;
  }
  const ios = positiveInt("ios", args.ios, 1);
  const seed = positiveInt("seed", args.seed, 0);
  const progress = progressLine(io, Boolean(args.quiet));
  const result = await runSweepMatrix({
    quick: Boolean(args.quick),
    cost,
    ios,
    seed,
    qemuCrossCheck: Boolean(args.qemu),
    onRow: progress.enabled
      ? (row, i, n) => progress.update(`[${i + 1}/${n}] ${row.series} QD${row.qd}`)
      : undefined,
    onCrossCheckRow: progress.enabled
      ? (row, i, n) =>
        progress.update(
          `[QEMU ${i + 1}/${n}] QD${row.qd} shadow ${row.shadow ? "on" : "off"}: ` +
            `${row.qemu?.doorbells.totalPerIo.toFixed(2) ?? "-"} MMIO/IO`,
        )
      : undefined,
  });
  progress.clear();
  if (result.crossCheck?.skipped) io.stderr(`${skippedNote(result.crossCheck.skipped)}\n`);
  io.stdout(render(result));
  let code = sweepSucceeded(result) ? 0 : 1;
  if (args.out !== undefined) {
    const dir = String(args.out);
    try {
      const n = writeOutputs(dir, result);
      io.stderr(`sweep: wrote ${n} files to ${dir}\n`);
    } catch (e) {
      io.stderr(
        `nvme-harness: sweep: cannot write to ${dir}: ${e instanceof Error ? e.message : e}\n`,
      );
      code = 1;
    }
  }
  return code;
}
