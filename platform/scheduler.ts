/**
 * The virtual-nanosecond clock and the deterministic event scheduler (one per simulation).
 *
 * Events run in time order; events at the same time run in the order they were scheduled (FIFO),
 * so a simulation is a pure function of its inputs. Scheduling allocates nothing once the internal
 * arrays have grown to the peak number of pending events: pass a stable callback and an argument
 * instead of a fresh closure to keep the hot path allocation-free.
 *
 * @example
 * ```ts
 * import { Scheduler } from "./scheduler.ts";
 * const s = new Scheduler();
 * const order: string[] = [];
 * s.schedule(10, (x: string) => order.push(x), "b");
 * s.schedule(5, (x: string) => order.push(x), "a");
 * s.schedule(10, (x: string) => order.push(x), "c");
 * s.runUntil(100);
 * if (order.join("") !== "abc" || s.now !== 100) throw new Error();
 * ```
 *
 * @module
 */

import { InvalidArgumentError, SchedulerReentryError } from "./errors.ts";

/** Something that tells virtual time in nanoseconds. */
export interface VirtualClock {
  /** Current virtual time in nanoseconds. */
  readonly now: number;
}

/** A scheduled callback; receives the argument given to `schedule`. */
export type EventCallback<T> = (arg: T) => void;

/** Opaque handle of a scheduled event, for {@linkcode Scheduler.cancel}. */
export type EventHandle = number;

/** Owner tag for events scheduled by nobody in particular (tests, the host). */
export const NO_OWNER: number = -1;

const INITIAL_CAPACITY = 64;
/** Slots per generation in a handle: at most this many events may be pending at once. */
const SLOT_LIMIT = 2 ** 22;
/** Generations wrap here so that `generation * SLOT_LIMIT + slot` stays a safe integer. */
const GENERATION_LIMIT = 2 ** 30;
const NOT_IN_HEAP = -1;

/** A binary-heap event queue over preallocated parallel arrays, plus the virtual clock. */
export class Scheduler implements VirtualClock {
  #now = 0;
  #seqCounter = 0;
  #eventsRun = 0;
  #running = false;
  #size = 0;
  #time = new Float64Array(INITIAL_CAPACITY);
  #seq = new Float64Array(INITIAL_CAPACITY);
  #gen = new Uint32Array(INITIAL_CAPACITY);
  #owner = new Int32Array(INITIAL_CAPACITY);
  #pos = new Int32Array(INITIAL_CAPACITY).fill(NOT_IN_HEAP);
  #heap = new Int32Array(INITIAL_CAPACITY);
  #free = new Int32Array(INITIAL_CAPACITY);
  #freeTop = 0;
  #fn: (EventCallback<never> | undefined)[] = new Array(INITIAL_CAPACITY).fill(undefined);
  #arg: unknown[] = new Array(INITIAL_CAPACITY).fill(undefined);

  /** Creates an idle scheduler at time `startNs` (default 0). */
  constructor(startNs = 0) {
    this.#now = startNs;
    for (let i = 0; i < INITIAL_CAPACITY; i++) this.#free[i] = INITIAL_CAPACITY - 1 - i;
    this.#freeTop = INITIAL_CAPACITY;
  }

  /** Current virtual time in nanoseconds. */
  get now(): number {
    return this.#now;
  }

  /** Number of events waiting to run. */
  get pending(): number {
    return this.#size;
  }

  /** True when no event is waiting. */
  get isIdle(): boolean {
    return this.#size === 0;
  }

  /** Time of the next event, or `Infinity` when idle. */
  get nextTime(): number {
    return this.#size === 0 ? Infinity : this.#time[this.#heap[0]];
  }

  /** Number of events run since construction. */
  get eventsRun(): number {
    return this.#eventsRun;
  }

  /** True while an event callback is running. */
  get running(): boolean {
    return this.#running;
  }

  /** Schedules `fn(arg)` to run `delayNs` (≥ 0) after now. `owner` tags it for `cancelOwner`. */
  schedule<T>(
    delayNs: number,
    fn: EventCallback<T>,
    arg?: T,
    owner: number = NO_OWNER,
  ): EventHandle {
    if (!(delayNs >= 0) || delayNs === Infinity) throw badDelay(delayNs);
    return this.#insert(this.#now + delayNs, fn as EventCallback<never>, arg, owner);
  }

