import { statusClass } from '../clients/outcome';
import { LatencyHistogram, type LatencySummary } from './histogram';
import type { LoadProfile, SegmentKind } from './profiles';

/**
 * The suite's error rule, in one place. A request is:
 * - ok:    2xx;
 * - shed:  429 (queue full) or 503 (timed out waiting / database unavailable): deliberate
 *          backpressure with Retry-After, counted and bounded on its own;
 * - error: everything else: any other status (a 500 above all) and no answer at all.
 * Load tools count 429/503 as failures by default (DESIGN §8); here they are never errors.
 */

export interface ClassCounts {
  /** Every request sent (counted when sent); once all are answered, sent = 2xx + 429 + 503 + other. */
  sent: number;
  '2xx': number;
  '429': number;
  '503': number;
  other: number;
}

export interface SegmentFigures extends ClassCounts {
  name: string;
  kind: SegmentKind;
  fromMs: number;
  toMs: number;
  targetCallers: number;
  /** Mean requests in flight, sampled while the segment ran (its first ramp-up excluded). */
  achievedConcurrency: number;
  /** other / sent. */
  errorRate: number;
  /** (429 + 503) / sent. */
  shedRate: number;
  latencyMs: LatencySummary;
}

export interface SecondFigures extends ClassCounts {
  /** Whole seconds from the start of the load; requests counted in the second they were sent. */
  second: number;
  targetCallers: number;
  meanInFlight: number;
  latencyMs: LatencySummary;
}

/** Requests matched with their answers by the id each was sent with. */
export interface LoadLedger {
  sent: number;
  answered: number;
  /** Ids sent without an answer recorded (the first 20). */
  unanswered: number[];
  /** Answers that match no request waiting for one: an id never sent, or one answered twice (the first 20). */
  unmatched: string[];
}

export interface LoadFigures {
  totals: ClassCounts & { errorRate: number; shedRate: number; latencyMs: LatencySummary };
  ledger: LoadLedger;
  segments: SegmentFigures[];
  seconds: SecondFigures[];
  /** What the "other" answers were, most frequent first (at most 20 kinds). */
  others: Array<{ what: string; count: number }>;
}

interface Bucket {
  counts: ClassCounts;
  latency: LatencyHistogram;
  inFlightSum: number;
  inFlightSamples: number;
  targetCallers: number;
}

const emptyCounts = (): ClassCounts => ({ sent: 0, '2xx': 0, '429': 0, '503': 0, other: 0 });
const rate = (part: number, whole: number): number => (whole === 0 ? 0 : part / whole);
const OTHER_KINDS_KEPT = 20;

/** Per-second and per-segment accounting of a closed-loop load run, by status class, with latency histograms. */
export class LoadAccounting {
  private readonly total: Bucket;
  private readonly segmentBuckets: Bucket[];
  private readonly secondBuckets: Bucket[] = [];
  private readonly otherKinds = new Map<string, number>();
  /** Ids sent and not yet answered. */
  private readonly outstanding = new Set<number>();
  private readonly unmatched: string[] = [];
  private sentCount = 0;
  private answeredCount = 0;

  constructor(private readonly profile: LoadProfile) {
    this.total = this.bucket(0);
    this.segmentBuckets = profile.segments.map((s) => this.bucket(s.callers));
  }

  /** Request `id` is sent, `sentAtMs` after the start: counted as sent now, in the second and segment it was sent in. */
  sent(id: number, sentAtMs: number): void {
    // Ids go up by one per request: one that does not was sent before.
    if (id !== this.sentCount + 1) throw new Error(`unexpected condition: request ${id} sent after request ${this.sentCount}`);
    this.outstanding.add(id);
    this.sentCount++;
    for (const bucket of this.bucketsAt(sentAtMs)) bucket.counts.sent++;
  }

