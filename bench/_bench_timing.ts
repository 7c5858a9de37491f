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
/** Calls of the measured function before timing starts (JIT warm-up). */
const DEFAULT_WARMUP_CALLS = 20;
/** How long {@linkcode timePerCall} measures by default (ms). */
const DEFAULT_MEASURE_MS = 300;

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
 * Nanoseconds per call of `fn`: `warmupCalls` untimed calls, then calls for about `ms`
 * milliseconds.
 */
export function timePerCall(
  fn: () => void,
  warmupCalls: number = DEFAULT_WARMUP_CALLS,
  ms: number = DEFAULT_MEASURE_MS,
): number {
  for (let i = 0; i < warmupCalls; i++) fn();
  let n = 0;
  const t0 = performance.now();
  let t = t0;
  while (t - t0 < ms) {
    fn();
    n++;
    t = performance.now();
  }
  return ((t - t0) * 1e6) / n;
}

/** A rate (per second) rounded to an integer with thousands separators, as the summaries print. */
export function formatRate(perSecond: number): string {
  return Math.round(perSecond).toLocaleString("en-US");
}