  /** Schedules `fn(arg)` at absolute time `atNs` (≥ now). */
  scheduleAt<T>(
    atNs: number,
    fn: EventCallback<T>,
    arg?: T,
    owner: number = NO_OWNER,
  ): EventHandle {
    if (!(atNs >= this.#now) || atNs === Infinity) {
      throw new InvalidArgumentError(
        `scheduleAt: time ${atNs} ns is in the past or not finite (now ${this.#now}); ` +
          "use schedule(delayNs, …) for relative times",
      );
    }
    return this.#insert(atNs, fn as EventCallback<never>, arg, owner);
  }

  /** Cancels a pending event; false when it already ran or was canceled. */
  cancel(handle: EventHandle): boolean {
    const slot = handle % SLOT_LIMIT;
    if (slot < 0 || slot >= this.#pos.length) return false;
    if (this.#pos[slot] === NOT_IN_HEAP) return false;
    if (this.#gen[slot] !== Math.floor(handle / SLOT_LIMIT)) return false;
    this.#removeAt(this.#pos[slot]);
    this.#release(slot);
    return true;
  }

  /** Cancels every pending event scheduled with `owner`; returns how many. Not a hot path. */
  cancelOwner(owner: number): number {
    const victims: number[] = [];
    for (let i = 0; i < this.#size; i++) {
      const slot = this.#heap[i];
      if (this.#owner[slot] === owner) victims.push(slot);
    }
    for (const slot of victims) {
      this.#removeAt(this.#pos[slot]);
      this.#release(slot);
    }
    return victims.length;
  }

  /** Runs the next event (advancing time to it). False when idle. */
  runNext(): boolean {
    if (this.#size === 0) return false;
    if (this.#running) throw reentry();
    const slot = this.#heap[0];
    this.#removeAt(0);
    const t = this.#time[slot];
    if (t > this.#now) this.#now = t;
    const fn = this.#fn[slot] as EventCallback<unknown>;
    const arg = this.#arg[slot];
    this.#release(slot);
    this.#running = true;
    try {
      fn(arg);
    } finally {
      this.#running = false;
      this.#eventsRun++;
    }
    return true;
  }

  /** Runs every event due at or before now; returns how many ran. */
  runDue(): number {
    return this.runUntil(this.#now);
  }

  /** Runs every event at or before `timeNs`, then sets now to `timeNs` if later; returns count. */
  runUntil(timeNs: number): number {
    let n = 0;
    while (this.#size > 0 && this.#time[this.#heap[0]] <= timeNs) {
      this.runNext();
      n++;
    }
    if (timeNs > this.#now && timeNs !== Infinity) this.#now = timeNs;
    return n;
  }

  /** Runs events until none is pending or `maxEvents` ran; returns how many ran. */
  runUntilIdle(maxEvents = Number.MAX_SAFE_INTEGER): number {
    let n = 0;
    while (n < maxEvents && this.runNext()) n++;
    return n;
  }

  #insert(at: number, fn: EventCallback<never>, arg: unknown, owner: number): EventHandle {
    if (this.#freeTop === 0) this.#grow();
    const slot = this.#free[--this.#freeTop];
    const gen = (this.#gen[slot] + 1) % GENERATION_LIMIT;
    this.#gen[slot] = gen;
    this.#time[slot] = at;
    this.#seq[slot] = this.#seqCounter++;
    this.#owner[slot] = owner;
    this.#fn[slot] = fn;
    this.#arg[slot] = arg;
    const i = this.#size++;
    this.#heap[i] = slot;
    this.#pos[slot] = i;
    this.#siftUp(i);
    return gen * SLOT_LIMIT + slot;
  }

  #release(slot: number): void {
    this.#fn[slot] = undefined;
    this.#arg[slot] = undefined;
    this.#pos[slot] = NOT_IN_HEAP;
    this.#free[this.#freeTop++] = slot;
  }

  #less(a: number, b: number): boolean {
    const ta = this.#time[a];
    const tb = this.#time[b];
    return ta < tb || (ta === tb && this.#seq[a] < this.#seq[b]);
  }

  #place(i: number, slot: number): void {
    this.#heap[i] = slot;
    this.#pos[slot] = i;
  }

  #siftUp(i: number): void {
    const heap = this.#heap;
    const slot = heap[i];
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.#less(slot, heap[parent])) break;
      this.#place(i, heap[parent]);
      i = parent;
    }
    this.#place(i, slot);
  }

  #siftDown(i: number): void {
    const heap = this.#heap;
    const slot = heap[i];
    const n = this.#size;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      const c = r < n && this.#less(heap[r], heap[l]) ? r : l;
      if (!this.#less(heap[c], slot)) break;
      this.#place(i, heap[c]);
      i = c;
    }
    this.#place(i, slot);
  }

  #removeAt(i: number): void {
    const last = --this.#size;
    if (i === last) return;
    const moved = this.#heap[last];
    this.#place(i, moved);
    this.#siftDown(i);
    if (this.#pos[moved] === i) this.#siftUp(i);
  }

  #grow(): void {
    const old = this.#time.length;
    const cap = old * 2;
    if (cap > SLOT_LIMIT) {
      throw new InvalidArgumentError(
        `scheduler: more than ${SLOT_LIMIT} pending events; device work is scheduling without bound`,
      );
    }
    const grow = <A extends Float64Array | Uint32Array | Int32Array>(
      a: A,
      make: (n: number) => A,
    ) => {
      const b = make(cap);
      b.set(a);
      return b;
    };
    this.#time = grow(this.#time, (n) => new Float64Array(n));
    this.#seq = grow(this.#seq, (n) => new Float64Array(n));
    this.#gen = grow(this.#gen, (n) => new Uint32Array(n));
    this.#owner = grow(this.#owner, (n) => new Int32Array(n));
    this.#heap = grow(this.#heap, (n) => new Int32Array(n));
    const pos = new Int32Array(cap).fill(NOT_IN_HEAP);
    pos.set(this.#pos);
    this.#pos = pos;
    this.#free = new Int32Array(cap);
    for (let i = 0; i < cap - old; i++) this.#free[i] = cap - 1 - i;
    this.#freeTop = cap - old;
    this.#fn.length = cap;
    this.#arg.length = cap;
  }
}

// Errors are built out of line so the hot scheduling methods stay small enough to inline.
function badDelay(delayNs: number): InvalidArgumentError {
  return new InvalidArgumentError(
    `schedule: delay ${delayNs} ns is not a finite number >= 0; pass a non-negative delay`,
  );
}

function reentry(): SchedulerReentryError {
  return new SchedulerReentryError(
    "runNext: called from inside a scheduled event; device work must schedule more work, " +
      "never wait for it",
  );
}