  /**
   * The answer (or the no-answer: status 0) to request `id`, sent `sentAtMs` after the start.
   * `failed`: the target's own rule says the answer is no success although its status is (GraphQL
   * errors with 200). An answer for an id that is not waiting for one is kept as unmatched.
   */
  record(id: number, sentAtMs: number, latencyMs: number, status: number, error?: string, failed = false): void {
    if (!this.outstanding.delete(id)) {
      if (this.unmatched.length < OTHER_KINDS_KEPT) this.unmatched.push(`request ${id}: answered ${status || error}, but it was ${id > this.sentCount || id < 1 ? 'never sent' : 'answered already'}`);
      return;
    }
    this.answeredCount++;
    const kind = failed ? 'other' : statusClass(status);
    for (const bucket of this.bucketsAt(sentAtMs)) {
      bucket.counts[kind]++;
      bucket.latency.record(latencyMs);
    }
    if (kind === 'other') {
      const what = status === 0 ? `no answer (${error ?? 'unknown'})` : failed ? `HTTP ${status}, ${error ?? 'not a success'}` : `HTTP ${status}`;
      this.otherKinds.set(what, (this.otherKinds.get(what) ?? 0) + 1);
    }
  }

  /** How many requests were in flight at `atMs` (the generator samples this on every tick). */
  sampleConcurrency(atMs: number, inFlight: number): void {
    const second = this.secondAt(atMs);
    second.inFlightSum += inFlight;
    second.inFlightSamples++;
    const index = this.segmentIndexAt(atMs);
    const segment = this.profile.segments[index];
    const bucket = this.segmentBuckets[index];
    if (!segment || !bucket) return;
    // Callers join and leave over the first moments of a segment: judge the level it settled at.
    const rampMs = Math.min(250, (segment.toMs - segment.fromMs) / 4);
    if (atMs < segment.fromMs + rampMs) return;
    bucket.inFlightSum += inFlight;
    bucket.inFlightSamples++;
  }

  /** The counts so far, for a progress line. */
  runningTotals(): ClassCounts {
    return { ...this.total.counts };
  }

  figures(): LoadFigures {
    const withRates = (counts: ClassCounts) => ({ ...counts, errorRate: rate(counts.other, counts.sent), shedRate: rate(counts['429'] + counts['503'], counts.sent) });
    return {
      totals: { ...withRates(this.total.counts), latencyMs: this.total.latency.summary() },
      ledger: { sent: this.sentCount, answered: this.answeredCount, unanswered: [...this.outstanding].slice(0, OTHER_KINDS_KEPT), unmatched: [...this.unmatched] },
      segments: this.profile.segments.map((segment, index) => {
        const bucket = this.segmentBuckets[index]!;
        return {
          name: segment.name,
          kind: segment.kind,
          fromMs: segment.fromMs,
          toMs: segment.toMs,
          targetCallers: segment.callers,
          achievedConcurrency: rate(bucket.inFlightSum, bucket.inFlightSamples),
          ...withRates(bucket.counts),
          latencyMs: bucket.latency.summary(),
        };
      }),
      seconds: this.secondBuckets.flatMap((bucket, second) =>
        bucket ? [{ second, ...bucket.counts, targetCallers: bucket.targetCallers, meanInFlight: rate(bucket.inFlightSum, bucket.inFlightSamples), latencyMs: bucket.latency.summary() }] : [],
      ),
      others: [...this.otherKinds].sort((a, b) => b[1] - a[1]).slice(0, OTHER_KINDS_KEPT).map(([what, count]) => ({ what, count })),
    };
  }

  /** The total, the segment and the second a request sent at `ms` counts in. */
  private bucketsAt(ms: number): Bucket[] {
    return [this.total, this.segmentBuckets[this.segmentIndexAt(ms)], this.secondAt(ms)].filter((bucket): bucket is Bucket => bucket !== undefined);
  }

  private segmentIndexAt(ms: number): number {
    const { segments } = this.profile;
    const index = segments.findIndex((s) => ms >= s.fromMs && ms < s.toMs);
    // A request sent in the last instant, after the schedule ended, belongs to the last segment.
    return index >= 0 ? index : segments.length - 1;
  }

  private secondAt(ms: number): Bucket {
    const second = Math.max(0, Math.floor(ms / 1000));
    const segment = this.profile.segments[this.segmentIndexAt(second * 1000)];
    return (this.secondBuckets[second] ??= this.bucket(segment?.callers ?? 0));
  }

  private bucket(targetCallers: number): Bucket {
    return { counts: emptyCounts(), latency: new LatencyHistogram(), inFlightSum: 0, inFlightSamples: 0, targetCallers };
  }
}
