/**
 * Timing helpers shared by the `deno bench` files: the batch size, the 4 KiB memcpy baseline every
 * round trip is compared with (registered in a bench group and timed for the printed summary),
 * and a warm-up-then-measure loop giving nanoseconds per call.
 *
 * @example Time the baseline: one batch is {@linkcode BATCH} copies
 * ```ts
 * import { BATCH, memcpyBatch, timePerCall } from "./_bench_timing.ts";
 * const nsPerCopy = timePerCall(memcpyBatch, 1, 5) / BATCH;
 * if (!(nsPerCopy > 0)) throw new Error();
 * ```
 *
 * @module
 */

/** Commands (or memcpys) per bench iteration. */
export const BATCH = 1000;
/** Bytes of one baseline copy: the payload of a 4 KiB I/O. */
const COPY_BYTES = 4096;
/**
 * How long the measured function runs untimed first (ms): V8 reaches its optimising tier for a
 * round trip's ~50 functions only after about a second (measured: the first 450 ms window after
 * 100 calls ran 1.8× slower than the steady state).
 */
const DEFAULT_WARMUP_MS = 1500;
/** How long {@linkcode timePerCall} measures by default (ms). */
const DEFAULT_MEASURE_MS = 450;
/** Timing windows the measurement is split into; the median window is reported. */
const WINDOWS = 9;

const src = new Uint8Array(COPY_BYTES).map((_, i) => i);
const dst = new Uint8Array(COPY_BYTES);

/** {@linkcode BATCH} copies of 4 KiB: the baseline the round trips are compared with. */
export function memcpyBatch(): void {
  for (let i = 0; i < BATCH; i++) {
    src[0] = i; // keep the copies observable
    dst.set(src);
  }
}

/**
 * Registers the memcpy baseline in `group`, so `deno bench` prints every other case of the group
 * as a multiple of it.
 */
export function benchMemcpyBaseline(group: string): void {
  Deno.bench({
    name: `memcpy 4 KiB ×${BATCH} (baseline)`,
    group,
    baseline: true,
    fn: memcpyBatch,
  });
}

/**
 * Nanoseconds per call of `fn`: `warmupMs` milliseconds of untimed calls, then about `ms` of calls
 * in {@linkcode WINDOWS} equal windows, of which the median window's time per call is returned.
 * The median, not the mean: on a shared machine a neighbour's burst inflates one window, not the
 * result, while a real slowdown moves every window.
 */
export function timePerCall(
  fn: () => void,
  warmupMs: number = DEFAULT_WARMUP_MS,
  ms: number = DEFAULT_MEASURE_MS,
): number {
  for (const t0 = performance.now(); performance.now() - t0 < warmupMs;) fn();
  const perCall: number[] = [];
  for (let w = 0; w < WINDOWS; w++) {
    let n = 0;
    const t0 = performance.now();
    let t = t0;
    while (t - t0 < ms / WINDOWS) {
      fn();
      n++;
      t = performance.now();
    }
    perCall.push(((t - t0) * 1e6) / n);
  }
  return median(perCall);
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/**
 * Nanoseconds per 4 KiB copy of the baseline, for a summary: measured twice (the summaries call
 * it after their cases) and the faster kept, so a stall at one moment cannot make every case look
 * cheap relative to it.
 */
export function memcpyNs(): number {
  return Math.min(timePerCall(memcpyBatch), timePerCall(memcpyBatch, 0)) / BATCH;
}

/** A rate (per second) rounded to an integer with thousands separators, as the summaries print. */
export function formatRate(perSecond: number): string {
  return Math.round(perSecond).toLocaleString("en-US");
}
