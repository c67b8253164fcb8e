/** Latency percentiles of one measured run, milliseconds. */
export interface LatencyPercentiles {
  p50Ms: number;
  p99Ms: number;
  p999Ms: number;
}

/**
 * The nearest-rank percentile (the smallest value with at least `q` of the samples at or below
 * it) of ascending `sorted` samples.
 *
 * @param sorted ascending, any unit; not checked (sort first)
 * @param q in (0, 1], e.g. 0.999 for p99.9
 * @returns the sample, or NaN when there are none
 * @throws {RangeError} when `q` is outside (0, 1]
 */
export function percentileOfSorted(sorted: readonly number[], q: number): number {
  if (!(q > 0 && q <= 1)) throw new RangeError(`percentile must be in (0, 1], not ${q}`);
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil(q * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1] as number;
}

/**
 * p50, p99 and p99.9 of unsorted latencies (copied, not modified), rounded to 0.01 ms.
 *
 * @param latenciesMs one entry per request or transaction, milliseconds
 * @returns NaN figures when there are no samples
 */
export function latencyPercentiles(latenciesMs: readonly number[]): LatencyPercentiles {
  const sorted = Float64Array.from(latenciesMs).sort();
  const samples = Array.from(sorted);
  const at = (q: number): number => round2(percentileOfSorted(samples, q));
  return { p50Ms: at(0.5), p99Ms: at(0.99), p999Ms: at(0.999) };
}

/** Rounds to two decimals (NaN stays NaN). */
export function round2(value: number): number {
  return Math.round(value * 100) / 100;
}
