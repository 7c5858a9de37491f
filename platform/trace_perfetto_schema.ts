/**
 * A checker for Chrome / Perfetto trace-event JSON (the "JSON Object Format" of the Trace Event
 * Format document that `ui.perfetto.dev` and `chrome://tracing` import): the top-level object,
 * every event's required fields by phase, metadata names, and what Perfetto's JSON importer
 * additionally needs to keep every slice: complete (`X`) slices on one thread must nest, never
 * partly overlap. It returns the problems found, so a test can print them all.
 *
 * @example
 * ```ts
 * import { validateTraceJson } from "./trace_perfetto_schema.ts";
 * const ok = { traceEvents: [{ name: "Read", ph: "X", ts: 1, dur: 2, pid: 0, tid: 1 }] };
 * if (validateTraceJson(ok).length !== 0) throw new Error();
 * const bad = { traceEvents: [{ name: "Read", ph: "X", ts: -1, pid: 0, tid: 1 }] };
 * if (validateTraceJson(bad).length !== 2) throw new Error("ts < 0 and no dur");
 * ```
 *
 * @module
 */

/** Phases of the Trace Event Format. */
const PHASES = new Set([
  "B",
  "E",
  "X",
  "i",
  "I",
  "C",
  "b",
  "n",
  "e",
  "s",
  "t",
  "f",
  "P",
  "N",
  "O",
  "D",
  "M",
  "R",
  "(",
  ")",
]);
/** Metadata event names. */
const METADATA = new Set([
  "process_name",
  "process_labels",
  "process_sort_index",
  "thread_name",
  "thread_sort_index",
]);
/** Instant event scopes: global, process, thread. */
const SCOPES = new Set(["g", "p", "t"]);
const TIME_UNITS = new Set(["ms", "ns"]);

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);
const isTime = (v: unknown): v is number => typeof v === "number" && Number.isFinite(v) && v >= 0;

/** Problems in one event (`at` names it in messages). */
function checkEvent(e: unknown, at: string): string[] {
  if (!isObject(e)) return [`${at}: not an object`];
  const p: string[] = [];
  const ph = e.ph;
  if (typeof ph !== "string" || !PHASES.has(ph)) p.push(`${at}: unknown phase ${String(ph)}`);
  if (typeof e.name !== "string") p.push(`${at}: name must be a string`);
  if (e.cat !== undefined && typeof e.cat !== "string") p.push(`${at}: cat must be a string`);
  if (!isTime(e.ts)) p.push(`${at}: ts must be a finite number >= 0 (µs)`);
  for (const k of ["pid", "tid"]) {
    if (!Number.isInteger(e[k])) p.push(`${at}: ${k} must be an integer`);
  }
  if (e.args !== undefined && !isObject(e.args)) p.push(`${at}: args must be an object`);
  if (ph === "X" && !isTime(e.dur)) p.push(`${at}: an X slice needs dur >= 0`);
  if ((ph === "i" || ph === "I") && e.s !== undefined && !SCOPES.has(e.s as string)) {
    p.push(`${at}: instant scope ${String(e.s)} is not g, p or t`);
  }
  if (ph === "M") {
    if (!METADATA.has(e.name as string)) p.push(`${at}: unknown metadata ${String(e.name)}`);
    const args = isObject(e.args) ? e.args : {};
    if (String(e.name).endsWith("_name") && typeof args.name !== "string") {
      p.push(`${at}: ${String(e.name)} needs args.name`);
    }
  }
  return p;
}

/** Complete slices on one thread must nest (Perfetto drops partly overlapping ones). */
function checkNesting(events: readonly Record<string, unknown>[]): string[] {
  const byThread = new Map<string, { ts: number; end: number; name: string }[]>();
  for (const e of events) {
    if (e.ph !== "X" || !isTime(e.ts) || !isTime(e.dur)) continue;
    const key = `${e.pid}/${e.tid}`;
    const list = byThread.get(key) ?? [];
    list.push({ ts: e.ts, end: e.ts + e.dur, name: String(e.name) });
    byThread.set(key, list);
  }
  const p: string[] = [];
  for (const [key, list] of byThread) {
    list.sort((a, b) => a.ts - b.ts || b.end - a.end);
    const stack: { end: number; name: string }[] = [];
    for (const s of list) {
      while (stack.length > 0 && stack[stack.length - 1].end <= s.ts) stack.pop();
      const top = stack[stack.length - 1];
      if (top && s.end > top.end) {
        p.push(
          `thread ${key}: slice "${s.name}" at ${s.ts} overlaps "${top.name}" without nesting`,
        );
      }
      stack.push(s);
    }
  }
  return p;
}

/** Checks a parsed trace JSON document; returns the problems (empty when it is valid). */
export function validateTraceJson(doc: unknown): string[] {
  if (!isObject(doc)) return ["the document must be an object with traceEvents"];
  if (!Array.isArray(doc.traceEvents)) return ["traceEvents must be an array"];
  const p: string[] = [];
  if (doc.displayTimeUnit !== undefined && !TIME_UNITS.has(doc.displayTimeUnit as string)) {
    p.push(`displayTimeUnit ${String(doc.displayTimeUnit)} is not ms or ns`);
  }
  doc.traceEvents.forEach((e, i) => p.push(...checkEvent(e, `traceEvents[${i}]`)));
  p.push(...checkNesting(doc.traceEvents.filter(isObject)));
  return p;
}
