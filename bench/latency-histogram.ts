import { build, type Histogram } from 'hdr-histogram-js';

/** Percentiles of one latency series, in milliseconds. */
export interface LatencySummary {
  count: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
}

/**
 * Latencies recorded in microseconds into an HdrHistogram (3 significant digits, auto-resizing),
 * so percentiles come from a well-kept implementation rather than a sorted array.
 */
export class LatencyHistogram {
  private readonly histogram: Histogram = build({ numberOfSignificantValueDigits: 3, autoResize: true });

  recordMs(ms: number): void {
    this.histogram.recordValue(Math.max(1, Math.round(ms * 1000)));
  }

  get count(): number {
    return this.histogram.totalCount;
  }

  /** The value at a percentile (0–100), in milliseconds; 0 when nothing was recorded. */
  percentileMs(percentile: number): number {
    return this.histogram.totalCount === 0 ? 0 : round(this.histogram.getValueAtPercentile(percentile) / 1000, 3);
  }

  summary(): LatencySummary {
    const count = this.histogram.totalCount;
    const at = (p: number) => (count === 0 ? 0 : round(this.histogram.getValueAtPercentile(p) / 1000));
    return { count, p50Ms: at(50), p99Ms: at(99), maxMs: count === 0 ? 0 : round(this.histogram.maxValue / 1000) };
  }
}

/** Two decimals: enough for milliseconds and ratios, short enough for a table. */
export function round(value: number, digits = 2): number {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}
