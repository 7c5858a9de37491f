/**
 * The commands fetched from one submission queue and not yet completed, keyed by CID: what the
 * CID-conflict check (a CID reused while outstanding, Base 2.1 §3.3.1) and Abort (§5.1.1) look
 * up. It is an open-addressing hash table over preallocated typed arrays, so the per-command
 * `add`/`delete` allocate nothing (a `Set` shrinks and regrows its backing store when it empties
 * at QD1, which shows up as garbage in the benchmark).
 *
 * @example
 * ```ts
 * import { OutstandingCommands } from "./outstanding.ts";
 * const o = new OutstandingCommands<string>();
 * o.add(7, "read");
 * const [held, value] = [o.size, o.get(7)];
 * o.delete(7);
 * if (held !== 1 || value !== "read" || o.has(7) || o.size !== 0) throw new Error();
 * ```
 *
 * @module
 */

const EMPTY = -1;
const INITIAL_SLOTS = 64;
/** CIDs are 16 bits (CDW0 bits 31:16). */
const CID_MASK = 0xffff;

/**
 * CIDs outstanding on one SQ, each with an optional value (the controller stores the request):
 * `has`/`add`/`delete`/`size` as on a `Set<number>`, `get` for the value, plus a hook for Delete
 * I/O Submission Queue ({@linkcode SubmissionQueue.beginDeletion} in queues.ts) called when the
 * last outstanding command of a queue being deleted completes.
 */
export class OutstandingCommands<T = unknown> {
  #keys: Int32Array = new Int32Array(INITIAL_SLOTS).fill(EMPTY);
  #values: (T | undefined)[] = new Array(INITIAL_SLOTS).fill(undefined);
  #mask = INITIAL_SLOTS - 1;
  #size = 0;
  #onEmpty: (() => void) | null = null;

  /** Number of outstanding CIDs. */
  get size(): number {
    return this.#size;
  }

  /** Whether `cid` is outstanding. */
  has(cid: number): boolean {
    return this.#find(cid) >= 0;
  }

  /** The value stored with `cid`, or undefined when it is not outstanding. */
  get(cid: number): T | undefined {
    const i = this.#find(cid);
    return i < 0 ? undefined : this.#values[i];
  }

  /** Records `cid` as outstanding (replacing the value of one already there). */
  add(cid: number, value?: T): this {
    const c = cid & CID_MASK;
    const i = this.#find(c);
    if (i >= 0) {
      this.#values[i] = value;
      return this;
    }
    // Keep the load at most one half, so probe runs stay short.
    if (2 * (this.#size + 1) > this.#keys.length) this.#grow();
    const keys = this.#keys, mask = this.#mask;
    let j = hash(c) & mask;
    while (keys[j] !== EMPTY) j = (j + 1) & mask;
    keys[j] = c;
    this.#values[j] = value;
    this.#size++;
    return this;
  }

  /** Removes `cid`; runs the drain hook (once) when that empties the table. */
  delete(cid: number): boolean {
    let i = this.#find(cid);
    if (i < 0) return false;
    // Backward-shift deletion (linear probing): no tombstones, lookups stay exact.
    const keys = this.#keys, values = this.#values, mask = this.#mask;
    for (let j = (i + 1) & mask; keys[j] !== EMPTY; j = (j + 1) & mask) {
      const home = hash(keys[j]) & mask;
      // Move entry j into the hole at i when its home slot is not in the run (i, j].
      if (((j - home) & mask) >= ((j - i) & mask)) {
        keys[i] = keys[j];
        values[i] = values[j];
        i = j;
      }
    }
    keys[i] = EMPTY;
    values[i] = undefined;
    this.#size--;
    if (this.#size === 0 && this.#onEmpty) {
      const fn = this.#onEmpty;
      this.#onEmpty = null;
      fn();
    }
    return true;
  }

  /** Forgets every CID (the drain hook is kept). */
  clear(): void {
    this.#keys.fill(EMPTY);
    this.#values.fill(undefined);
    this.#size = 0;
  }

  /** The outstanding CIDs (in table order; allocates, not for the command path). */
  [Symbol.iterator](): IterableIterator<number> {
    const out: number[] = [];
    for (const k of this.#keys) if (k !== EMPTY) out.push(k);
    return out.values();
  }

  /** Calls `fn` once when the table becomes empty (the caller checked it is not empty now). */
  onDrained(fn: () => void): void {
    this.#onEmpty = fn;
  }

  #find(cid: number): number {
    const c = cid & CID_MASK;
    if (c !== cid) return -1;
    const keys = this.#keys, mask = this.#mask;
    for (let j = hash(c) & mask;; j = (j + 1) & mask) {
      const k = keys[j];
      if (k === c) return j;
      if (k === EMPTY) return -1;
    }
  }

  #grow(): void {
    const oldKeys = this.#keys, oldValues = this.#values;
    const n = oldKeys.length * 2;
    this.#keys = new Int32Array(n).fill(EMPTY);
    this.#values = new Array(n).fill(undefined);
    this.#mask = n - 1;
    const keys = this.#keys, mask = this.#mask;
    for (let i = 0; i < oldKeys.length; i++) {
      const k = oldKeys[i];
      if (k === EMPTY) continue;
      let j = hash(k) & mask;
      while (keys[j] !== EMPTY) j = (j + 1) & mask;
      keys[j] = k;
      this.#values[j] = oldValues[i];
    }
  }
}

/** Spreads sequential CIDs (the common host pattern) over the table: Fibonacci hashing. */
function hash(cid: number): number {
  return Math.imul(cid, 0x9e3779b1) >>> 16;
}
