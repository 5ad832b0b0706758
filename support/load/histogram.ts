import * as hdr from 'hdr-histogram-js';

export interface LatencySummary {
  count: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
  mean: number;
}

/** Longest latency the histogram tracks exactly: above any request timeout the suite uses. */
const HIGHEST_TRACKABLE_US = 10 * 60 * 1_000_000;

/**
 * Request latencies in an HdrHistogram (hdr-histogram-js, the JS port of Gil Tene's): constant
 * memory however many requests, percentiles to 3 significant digits. Recorded in microseconds,
 * reported in milliseconds.
 */
export class LatencyHistogram {
  private readonly histogram = hdr.build({
    lowestDiscernibleValue: 1,
    highestTrackableValue: HIGHEST_TRACKABLE_US,
    numberOfSignificantValueDigits: 3,
    autoResize: false,
  });

  record(ms: number): void {
    // Guard: a clock step backwards or a value past the range must not throw inside the load loop.
    const us = Math.min(HIGHEST_TRACKABLE_US, Math.max(1, Math.round(ms * 1000)));
    this.histogram.recordValue(us);
  }

  get count(): number {
    return this.histogram.totalCount;
  }

  summary(): LatencySummary {
    const ms = (us: number): number => Math.round(us) / 1000;
    if (this.histogram.totalCount === 0) return { count: 0, p50: 0, p95: 0, p99: 0, max: 0, mean: 0 };
    return {
      count: this.histogram.totalCount,
      p50: ms(this.histogram.getValueAtPercentile(50)),
      p95: ms(this.histogram.getValueAtPercentile(95)),
      p99: ms(this.histogram.getValueAtPercentile(99)),
      max: ms(this.histogram.maxValue),
      mean: ms(this.histogram.mean),
    };
  }
}
