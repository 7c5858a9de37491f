/**
 * Latency statistics of one sweep row: mean and nearest-rank percentiles of a sample.
 *
 * @example
 * ```ts
 * import { latencyStats } from "./sweep_stats.ts";
 * const s = latencyStats(Float64Array.from([4, 1, 3, 2]));
 * if (s.mean !== 2.5 || s.p50 !== 2 || s.p99 !== 4 || s.max !== 4) throw new Error();
 * ```
 *
 * @module
 */

/** Summary of a latency sample (ns). */
export interface LatencyStats {
  /** Arithmetic mean. */
  readonly mean: number;
  /** Median (nearest rank). */
  readonly p50: number;
  /** 99th percentile (nearest rank). */
  readonly p99: number;
  /** Largest value. */
  readonly max: number;
}

/** Nearest-rank percentile `p` (0 < p ≤ 100) of an ascending sample. */
export function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1];
}

/** Mean, p50, p99 and max of `sample` (not modified). NaN for an empty sample. */
export function latencyStats(sample: Float64Array): LatencyStats {
  if (sample.length === 0) return { mean: NaN, p50: NaN, p99: NaN, max: NaN };
  const sorted = Float64Array.from(sample).sort();
  let sum = 0;
  for (let i = 0; i < sorted.length; i++) sum += sorted[i];
  return {
    mean: sum / sorted.length,
    p50: percentile(sorted, 50),
    p99: percentile(sorted, 99),
    max: sorted[sorted.length - 1],
  };
}
