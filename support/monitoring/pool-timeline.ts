import { channelOf, describeEvidence } from '../targets/evidence';
import { NotOffered } from '../targets/not-offered';
import type { PoolReading, ServiceTarget } from '../targets/service-target';
import { REQUEST } from '../timeouts';
import { LivenessProbe, type LivenessFigure, type LivenessSample } from './liveness';

/** The figures one channel of a service's own reports gave at one moment (its snapshot, its Prometheus series). */
export type ChannelFigures = Partial<Pick<PoolReading, 'active' | 'idle' | 'waiting' | 'open' | 'capacity' | 'utilization' | 'acquired' | 'released' | 'timeouts' | 'rejected' | 'errors'>>;

/** The figures compared between channels, and that must not change for a sample to count as taken in a still moment. */
export const CHANNEL_FIGURES = ['active', 'idle', 'waiting', 'open', 'capacity', 'utilization', 'acquired', 'released', 'timeouts', 'rejected', 'errors'] as const;

/** One reading of one service's pool; a figure the target's evidence does not give is absent. */
export interface TimelineSample {
  /** Milliseconds since the sampler started. */
  t: number;
  service: string;
  active?: number;
  idle?: number;
  waiting?: number;
  capacity?: number;
  /** active / capacity: as the service reports it, or from the two counts. */
  utilization?: number;
  health?: string;
  /** Every figure of the reading above (counters included), for telling still moments from changing ones. */
  figures: ChannelFigures;
  /**
   * What each channel of the service's own reports said, read just after the reading above (only
   * for a service that reports through more than one channel: our snapshot and Prometheus).
   */
  channels?: Record<string, ChannelFigures>;
}

/** A stretch of the scenario worth marking on the chart: a load phase, a batch of operations. */
export interface TimelinePhase {
  name: string;
  kind: string;
  /** Milliseconds since the sampler started, like the samples. */
  from: number;
  to: number;
}

/** A poll that got no reading: when, what was asked, and why. */
export interface PollFailure {
  t: number;
  service: string;
  /** The best-evidence reading, or the service's own reports. */
  read: 'reading' | 'own reports';
  /**
   * Not listening: connection refused (a process gone: the scenario's requests show that). During a
   * restart: the poll overlapped a restart the suite made for a pool shape (the old process closing
   * answers 503, the new one is not yet listening).
   */
  kind: 'no answer' | 'not listening' | 'during a restart';
  why: string;
}

export interface TimelineJson {
  startedAt: string;
  everyMs: number;
  phases: TimelinePhase[];
  liveness: LivenessFigure & { everyMs: number };
  samples: TimelineSample[];
  /** Per service, where each figure came from (the service's snapshot, Prometheus, pg_stat_activity, the shape the suite set). */
  evidence: Record<string, PoolReading['evidence']>;
  /** Polls that got no reading (the service or its evidence did not answer), per service. */
  failedPolls: Record<string, number>;
  /** The first of them, with why. */
  pollFailures: PollFailure[];
  /** Ticks skipped because the poll before was still under way, per service. */
  skippedTicks: Record<string, number>;
  /** The channels of each service's own reports, compared sample by sample. */
  channelAgreement: Record<string, ChannelAgreement>;
  livenessSamples: Array<Omit<LivenessSample, 'at'> & { t: number }>;
}

/** How the channels of a service's own reports compared over the scenario. */
export interface ChannelAgreement {
  channels: string[];
  /** Samples taken in a still moment (nothing changed from the reading before to the reading after), compared figure by figure. */
  compared: number;
  /** Samples taken while the pool changed: the channels may rightly differ by what happened between their reads. */
  changing: number;
  /** Figures one channel gave and the other did not (never compared). */
  notInBoth: string[];
  mismatches: string[];
}

/** How long one poll may take: a live service answers its own figures at once (as it answers its health). */
const POLL_LIMIT_MS = REQUEST.livenessProbe;
/** Failures kept with their reason (all are counted). */
const FAILURES_KEPT = 20;

function figuresOf(reading: PoolReading): ChannelFigures {
  const figures: ChannelFigures = {};
  for (const key of CHANNEL_FIGURES) if (reading[key] !== undefined) figures[key] = reading[key];
  return figures;
}

/** Equal counts; ratios equal to rounding (each channel computes and prints its own). */
function sameFigure(a: number, b: number | undefined): boolean {
  return b !== undefined && Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(a));
}

function withinLimit<T>(read: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([read, limit]).finally(() => clearTimeout(timer));
}

