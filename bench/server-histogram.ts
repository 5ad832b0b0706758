import type { PrometheusSample } from '../support/targets/metric-maps';
import { round } from './latency-histogram';

/**
 * A Prometheus histogram the service exposes on /metrics, read twice (before and after a run) so
 * the difference covers exactly that run. Its buckets are all the service records, so percentiles
 * are stated as the bucket that holds them: "p99 ≤ 0.5 ms" is exact, a single number inside a bucket
 * would be a guess. Prometheus's histogram_quantile interpolation is given beside it, labelled so.
 */

/** Cumulative counts per upper bound (seconds, ascending, the last +Inf), as the exposition gives them. */
export interface BucketCounts {
  bounds: number[];
  cumulative: number[];
  count: number;
  sumSeconds: number;
}

/** The series of one histogram matching `labels` (summed over any other label), or undefined when the service has none. */
export function readHistogram(samples: readonly PrometheusSample[], name: string, labels: Readonly<Record<string, string>> = {}): BucketCounts | undefined {
  const matches = (sample: PrometheusSample) => Object.entries(labels).every(([key, value]) => sample.labels[key] === value);
  const byBound = new Map<number, number>();
  for (const sample of samples) {
    if (sample.name !== `${name}_bucket` || !matches(sample) || sample.labels.le === undefined) continue;
    const bound = sample.labels.le === '+Inf' ? Number.POSITIVE_INFINITY : Number(sample.labels.le);
    byBound.set(bound, (byBound.get(bound) ?? 0) + sample.value);
  }
  if (byBound.size === 0) return undefined;
  const bounds = [...byBound.keys()].sort((a, b) => a - b);
  const total = (suffix: string) => samples.filter((s) => s.name === `${name}_${suffix}` && matches(s)).reduce((sum, s) => sum + s.value, 0);
  return { bounds, cumulative: bounds.map((b) => byBound.get(b)!), count: total('count'), sumSeconds: total('sum') };
}

/** after − before: what was recorded in between (the same buckets, read from one service). */
export function difference(after: BucketCounts, before: BucketCounts | undefined): BucketCounts {
  if (!before) return after;
  if (after.bounds.join() !== before.bounds.join()) throw new Error(`histogram buckets changed between two reads: ${before.bounds.join()} → ${after.bounds.join()}`);
  return {
    bounds: after.bounds,
    cumulative: after.cumulative.map((n, i) => n - before.cumulative[i]!),
    count: after.count - before.count,
    sumSeconds: after.sumSeconds - before.sumSeconds,
  };
}

export interface ServerPercentile {
  percentile: number;
  /** Upper bound of the bucket that holds this percentile, in ms (null: above the highest finite bound). */
  atMostMs: number | null;
  /** histogram_quantile's linear interpolation inside that bucket, in ms: an estimate. */
  interpolatedMs: number | null;
}

export interface ServerHistogramSummary {
  count: number;
  meanMs: number;
  percentiles: ServerPercentile[];
  /** Share of observations at or below `goalMs` (a bucket bound), 0–1. */
  shareWithinGoal: number;
  goalMs: number;
  bucketsMs: Array<{ le: string; count: number }>;
}

function percentileOf(buckets: BucketCounts, percentile: number): ServerPercentile {
  const rank = (percentile / 100) * buckets.count;
  const index = buckets.cumulative.findIndex((n) => n >= rank);
  const upper = buckets.bounds[index]!;
  if (!Number.isFinite(upper)) return { percentile, atMostMs: null, interpolatedMs: null };
  const lower = index === 0 ? 0 : buckets.bounds[index - 1]!;
  const below = index === 0 ? 0 : buckets.cumulative[index - 1]!;
  const inBucket = buckets.cumulative[index]! - below;
  const interpolated = inBucket > 0 ? lower + ((upper - lower) * (rank - below)) / inBucket : upper;
  return { percentile, atMostMs: round(upper * 1000, 3), interpolatedMs: round(interpolated * 1000, 3) };
}

export function summarize(buckets: BucketCounts, goalMs: number, percentiles: readonly number[] = [50, 99, 99.9]): ServerHistogramSummary {
  const goalIndex = buckets.bounds.findIndex((b) => Math.abs(b * 1000 - goalMs) < 1e-9);
  if (goalIndex < 0) throw new Error(`the goal ${goalMs} ms is not a bucket bound of this histogram (${buckets.bounds.map((b) => b * 1000).join(', ')} ms)`);
  return {
    count: buckets.count,
    meanMs: buckets.count > 0 ? round((buckets.sumSeconds / buckets.count) * 1000, 3) : 0,
    percentiles: buckets.count > 0 ? percentiles.map((p) => percentileOf(buckets, p)) : [],
    shareWithinGoal: buckets.count > 0 ? round(buckets.cumulative[goalIndex]! / buckets.count, 5) : 0,
    goalMs,
    bucketsMs: buckets.bounds.map((b, i) => ({ le: Number.isFinite(b) ? `${round(b * 1000, 3)}` : '+Inf', count: buckets.cumulative[i]! - (i === 0 ? 0 : buckets.cumulative[i - 1]!) })),
  };
}
