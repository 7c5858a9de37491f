/**
 * Hand-written SVG line charts of the sweep: MMIO writes per I/O, IOPS and interrupts per I/O
 * against queue depth, one line per option, plus the QEMU anchor chart. Each file stands alone —
 * title, axis labels, ticks, grid and legend are in the SVG, nothing is loaded — so it opens in
 * any browser or image viewer. The x axis is log2 (queue depths 1..128 are evenly spaced).
 *
 * @example
 * ```ts
 * import { renderLineChart } from "./charts_svg.ts";
 * const svg = renderLineChart({
 *   title: "t", xLabel: "QD", yLabel: "MMIO/IO", xTicks: [1, 2, 4],
 *   series: [{ name: "a", points: [[1, 2], [2, 2], [4, 1]] }],
 * });
 * if (!svg.startsWith("<?xml") || !svg.includes("<title>a</title>")) throw new Error();
 * ```
 *
 * @module
 */

import type { SweepResult } from "./sweep.ts";
import { QEMU_SHADOW_DOORBELL_SERIES } from "./sweep_anchor.ts";
import type { SweepRow } from "./sweep_row.ts";

/** One line of a chart. */
export interface ChartSeries {
  /** Legend text. */
  readonly name: string;
  /** (x, y) points; a non-finite y breaks the line. */
  readonly points: readonly (readonly [number, number])[];
  /** Draw dashed (published data in the anchor chart). */
  readonly dashed?: boolean;
  /** Stroke colour (default: by position in the palette). */
  readonly color?: string;
  /** SVG `stroke-dasharray` (default: solid, or by position past the palette's length). */
  readonly dash?: string;
}

/** A chart. */
export interface ChartSpec {
  /** Title above the plot. */
  readonly title: string;
  /** X axis label. */
  readonly xLabel: string;
  /** Y axis label. */
  readonly yLabel: string;
  /** X tick values (log2 axis: powers of two). */
  readonly xTicks: readonly number[];
  /** The lines. */
  readonly series: readonly ChartSeries[];
}

/** A chart file: its name and SVG text. */
export interface ChartFile {
  /** File name (no directory). */
  readonly file: string;
  /** The SVG document. */
  readonly svg: string;
}

const WIDTH = 1000;
const HEIGHT = 520;
const PLOT = { left: 80, top: 60, right: 610, bottom: 450 };
const LEGEND_X = 640;
const LEGEND_LINE = 18;
/** Tableau 10: distinguishable, print-safe colours. */
const PALETTE = [
  "#4e79a7",
  "#f28e2b",
  "#e15759",
  "#76b7b2",
  "#59a14f",
  "#edc948",
  "#b07aa1",
  "#ff9da7",
  "#9c755f",
  "#bab0ac",
];
const DASHES = ["", "8 4", "2 3", "10 3 2 3"];
const MAX_STROKE = 5;
const MIN_STROKE = 1.5;
const STROKE_STEP = 0.35;

/** Escapes text for XML content and attribute values. */
export function xmlEscape(text: string): string {
  return text.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;")
    .replaceAll('"', "&quot;").replaceAll("'", "&apos;");
}

/** A "nice" tick step (1, 2 or 5 × 10^k) giving about `count` ticks up to `max`. */
export function niceStep(max: number, count = 5): number {
  if (!(max > 0)) return 1;
  const raw = max / count;
  const pow = 10 ** Math.floor(Math.log10(raw));
  const m = raw / pow;
  return (m <= 1 ? 1 : m <= 2 ? 2 : m <= 5 ? 5 : 10) * pow;
}

const r2 = (x: number) => Math.round(x * 100) / 100;

