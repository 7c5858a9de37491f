/**
 * A trace sink producing Chrome / Perfetto trace-event JSON (load it in `ui.perfetto.dev` or
 * `chrome://tracing`). Every event becomes an instant event on a track per PCI function (process)
 * and side (thread: host, device, platform), timestamped in microseconds of virtual time, with
 * the event body as `args`.
 *
 * @example
 * ```ts
 * import { ChromeTraceSink } from "./trace_chrome.ts";
 * const sink = new ChromeTraceSink();
 * sink.write({ type: "irq_msix", vector: 1, t: 2500, side: "device", fn: 0 });
 * const json = JSON.parse(sink.json());
 * if (json.traceEvents.at(-1).ts !== 2.5) throw new Error();
 * ```
 *
 * @module
 */

import type { TraceSink } from "./trace.ts";
import type { TraceEvent, TraceSide } from "./trace_events.ts";

/** One Chrome trace event (the subset this sink writes). */
export interface ChromeTraceEvent {
  /** Event name. */
  readonly name: string;
  /** Category. */
  readonly cat: string;
  /** Phase: "i" (instant) or "M" (metadata). */
  readonly ph: "i" | "M";
  /** Timestamp in microseconds. */
  readonly ts: number;
  /** Process id: PCI function index (platform-wide events use 0). */
  readonly pid: number;
  /** Thread id: 1 host, 2 device, 3 platform. */
  readonly tid: number;
  /** Instant event scope ("t" = thread). */
  readonly s?: "t";
  /** Event arguments. */
  readonly args: Record<string, unknown>;
}

const NS_PER_US = 1_000;
const TIDS: Record<TraceSide, number> = { host: 1, device: 2, platform: 3 };

/** Collects events as Chrome trace-event objects. */
export class ChromeTraceSink implements TraceSink {
  /** Events collected so far (thread-name metadata included). */
  readonly events: ChromeTraceEvent[] = [];
  #named = new Set<string>();

  /** Converts and stores one event. */
  write(event: TraceEvent): void {
    const pid = Math.max(event.fn, 0);
    const tid = TIDS[event.side];
    const key = `${pid}/${tid}`;
    if (!this.#named.has(key)) {
      this.#named.add(key);
      this.events.push({
        name: "thread_name",
        cat: "__metadata",
        ph: "M",
        ts: 0,
        pid,
        tid,
        args: { name: event.side },
      });
    }
    const { type, t: _t, side: _side, fn: _fn, ...args } = event as
      & TraceEvent
      & Record<string, unknown>;
    this.events.push({
      name: type,
      cat: event.side,
      ph: "i",
      ts: event.t / NS_PER_US,
      pid,
      tid,
      s: "t",
      args: Object.fromEntries(
        Object.entries(args).map(([k, v]) => [k, v instanceof Uint8Array ? [...v] : v]),
      ),
    });
  }

  /** The trace as a JSON document. */
  json(): string {
    return JSON.stringify({ traceEvents: this.events, displayTimeUnit: "ns" });
  }

  /** Forgets the collected events. */
  clear(): void {
    this.events.length = 0;
    this.#named.clear();
  }
}
