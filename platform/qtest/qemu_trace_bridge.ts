/**
 * Merges QEMU's own trace (`-trace 'pci_nvme_*'`) into the qtest HostPort's trace hub, so one
 * stream holds both sides: the host's events (SQE written, doorbell decision, CQE consumed) and
 * QEMU's device events, each parsed into the typed event of `trace_events.ts` (see
 * `qemu_trace_log.ts`) and marked with its {@linkcode QemuOrigin}.
 *
 * **Order is anchored by sequence, refined by time.** QEMU handles a qtest command (an MMIO access,
 * a memory write) completely, including its trace lines, before it replies, and its log flushes
 * every line; bottom halves (SQ processing, CQE posting) run between commands. So the bridge reads
 * the log *before each host event* and after each BAR0 access: every QEMU line read then happened
 * before that host event, and every line not yet read happens after it. Within that window a
 * line's time is QEMU's own wall-clock timestamp (`-msg timestamp=on`) mapped onto the hub's clock
 * (both count from the same epoch), clamped to [the previous event's time, the time the line was
 * read]; without a timestamp it gets the read time. The merged stream is therefore in causal
 * order with non-decreasing times even when the two clocks disagree by a few microseconds
 * (`clamped` counts how often that happened).
 *
 * @example
 * ```ts
 * import { Trace, MemoryTraceSink } from "../trace.ts";
 * import { QemuTraceBridge } from "./qemu_trace_bridge.ts";
 * const clock = { now: 5_000 };
 * const hub = new Trace(clock);
 * const lines = ["7@100.000004:pci_nvme_mmio_doorbell_sq sqid 1 new_tail 1"];
 * const bridge = new QemuTraceBridge(hub, () => lines.splice(0), 100_000_000);
 * const host = bridge.wrapHostEmitter(hub.emitter("host", 0));
 * const sink = new MemoryTraceSink();
 * hub.addSink(sink);
 * host.emit({ type: "host_note", text: "after the doorbell" });
 * if (sink.types().join() !== "mmio_doorbell_sq,host_note") throw new Error(sink.types().join());
 * if (sink.events[0].t !== 4_000 || sink.events[0].qemu?.pid !== 7) throw new Error();
 * ```
 *
 * @module
 */

import type { Trace, TraceEmitterLike } from "../trace.ts";
import type { QemuOrigin, TraceBody, TraceEvent } from "../trace_events.ts";
import { parseQemuLogLine } from "./qemu_trace_log.ts";

const NS_PER_US = 1_000;

/** Reads QEMU's trace lines into a {@linkcode Trace} hub in causal order. */
export class QemuTraceBridge {
  /** QEMU lines read so far (forwarded or not). */
  linesRead = 0;
  /** QEMU lines whose own timestamp fell outside their window and was clamped into it. */
  clamped = 0;
  readonly #hub: Trace;
  readonly #source: () => readonly string[];
  readonly #epochUs: number;
  readonly #fn: number;
  #lastT = 0;

  /**
   * @param hub the hub events go to (only while a sink is attached)
   * @param source new complete lines since its previous call
   * @param epochUs wall-clock µs since the epoch at the hub's time 0
   * @param fn PCI function index stamped on QEMU's events
   */
  constructor(hub: Trace, source: () => readonly string[], epochUs: number, fn = 0) {
    this.#hub = hub;
    this.#source = source;
    this.#epochUs = epochUs;
    this.#fn = fn;
  }

  /** Reads every new line; while a sink is attached, dispatches each as a device event. Lines read
   * while no sink is attached are consumed (they never reach a sink attached later). */
  drain(): number {
    const lines = this.#source();
    if (lines.length === 0) return 0;
    this.linesRead += lines.length;
    if (!this.#hub.enabled) return lines.length;
    const now = this.#hub.clock.now;
    for (const line of lines) {
      const l = parseQemuLogLine(line);
      let t = now;
      if (l.epochUs !== null) {
        const mapped = Math.round((l.epochUs - this.#epochUs) * NS_PER_US);
        t = Math.min(Math.max(mapped, this.#lastT), now);
        if (t !== mapped) this.clamped++;
      }
      t = Math.max(t, this.#lastT);
      this.#lastT = t;
      const qemu: QemuOrigin = { pid: l.pid, name: l.name, text: l.text, epochUs: l.epochUs };
      const event = { ...l.event, t, side: "device", fn: this.#fn, qemu } as TraceEvent;
      this.#hub.dispatch(event);
    }
    return lines.length;
  }

  /** An emitter that drains QEMU's log before each event it forwards to `inner`. */
  wrapHostEmitter<B extends TraceBody>(inner: TraceEmitterLike<B>): TraceEmitterLike<B> {
    const emit = (body: B) => {
      this.drain();
      inner.emit(body);
      const t = (body as unknown as TraceEvent).t;
      if (typeof t === "number" && t > this.#lastT) this.#lastT = t;
    };
    return {
      get enabled() {
        return inner.enabled;
      },
      emit,
    };
  }
}