/** Renders one chart as a standalone SVG document. */
export function renderLineChart(spec: ChartSpec): string {
  const xs = spec.xTicks.map(Math.log2);
  const xMin = Math.min(...xs), xMax = Math.max(...xs);
  const ys = spec.series.flatMap((s) => s.points.map((p) => p[1])).filter(Number.isFinite);
  const step = niceStep(Math.max(0, ...ys) * 1.05);
  const yMax = Math.max(step, Math.ceil((Math.max(0, ...ys) * 1.05) / step) * step);
  const px = (x: number) =>
    r2(PLOT.left + ((Math.log2(x) - xMin) / (xMax - xMin || 1)) * (PLOT.right - PLOT.left));
  const py = (y: number) => r2(PLOT.bottom - (y / yMax) * (PLOT.bottom - PLOT.top));
  const decimals = step < 1 ? Math.ceil(-Math.log10(step)) : 0;
  const out: string[] = [
    `<?xml version="1.0" encoding="UTF-8"?>`,
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" ` +
    `viewBox="0 0 ${WIDTH} ${HEIGHT}" font-family="sans-serif" font-size="12">`,
    `<title>${xmlEscape(spec.title)}</title>`,
    `<rect width="${WIDTH}" height="${HEIGHT}" fill="white"/>`,
    `<text x="${WIDTH / 2}" y="28" text-anchor="middle" font-size="16" font-weight="bold">` +
    `${xmlEscape(spec.title)}</text>`,
    `<g class="grid" stroke="#e0e0e0">`,
  ];
  for (let y = 0; y <= yMax + step / 2; y += step) {
    out.push(`<line x1="${PLOT.left}" y1="${py(y)}" x2="${PLOT.right}" y2="${py(y)}"/>`);
  }
  for (const x of spec.xTicks) {
    out.push(`<line x1="${px(x)}" y1="${PLOT.top}" x2="${px(x)}" y2="${PLOT.bottom}"/>`);
  }
  out.push(`</g>`, `<g class="axes" stroke="black">`);
  out.push(`<line x1="${PLOT.left}" y1="${PLOT.bottom}" x2="${PLOT.right}" y2="${PLOT.bottom}"/>`);
  out.push(`<line x1="${PLOT.left}" y1="${PLOT.top}" x2="${PLOT.left}" y2="${PLOT.bottom}"/>`);
  out.push(`</g>`, `<g class="ticks">`);
  for (let y = 0; y <= yMax + step / 2; y += step) {
    out.push(
      `<text x="${PLOT.left - 8}" y="${r2(py(y) + 4)}" text-anchor="end">` +
        `${y.toFixed(decimals)}</text>`,
    );
  }
  for (const x of spec.xTicks) {
    out.push(`<text x="${px(x)}" y="${PLOT.bottom + 18}" text-anchor="middle">${x}</text>`);
  }
  out.push(`</g>`);
  out.push(
    `<text x="${(PLOT.left + PLOT.right) / 2}" y="${PLOT.bottom + 42}" text-anchor="middle">` +
      `${xmlEscape(spec.xLabel)}</text>`,
    `<text transform="translate(22 ${(PLOT.top + PLOT.bottom) / 2}) rotate(-90)" ` +
      `text-anchor="middle">${xmlEscape(spec.yLabel)}</text>`,
  );
  spec.series.forEach((s, i) => out.push(...seriesSvg(s, i, px, py)));
  out.push(`<g class="legend">`);
  spec.series.forEach((s, i) => {
    const y = PLOT.top + i * LEGEND_LINE;
    const { color, dash } = styleOf(s, i);
    out.push(
      `<line x1="${LEGEND_X}" y1="${y}" x2="${LEGEND_X + 28}" y2="${y}" stroke="${color}" ` +
        `stroke-width="3"${dash}/>`,
      `<text x="${LEGEND_X + 36}" y="${y + 4}">${xmlEscape(s.name)}</text>`,
    );
  });
  out.push(`</g>`, `</svg>`);
  return out.join("\n") + "\n";
}

function styleOf(s: ChartSeries, i: number): { color: string; dash: string; width: number } {
  const pattern = s.dash ??
    (s.dashed ? DASHES[1] : DASHES[Math.floor(i / PALETTE.length) % DASHES.length]);
  return {
    color: s.color ?? PALETTE[i % PALETTE.length],
    dash: pattern ? ` stroke-dasharray="${pattern}"` : "",
    // Earlier lines are drawn wider, so a later line lying on top leaves them visible.
    width: Math.max(MIN_STROKE, MAX_STROKE - STROKE_STEP * i),
  };
}

