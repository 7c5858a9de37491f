/**
 * The trace hub: emitters for each side, sinks that receive stamped events. Tracing costs nothing
 * when no sink is attached: every emitter has a plain boolean `enabled`, and call sites are written
 *
 * ```ts ignore
 * if (port.trace.enabled) port.trace.emit({ type: "mmio_doorbell_sq", sqid, new_tail: tail });
 * ```
 *
 * so no event object is allocated while tracing is off. `emit` takes ownership of the object it
 * is given and stamps `t`, `side` and `fn` on it.
 *
 * @example
 * ```ts
 * import { MemoryTraceSink, Trace } from "./trace.ts";
 * const trace = new Trace({ now: 5 });
 * const device = trace.emitter("device", 0);
 * const sink = new MemoryTraceSink();
 * trace.addSink(sink);
 * if (device.enabled) device.emit({ type: "irq_msix", vector: 1 });
 * if (sink.events[0].t !== 5 || sink.ofType("irq_msix")[0].vector !== 1) throw new Error();
 * ```
 *
 * @module
 */

import type { VirtualClock } from "./scheduler.ts";
import type {
  DeviceTraceBody,
  HostTraceBody,
  PlatformTraceBody,
  TraceBody,
  TraceEvent,
  TraceEventOf,
  TraceEventType,
  TraceSide,
} from "./trace_events.ts";

/** Receives stamped events. */
export interface TraceSink {
  /** Called once per event, in emission order. */
  write(event: TraceEvent): void;
}

/** What a port exposes for tracing: check `enabled`, then `emit`. */
export interface TraceEmitterLike<B extends TraceBody> {
  /** True when at least one sink is attached. Check it before building an event. */
  readonly enabled: boolean;
  /** Stamps and forwards an event body (the object is taken over, not copied). */
  emit(body: B): void;
}

/** Body type emitted by each side. */
export type BodyOfSide<S extends TraceSide> = S extends "host" ? HostTraceBody
  : S extends "device" ? DeviceTraceBody
  : PlatformTraceBody;

/** An emitter bound to one side and one PCI function. Created by {@linkcode Trace.emitter}. */
export class TraceEmitter<B extends TraceBody> implements TraceEmitterLike<B> {
  /** True when at least one sink is attached; maintained by the hub. */
  enabled = false;
  readonly #hub: Trace;
  readonly #side: TraceSide;
  readonly #fn: number;

  /** Use {@linkcode Trace.emitter} instead. */
  constructor(hub: Trace, side: TraceSide, fn: number) {
    this.#hub = hub;
    this.#side = side;
    this.#fn = fn;
    this.enabled = hub.enabled;
  }

  /** Stamps `t`, `side` and `fn` on `body` and hands it to every sink. */
  emit(body: B): void {
    if (!this.enabled) return;
    const ev = body as unknown as TraceEvent;
    ev.t = this.#hub.clock.now;
    ev.side = this.#side;
    ev.fn = this.#fn;
    this.#hub.dispatch(ev);
  }
}

/** The trace hub of one simulation. */
export class Trace {
  /** Clock used to stamp events. */
  readonly clock: VirtualClock;
  #sinks: TraceSink[] = [];
  #emitters: TraceEmitter<TraceBody>[] = [];
  #enabled = false;

  /** Creates a hub with no sinks (tracing off). */
  constructor(clock: VirtualClock) {
    this.clock = clock;
  }

  /** True when at least one sink is attached. */
  get enabled(): boolean {
    return this.#enabled;
  }

  /** The attached sinks. */
  get sinks(): readonly TraceSink[] {
    return this.#sinks;
  }

  /** An emitter for one side and PCI function (`fn` -1 for none). */
  emitter<S extends TraceSide>(side: S, fn: number): TraceEmitter<BodyOfSide<S>> {
    const e = new TraceEmitter<BodyOfSide<S>>(this, side, fn);
    this.#emitters.push(e as unknown as TraceEmitter<TraceBody>);
    return e;
  }

  /** Attaches a sink; tracing turns on. */
  addSink(sink: TraceSink): void {
    if (!this.#sinks.includes(sink)) this.#sinks.push(sink);
    this.#update();
  }

  /** Detaches a sink; tracing turns off with the last one. */
  removeSink(sink: TraceSink): void {
    this.#sinks = this.#sinks.filter((s) => s !== sink);
    this.#update();
  }

  /** Forwards a stamped event to every sink. Emitters call this. */
  dispatch(event: TraceEvent): void {
    const sinks = this.#sinks;
    for (let i = 0; i < sinks.length; i++) sinks[i].write(event);
  }

  #update(): void {
    this.#enabled = this.#sinks.length > 0;
    for (const e of this.#emitters) e.enabled = this.#enabled;
  }
}

/** Keeps events in memory, for tests and for the `trace` command. */
export class MemoryTraceSink implements TraceSink {
  /** Every event received, oldest first (up to `limit`). */
  readonly events: TraceEvent[] = [];
  /** Keep at most this many events; later ones are counted in `dropped`. */
  readonly limit: number;
  #dropped = 0;

  /** Creates an empty sink keeping at most `limit` events (default unlimited). */
  constructor(limit = Infinity) {
    this.limit = limit;
  }

  /** Stores the event. */
  write(event: TraceEvent): void {
    if (this.events.length < this.limit) this.events.push(event);
    else this.#dropped++;
  }

  /** Events beyond the limit. */
  get dropped(): number {
    return this.#dropped;
  }

  /** Events of one type. */
  ofType<K extends TraceEventType>(type: K): TraceEventOf<K>[] {
    return this.events.filter((e) => e.type === type) as TraceEventOf<K>[];
  }

  /** Event type names in order (handy for asserting sequences). */
  types(): TraceEventType[] {
    return this.events.map((e) => e.type);
  }

  /** Forgets every event. */
  clear(): void {
    this.events.length = 0;
    this.#dropped = 0;
  }
}
