/**
 * Chrome / Perfetto trace JSON with one track per side and per queue: each command is a slice on
 * the host track of its queue from the SQE written to the CQE consumed, and on the device track
 * from fetch to the CQE posted; doorbells, interrupts, wake-ups and EventIdx updates are instant
 * events. Open the file in https://ui.perfetto.dev (or chrome://tracing). Events read from QEMU's
 * own trace log (the QEMU platform) go to a separate "QEMU" process beside the host's. Check a
 * file with `validateTraceJson` (`trace_perfetto_schema.ts`).
 *
 * @example
 * ```ts
 * import { renderPerfetto } from "./trace_perfetto.ts";
 * const json = JSON.parse(renderPerfetto([
 *   { t: 1000, side: "host", fn: 0, type: "sqe_written", qid: 1, slot: 0, opcode: 2, cid: 7, nsid: 1 },
 *   { t: 9000, side: "host", fn: 0, type: "cqe_consumed", qid: 1, slot: 0, cid: 7, status: 0, phase: 1 },
 * ]));
 * const slice = json.traceEvents.find((e: { ph: string }) => e.ph === "X");
 * if (slice.dur !== 8) throw new Error("8 µs");
 * ```
 *
 * @module
 */

import { opcodeInfo } from "../spec/opcodes.ts";
import { describeEvent, eventQueue } from "./trace_timeline.ts";
import type { TraceEvent } from "./trace_events.ts";

/** One trace-event JSON object (the subset written). */
export interface PerfettoEvent {
  /** Name. */
  readonly name: string;
  /** Category. */
  readonly cat: string;
  /** Phase: X complete slice, i instant, M metadata. */
  readonly ph: "X" | "i" | "M";
  /** Start in µs. */
  readonly ts: number;
  /** Duration in µs (slices). */
  readonly dur?: number;
  /** Process: PCI function. */
  readonly pid: number;
  /** Thread: side × queue track. */
  readonly tid: number;
  /** Instant scope. */
  readonly s?: "t";
  /** Arguments. */
  readonly args: Record<string, unknown>;
}

const SIDE_BASE = { host: 1000, device: 2000, platform: 3000 } as const;
/** Track id for events without a queue. */
const NO_QUEUE = 999;
/** Process id for QEMU's events when its log had no pid: above Linux's largest pid (2^22). */
export const QEMU_PERFETTO_PID: number = 2 ** 22 + 1;

/** The Perfetto process of an event: QEMU's pid for QEMU's events, else the PCI function. */
function processOf(e: TraceEvent): number {
  return e.qemu ? e.qemu.pid ?? QEMU_PERFETTO_PID : e.fn;
}

function track(side: keyof typeof SIDE_BASE, q: number | null): number {
  return SIDE_BASE[side] + (q === null ? NO_QUEUE : q);
}