function seriesSvg(
  s: ChartSeries,
  i: number,
  px: (x: number) => number,
  py: (y: number) => number,
): string[] {
  const { color, dash, width } = styleOf(s, i);
  let d = "";
  let pen = false;
  const dots: string[] = [];
  for (const [x, y] of s.points) {
    if (!Number.isFinite(y)) {
      pen = false;
      continue;
    }
    d += `${pen ? "L" : "M"}${px(x)} ${py(y)} `;
    pen = true;
    dots.push(
      `<circle cx="${px(x)}" cy="${py(y)}" r="3" fill="${color}">` +
        `<title>${xmlEscape(`${s.name}: QD ${x} -> ${r2(y)}`)}</title></circle>`,
    );
  }
  return [
    `<g class="series">`,
    `<title>${xmlEscape(s.name)}</title>`,
    `<path d="${d.trim()}" fill="none" stroke="${color}" stroke-width="${r2(width)}"${dash}` +
    ` stroke-opacity="0.85"/>`,
    ...dots,
    `</g>`,
  ];
}

/** Colour of a (driver, doorbell scheme) pair; the completion mode picks the dash. */
const OPTION_COLORS: Readonly<Record<string, string>> = {
  "linux mmio": PALETTE[0],
  "linux shadow-eventidx-interrupt": PALETTE[1],
  "linux shadow-eventidx-polling": PALETTE[4],
  "spdk mmio": PALETTE[8],
  "spdk shadow-eventidx-interrupt": PALETTE[6],
  "spdk shadow-eventidx-polling": PALETTE[2],
};
const COMPLETION_DASH: Readonly<Record<string, string>> = {
  interrupt: DASHES[0],
  polled: DASHES[1],
  hybrid: DASHES[2],
};

/** Groups rows into lines: `key(row)` names the line, points are (QD, value(row)). */
function linesOf(
  rows: readonly SweepRow[],
  key: (r: SweepRow) => string,
  value: (r: SweepRow) => number,
  style: (r: SweepRow) => { color?: string; dash?: string } = () => ({}),
): ChartSeries[] {
  const byKey = new Map<string, { first: SweepRow; points: [number, number][] }>();
  for (const r of rows) {
    const k = key(r);
    if (!byKey.has(k)) byKey.set(k, { first: r, points: [] });
    byKey.get(k)!.points.push([r.qd, value(r)]);
  }
  return [...byKey].map(([name, { first, points }]) => ({
    name,
    points: points.sort((a, b) => a[0] - b[0]),
    ...style(first),
  }));
}

/** One colour per coalescing setting (in order of appearance), the dash by completion mode. */
function coalescingStyle(rows: readonly SweepRow[], r: SweepRow): { color: string; dash: string } {
  const labels = [...new Set(rows.map((x) => x.coalescingLabel))];
  return {
    color: PALETTE[labels.indexOf(r.coalescingLabel) % PALETTE.length],
    dash: COMPLETION_DASH[r.completion],
  };
}

const optionStyle = (r: SweepRow) => ({
  color: OPTION_COLORS[`${r.driver} ${r.doorbell}`],
  dash: COMPLETION_DASH[r.completion],
});

const ticksOf = (rows: readonly SweepRow[]) =>
  [...new Set(rows.map((r) => r.qd))].sort((a, b) => a - b);