/**
 * Reads every service's pool while a scenario runs (from whatever evidence its target gives), so
 * the report shows what the pool did over time and checks can ask what it did, not only what it
 * does now; marks the phases of the scenario; and runs the liveness probe beside it.
 *
 * For a service that reports through more than one channel (our snapshot and Prometheus), every
 * tick also reads each channel, after the reading: the channels must agree at every sample taken in
 * a still moment (see channelAgreement). A poll that gets no reading is counted and kept with its
 * reason, never dropped silently; the service's own reports failing to answer fails the scenario
 * (see verdict).
 */
export class PoolTimeline {
  readonly samples: TimelineSample[] = [];
  readonly phases: TimelinePhase[] = [];
  readonly liveness: LivenessProbe;
  /** Epoch ms: sample t = epoch - startedAt. */
  readonly startedAt = Date.now();
  /** Polls that got no reading, per service. */
  readonly failedPolls: Record<string, number> = {};
  readonly pollFailures: PollFailure[] = [];
  readonly skippedTicks: Record<string, number> = {};
  /** Per service, the evidence of its last reading. */
  readonly evidence: Record<string, PoolReading['evidence']> = {};
  private timer: NodeJS.Timeout | undefined;
  /** The poll under way per service: a slow one must not pile up more on a struggling service. */
  private readonly inFlight = new Map<string, Promise<void>>();
  /** Per service, whether it reports on its pool itself at all (learned at its first poll). */
  private readonly reportsItself = new Map<string, boolean>();
  /** Per service, polls its own reports did not answer (refused connections apart). */
  private readonly silentPolls: Record<string, number> = {};
  private readonly livenessEveryMs = 250;

  constructor(
    private readonly targets: readonly ServiceTarget[],
    readonly everyMs = 100,
  ) {
    this.liveness = new LivenessProbe(
      targets.map((t) => ({ service: t.service, health: () => t.health() })),
      this.livenessEveryMs,
    );
    for (const target of targets) {
      this.failedPolls[target.service] = 0;
      this.skippedTicks[target.service] = 0;
    }
  }

  start(): void {
    this.timer = setInterval(() => this.tick(), this.everyMs);
    this.liveness.start();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    // The poll under way ends (each read is bounded), then one last sample of every service.
    await Promise.all(this.inFlight.values());
    this.tick();
    await Promise.all([...this.inFlight.values(), this.liveness.stop()]);
  }

  /** Marks a phase given in epoch ms (the load generator's and the operations' clock). */
  markPhase(name: string, kind: string, fromEpoch: number, toEpoch: number): void {
    this.phases.push({ name, kind, from: fromEpoch - this.startedAt, to: toEpoch - this.startedAt });
  }

  /** A service's samples, optionally only those taken within [fromEpoch, toEpoch]. */
  samplesOf(service: string, window: { fromEpoch?: number; toEpoch?: number } = {}): TimelineSample[] {
    const from = (window.fromEpoch ?? -Infinity) - this.startedAt;
    const to = (window.toEpoch ?? Infinity) - this.startedAt;
    return this.samples.filter((s) => s.service === service && s.t >= from && s.t <= to);
  }

  /**
   * A service's samples of one figure (within [fromEpoch, toEpoch] when given), each with its value;
   * NotOffered when the target's evidence never gives that figure.
   */
  series(service: string, field: 'active' | 'idle' | 'waiting' | 'utilization', what: string, window: { fromEpoch?: number; toEpoch?: number } = {}): Array<TimelineSample & Record<typeof field, number>> {
    if (!this.samples.some((s) => s.service === service && s[field] !== undefined) && this.samples.some((s) => s.service === service)) {
      throw new NotOffered(what, `${service} gives no such figure (its pool is read from ${describeEvidence(this.evidence[service])})`);
    }
    return this.samplesOf(service, window).filter((s) => s[field] !== undefined) as Array<TimelineSample & Record<typeof field, number>>;
  }

  /**
   * Every series of one figure the service's own reports give over time, one per channel (our
   * services: the snapshot and Prometheus; a described one: what it exposes). Each is
   * [{ t, value }], in order. NotOffered when no channel of the service's own gives that figure.
   */
  ownSeries(service: string, field: keyof ChannelFigures, what: string): Record<string, Array<{ t: number; value: number }>> {
    const bySource: Record<string, Array<{ t: number; value: number }>> = {};
    for (const sample of this.samplesOf(service)) {
      const channels: Record<string, ChannelFigures> = sample.channels ?? {};
      // A single-channel service: its reading is its own report where the figure came from the service itself.
      const source = this.evidence[service]?.[field as keyof PoolReading['evidence']];
      if (!sample.channels && (source === 'json' || source === 'prometheus') && sample.figures[field] !== undefined) channels[source] = sample.figures;
      for (const [channel, figures] of Object.entries(channels)) {
        const value = figures[field];
        if (value !== undefined) (bySource[channel] ??= []).push({ t: sample.t, value });
      }
    }
    if (Object.keys(bySource).length === 0) throw new NotOffered(what, `${service} reports no such figure itself (its pool is read from ${describeEvidence(this.evidence[service])})`);
    return bySource;
  }

