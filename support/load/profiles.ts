/**
 * Load profiles: the plan's load levels as a schedule of contiguous segments, each with a number of
 * closed-loop callers. "80% of pool capacity" is a count of callers, each holding one connection per
 * request, so concurrency == connections in use (DESIGN §5), not a guess in requests per second.
 */

export type SegmentKind = 'steady' | 'sustained' | 'spike';

export interface LoadSegment {
  /** Shown in the report and the progress line, e.g. "spike 1 (120%)". */
  name: string;
  kind: SegmentKind;
  /** Milliseconds from the start of the load. */
  fromMs: number;
  toMs: number;
  callers: number;
  /** The share of pool capacity the callers stand for. */
  percent: number;
}

export interface LoadProfile {
  capacity: number;
  /** How long each request holds its connection (the backend's /api/work/hold). */
  holdSeconds: number;
  segments: LoadSegment[];
  /** With spikes: how long the sustained level runs after each spike at least, for recovery to be judged in. */
  recoveryMs?: number;
}

export function callersFor(capacity: number, percent: number): number {
  const callers = Math.round((capacity * percent) / 100);
  if (!Number.isInteger(capacity) || capacity < 1) throw new Error(`pool capacity ${capacity} is not allowed: expected a positive integer`);
  if (!(percent > 0) || callers < 1) throw new Error(`${percent}% of capacity ${capacity} is not allowed: it must make at least one caller`);
  return callers;
}

export function durationOf(profile: LoadProfile): number {
  return profile.segments.at(-1)?.toMs ?? 0;
}

export function maxCallers(profile: LoadProfile): number {
  return Math.max(0, ...profile.segments.map((s) => s.callers));
}

/** One level for the whole duration, each request holding its connection for `holdSeconds`. */
export function steadyLoad(capacity: number, percent: number, durationMs: number, holdSeconds: number): LoadProfile {
  if (!(durationMs > 0)) throw new Error(`load duration ${durationMs} ms is not allowed: expected more than 0`);
  checkHold(holdSeconds);
  return {
    capacity,
    holdSeconds,
    segments: [{ name: `steady ${percent}%`, kind: 'steady', fromMs: 0, toMs: durationMs, callers: callersFor(capacity, percent), percent }],
  };
}

export interface SpikeSchedule {
  capacity: number;
  percent: number;
  durationMs: number;
  spikePercent: number;
  spikeMs: number;
  /** A spike starts every `everyMs`, the first one `everyMs` after the start; every one that starts before the load ends must fit. */
  everyMs: number;
  /** The sustained level runs at least this long after each spike, before the next one or the end: the time recovery is judged in. */
  recoveryMs: number;
  holdSeconds: number;
}

function checkHold(holdSeconds: number): void {
  if (!(holdSeconds > 0)) throw new Error(`a hold of ${holdSeconds} s per request is not allowed: expected more than 0`);
}

const seconds = (ms: number): string => `${ms / 1000} s`;

/**
 * A sustained level with spikes on a schedule: sustained, spike 1, sustained, spike 2, ..., sustained.
 * Refuses a schedule in which a spike is not followed by `recoveryMs` at the sustained level — before
 * the next spike or before the load ends — since recovery from it could not be judged in full.
 */
export function sustainedWithSpikes(schedule: SpikeSchedule): LoadProfile {
  const { capacity, percent, durationMs, spikePercent, spikeMs, everyMs, recoveryMs, holdSeconds } = schedule;
  checkHold(holdSeconds);
  if (!(spikeMs > 0) || !(recoveryMs > 0)) throw new Error(`spikes of ${seconds(spikeMs)} with ${seconds(recoveryMs)} to recover are not allowed: both must be longer than 0`);
  if (everyMs - spikeMs < recoveryMs) {
    throw new Error(`spikes of ${seconds(spikeMs)} every ${seconds(everyMs)} leave ${seconds(everyMs - spikeMs)} between one spike and the next, less than the ${seconds(recoveryMs)} allowed to recover: space the spikes further apart or allow less time`);
  }
  const sustained = callersFor(capacity, percent);
  const spike = callersFor(capacity, spikePercent);
  const segments: LoadSegment[] = [];
  let cursor = 0;
  for (let index = 1; index * everyMs < durationMs; index++) {
    const from = index * everyMs;
    const tail = durationMs - (from + spikeMs);
    if (tail < recoveryMs) {
      throw new Error(
        `spike ${index} (${seconds(from)} to ${seconds(from + spikeMs)}) leaves ${seconds(Math.max(0, tail))} of the ${seconds(durationMs)} load after it, less than the ${seconds(recoveryMs)} allowed to recover: make the load longer, space the spikes differently or allow less time`,
      );
    }
    segments.push({ name: `sustained ${percent}%`, kind: 'sustained', fromMs: cursor, toMs: from, callers: sustained, percent });
    segments.push({ name: `spike ${index} (${spikePercent}%)`, kind: 'spike', fromMs: from, toMs: from + spikeMs, callers: spike, percent: spikePercent });
    cursor = from + spikeMs;
  }
  if (segments.length === 0) throw new Error(`no spike every ${seconds(everyMs)} starts within ${seconds(durationMs)} of load`);
  segments.push({ name: `sustained ${percent}%`, kind: 'sustained', fromMs: cursor, toMs: durationMs, callers: sustained, percent });
  return { capacity, holdSeconds, segments, recoveryMs };
}

/** The segment running at `ms` from the start (the last one at or after the end). */
export function segmentAt(profile: LoadProfile, ms: number): LoadSegment | undefined {
  return profile.segments.find((s) => ms >= s.fromMs && ms < s.toMs);
}