/** Renders events as Perfetto-loadable JSON (`{"traceEvents": [...]}`). */
export function renderPerfetto(events: readonly TraceEvent[]): string {
  const out: PerfettoEvent[] = [];
  const tracks = new Map<string, { pid: number; tid: number; label: string }>();
  const qemuPids = new Set<number>();
  const open = new Map<string, { t: number; name: string; args: Record<string, unknown> }>();
  const us = (ns: number) => ns / 1000;
  const begin = (key: string, e: TraceEvent, name: string, args: Record<string, unknown>) =>
    open.set(key, { t: e.t, name, args });
  const end = (key: string, e: TraceEvent, tid: number, extra: Record<string, unknown>) => {
    const b = open.get(key);
    if (!b) return false;
    open.delete(key);
    out.push({
      name: b.name,
      cat: "command",
      ph: "X",
      ts: us(b.t),
      dur: us(e.t - b.t),
      pid: processOf(e),
      tid,
      args: { ...b.args, ...extra },
    });
    return true;
  };
  for (const e of events) {
    const q = eventQueue(e);
    const tid = track(e.side, q);
    const pid = processOf(e);
    if (e.qemu) qemuPids.add(pid);
    const key = `${pid}:${tid}`;
    if (!tracks.has(key)) {
      tracks.set(key, { pid, tid, label: `${e.side} ${q === null ? "controller" : `Q${q}`}` });
    }
    const name = (qid: number, opcode: number) =>
      opcodeInfo(opcode, qid === 0)?.name ?? `opcode 0x${opcode.toString(16)}`;
    if (e.type === "sqe_written") {
      begin(`h${e.fn}:${e.qid}:${e.cid}`, e, name(e.qid, e.opcode), {
        cid: e.cid,
        slot: e.slot,
        nsid: e.nsid,
      });
      continue;
    }
    if (
      e.type === "cqe_consumed" && end(`h${e.fn}:${e.qid}:${e.cid}`, e, tid, {
        status: e.status,
        phase: e.phase,
      })
    ) continue;
    if (e.type === "io_cmd" || e.type === "admin_cmd") {
      begin(`d${e.fn}:${e.sqid}:${e.cid}`, e, name(e.sqid, e.opcode), { cid: e.cid });
      continue;
    }
    if (
      e.type === "enqueue_req_completion" && end(`d${e.fn}:${e.cqid}:${e.cid}`, e, tid, {
        status: e.status,
      })
    ) continue;
    out.push({
      name: describeEvent(e),
      cat: e.side,
      ph: "i",
      ts: us(e.t),
      pid,
      tid,
      s: "t",
      args: { type: e.type },
    });
  }
  const slices = laneSlices(out, tracks);
  const meta: PerfettoEvent[] = [...tracks.values()].map(({ pid, tid, label }) => ({
    name: "thread_name",
    cat: "__metadata",
    ph: "M",
    ts: 0,
    pid,
    tid,
    args: { name: label },
  }));
  if (qemuPids.size > 0) {
    // Name the processes only when QEMU's trace is in: the reference output stays as it was.
    const pids = new Set([...tracks.values()].map((t) => t.pid));
    for (const pid of pids) {
      meta.push({
        name: "process_name",
        cat: "__metadata",
        ph: "M",
        ts: 0,
        pid,
        tid: 0,
        args: {
          name: qemuPids.has(pid) ? `QEMU (pid ${pid})` : `nvme-harness host (function ${pid})`,
        },
      });
    }
  }
  return JSON.stringify({ traceEvents: [...meta, ...slices], displayTimeUnit: "ns" });
}

/** Tid step between the lanes of one track. */
const LANE_STRIDE = 10_000;

/**
 * Commands in flight together on one queue (e.g. Linux deleting its I/O queues in parallel) would
 * partly overlap on one thread, which Perfetto cannot nest: each such slice moves to the first
 * extra lane of its track (`tid + k·LANE_STRIDE`, named "… lane k+1") where it does not overlap.
 */
function laneSlices(
  out: readonly PerfettoEvent[],
  tracks: Map<string, { pid: number; tid: number; label: string }>,
): PerfettoEvent[] {
  const laneEnds = new Map<string, number[]>();
  const order = out.map((_, i) => i).filter((i) => out[i].ph === "X")
    .sort((a, b) => out[a].ts - out[b].ts || a - b);
  const result = [...out];
  for (const i of order) {
    const e = out[i];
    const key = `${e.pid}:${e.tid}`;
    const ends = laneEnds.get(key) ?? [];
    laneEnds.set(key, ends);
    let lane = ends.findIndex((end) => end <= e.ts);
    if (lane < 0) lane = ends.push(0) - 1;
    ends[lane] = e.ts + (e.dur ?? 0);
    if (lane === 0) continue;
    const tid = e.tid + lane * LANE_STRIDE;
    result[i] = { ...e, tid };
    const base = tracks.get(key);
    const laneKey = `${e.pid}:${tid}`;
    if (base && !tracks.has(laneKey)) {
      tracks.set(laneKey, { pid: e.pid, tid, label: `${base.label} lane ${lane + 1}` });
    }
  }
  return result;
}