/** Every chart of a sweep: per workload and queue count, plus the anchor chart. */
export function sweepCharts(result: SweepResult): ChartFile[] {
  const files: ChartFile[] = [];
  const groups = new Map<string, SweepRow[]>();
  for (const r of result.rows) {
    const k = `${r.workload}_q${r.queues}`;
    if (!groups.has(k)) groups.set(k, []);
    groups.get(k)!.push(r);
  }
  for (const [k, rows] of groups) {
    const [workload, q] = [rows[0].workload, rows[0].queues];
    const what = `4 KiB ${workload}, ${q} queue${q === 1 ? "" : "s"}`;
    const uncoalesced = rows.filter((r) => r.coalescingLabel === "off");
    const option = (r: SweepRow) => `${r.driver} ${r.completion} ${r.doorbell}`;
    const xTicks = ticksOf(rows);
    files.push({
      file: `mmio-per-io_${k}.svg`,
      svg: renderLineChart({
        title: `MMIO writes per I/O vs queue depth (${what}, no coalescing)`,
        xLabel: "queue depth (commands in flight)",
        yLabel: "MMIO writes per I/O (SQ tail + CQ head)",
        xTicks,
        series: linesOf(uncoalesced, option, (r) => r.mmioWritesPerIo, optionStyle),
      }),
    }, {
      file: `iops_${k}.svg`,
      svg: renderLineChart({
        title: `Modelled IOPS vs queue depth (${what}, no coalescing)`,
        xLabel: "queue depth (commands in flight)",
        yLabel: "thousand I/O per second (modelled)",
        xTicks,
        series: linesOf(uncoalesced, option, (r) => r.iops / 1000, optionStyle),
      }),
    });
    const interruptRows = rows.filter((r) => r.completion !== "polled" && r.doorbell === "mmio");
    if (interruptRows.some((r) => r.coalescingLabel !== "off")) {
      files.push({
        file: `interrupts-per-io_${k}.svg`,
        svg: renderLineChart({
          title: `Interrupts per I/O vs queue depth by coalescing (${what}, MMIO doorbells)`,
          xLabel: "queue depth (commands in flight)",
          yLabel: "MSI-X interrupts per I/O",
          xTicks,
          series: linesOf(
            interruptRows,
            (r) => `${r.driver} ${r.completion} coalescing ${r.coalescingLabel}`,
            (r) => r.interruptsPerIo,
            (r) => coalescingStyle(interruptRows, r),
          ),
        }),
      });
    }
  }
  if (result.anchor) files.push({ file: "anchor_mmio-per-io.svg", svg: anchorChart(result) });
  return files;
}

function anchorChart(result: SweepResult): string {
  const a = result.anchor!;
  const s = QEMU_SHADOW_DOORBELL_SERIES;
  const ours = (name: string, f: (p: (typeof a.points)[number]) => number): ChartSeries => ({
    name,
    points: a.points.map((p) => [p.qd, f(p)] as [number, number]),
  });
  // The device-bound profile (sweep_anchor.ts): one serial command worker.
  const bound = (name: string, f: (p: (typeof a.points)[number]) => number): ChartSeries => ({
    name,
    points: a.deviceBound.points.map((p) => [p.qd, f(p)] as [number, number]),
  });
  return renderLineChart({
    title: "MMIO writes per I/O: QEMU shadow doorbell series vs this model (anchor profiles)",
    xLabel: "queue depth (fio iodepth)",
    yLabel: "MMIO writes per I/O",
    xTicks: s.qds,
    series: [
      {
        name: "QEMU, no dbbuf (published)",
        points: s.qds.map((q, i) => [q, s.mmioPerIoWithout[i]]),
        dashed: true,
      },
      {
        name: "QEMU, dbbuf (published)",
        points: s.qds.map((q, i) => [q, s.mmioPerIoWith[i]]),
        dashed: true,
      },
      ours("ours, MMIO doorbells (total)", (p) => p.ours.mmio.total),
      ours(
        "ours, shadow + interrupt EventIdx (total)",
        (p) => p.ours["shadow-eventidx-interrupt"].total,
      ),
      ours(
        "ours, shadow + interrupt EventIdx (SQ tail)",
        (p) => p.ours["shadow-eventidx-interrupt"].sqTail,
      ),
      ours(
        "ours, shadow + polling EventIdx (total)",
        (p) => p.ours["shadow-eventidx-polling"].total,
      ),
      bound("ours device-bound, MMIO doorbells (total)", (p) => p.ours.mmio.total),
      bound(
        "ours device-bound, shadow + interrupt EventIdx (SQ tail)",
        (p) => p.ours["shadow-eventidx-interrupt"].sqTail,
      ),
    ],
  });
}