  /** The highest value of a figure among a service's samples (undefined: the target never gave it). */
  peak(service: string, field: 'active' | 'waiting' | 'utilization'): number | undefined {
    const values = this.samples.filter((s) => s.service === service).flatMap((s) => (s[field] === undefined ? [] : [s[field]!]));
    return values.length === 0 ? undefined : Math.max(...values);
  }

  /**
   * How a service's channels compared. A sample counts as taken in a still moment when the reading
   * before its channel reads and the reading after them (the next sample) agree on every figure,
   * counters included: nothing was acquired, released, refused or timed out in between, so every
   * channel must then say exactly what the readings say. Samples taken while the pool changed are
   * counted, not compared (the channels are read one after the other, not at one instant).
   */
  channelAgreement(service: string): ChannelAgreement {
    const samples = this.samplesOf(service).filter((s) => Object.keys(s.channels ?? {}).length > 1);
    const channels = [...new Set(samples.flatMap((s) => Object.keys(s.channels ?? {})))];
    const agreement: ChannelAgreement = { channels, compared: 0, changing: 0, notInBoth: [], mismatches: [] };
    const notInBoth = new Set<string>();
    for (const [index, sample] of samples.entries()) {
      const next = samples[index + 1];
      if (!sample.channels || !next) continue;
      const still = CHANNEL_FIGURES.every((key) => sample.figures[key] === next.figures[key]);
      if (!still) {
        agreement.changing++;
        continue;
      }
      agreement.compared++;
      for (const key of CHANNEL_FIGURES) {
        const said = Object.entries(sample.channels).map(([channel, figures]) => [channel, figures[key]] as const);
        const given = said.filter(([, value]) => value !== undefined);
        if (given.length === 0) continue;
        if (given.length < said.length) {
          notInBoth.add(`${key} (only in ${given.map(([channel]) => channel).join(', ')})`);
          continue;
        }
        const reading = sample.figures[key];
        const differ = given.filter(([, value]) => !sameFigure(value!, reading));
        if (differ.length > 0) agreement.mismatches.push(`t=${sample.t} ms: ${key} ${differ.map(([channel, value]) => `${value} in ${channel}`).join(', ')}, ${reading} before and after`);
      }
    }
    agreement.notInBoth = [...notInBoth];
    return agreement;
  }

  /**
   * What the timeline found wrong in the scenario: the service's own reports (its snapshot, its
   * metrics) did not answer a poll — a service that stops reporting on its pool under exhaustion
   * leaves its operators blind exactly when they need to see; a poll during a restart the suite made
   * for a new pool shape is left out, and so is a connection refused (a process that is gone shows in
   * the scenario's requests and its liveness) — or its channels disagreed in a still moment.
   */
  verdict(): string[] {
    const failures: string[] = [];
    for (const target of this.targets) {
      const service = target.service;
      const silent = this.silentPolls[service] ?? 0;
      const first = this.pollFailures.find((f) => f.service === service && f.read === 'own reports' && f.kind === 'no answer');
      if (silent > 0) failures.push(`${service}: its own pool reports did not answer ${silent} polls${first ? ` (first at t=${first.t} ms: ${first.why})` : ''}`);
      const nonsense = this.inconsistencies(service);
      if (nonsense.length > 0) failures.push(`${service}: its own pool reports contradicted themselves in ${nonsense.length} samples: ${nonsense.slice(0, 5).join('; ')}`);
      const agreement = this.channelAgreement(service);
      if (agreement.mismatches.length > 0) {
        failures.push(`${service}: its ${agreement.channels.join(' and ')} disagreed in ${agreement.mismatches.length} of ${agreement.compared} still samples: ${agreement.mismatches.slice(0, 5).join('; ')}`);
      }
    }
    return failures;
  }

  /**
   * Readings that contradict themselves, at any moment (also while requests wait and connections
   * are idle, not only when the pool is still): in one channel's one reading, utilization outside
   * 0..100% or not what is in use over capacity, more in use and idle than is open, more in use
   * than the capacity. (Open may be more than in use and idle: a connection being opened, or closed,
   * is neither — pg.Pool's totalCount and SQLAlchemy's overflow count it from the moment it connects.)
   */
  inconsistencies(service: string): string[] {
    const found: string[] = [];
    for (const sample of this.samplesOf(service)) {
      for (const [channel, f] of Object.entries(sample.channels ?? {})) {
        const at = `t=${sample.t} ms in its ${channel}`;
        if (f.utilization !== undefined && (f.utilization < 0 || f.utilization > 1)) found.push(`${at}: utilization ${(f.utilization * 100).toFixed(1)}%, outside 0..100% (${JSON.stringify(f)})`);
        if (f.utilization !== undefined && f.active !== undefined && f.capacity) {
          if (Math.abs(f.utilization - f.active / f.capacity) > 1e-6) found.push(`${at}: utilization ${f.utilization}, but ${f.active} of ${f.capacity} in use (${JSON.stringify(f)})`);
        }
        if (f.active !== undefined && f.idle !== undefined && f.open !== undefined && f.active + f.idle > f.open) found.push(`${at}: ${f.active} in use and ${f.idle} idle, more than the ${f.open} open (${JSON.stringify(f)})`);
        if (f.active !== undefined && f.capacity !== undefined && f.active > f.capacity) found.push(`${at}: ${f.active} in use, above the capacity of ${f.capacity}`);
      }
    }
    return found;
  }

  toJSON(): TimelineJson {
    return {
      startedAt: new Date(this.startedAt).toISOString(),
      everyMs: this.everyMs,
      phases: this.phases,
      liveness: { ...this.liveness.figure(), everyMs: this.livenessEveryMs },
      samples: this.samples,
      evidence: this.evidence,
      failedPolls: this.failedPolls,
      pollFailures: this.pollFailures,
      skippedTicks: this.skippedTicks,
      channelAgreement: Object.fromEntries(this.targets.map((t) => [t.service, this.channelAgreement(t.service)])),
      livenessSamples: this.liveness.samples.map(({ at, ...rest }) => ({ t: at - this.startedAt, ...rest })),
    };
  }

  private tick(): void {
    for (const target of this.targets) {
      if (this.inFlight.has(target.service)) {
        this.skippedTicks[target.service] = (this.skippedTicks[target.service] ?? 0) + 1;
        continue;
      }
      this.inFlight.set(target.service, this.sample(target).finally(() => this.inFlight.delete(target.service)));
    }
  }

  private async sample(target: ServiceTarget): Promise<void> {
    const service = target.service;
    const t = Date.now() - this.startedAt;
    let reading: PoolReading;
    try {
      reading = await withinLimit(target.poolState(), POLL_LIMIT_MS);
    } catch (error) {
      return this.failed(t, target, 'reading', error);
    }
    const { active, idle, waiting, capacity, health, evidence } = reading;
    const utilization = reading.utilization ?? (active !== undefined && capacity ? active / capacity : undefined);
    this.evidence[service] = evidence;
    const sample: TimelineSample = { t, service, active, idle, waiting, capacity, utilization, health, figures: figuresOf(reading) };
    this.samples.push(sample);
    // The service's own reports, after the reading: it and the next sample's reading enclose these reads.
    if (this.reportsItself.get(service) === false) return;
    try {
      const reports = await withinLimit(target.ownReports(), POLL_LIMIT_MS);
      this.reportsItself.set(service, reports.length > 0);
      if (reports.length > 0) sample.channels = Object.fromEntries(reports.map((report) => [channelOf(report.evidence), figuresOf(report)]));
    } catch (error) {
      this.failed(t, target, 'own reports', error);
    }
  }

  /** `t` is when the poll started, on this timeline's clock. */
  private failed(t: number, target: ServiceTarget, read: PollFailure['read'], error: unknown): void {
    const service = target.service;
    this.failedPolls[service] = (this.failedPolls[service] ?? 0) + 1;
    const why = error instanceof Error ? error.message : String(error);
    const kind = target.restartedBetween?.(this.startedAt + t, Date.now()) ? 'during a restart' : /ECONNREFUSED/.test(why) ? 'not listening' : 'no answer';
    if (read === 'own reports' && kind === 'no answer') this.silentPolls[service] = (this.silentPolls[service] ?? 0) + 1;
    if (this.pollFailures.length < FAILURES_KEPT) this.pollFailures.push({ t, service, read, kind, why });
  }
}
