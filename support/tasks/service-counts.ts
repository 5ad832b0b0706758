import { describeEvidence } from '../targets/evidence';
import { ScenarioState } from '../scenario-state';
import type { ServiceName } from '../system-under-test';
import { NotOffered } from '../targets/not-offered';
import type { PoolReading, WaitHistogram } from '../targets/service-target';
import type { LedgerEntry, TrackedOperation } from '../load/operations';
import type { PoolWorld } from '../world';

/** What a service's pool counted of the requests that asked it for a connection. */
export interface AdmissionCounts {
  /** Connections handed to a caller. */
  acquired: number;
  /** Refused at once because the queue was full (429). */
  rejected: number;
  /** Waited the pool timeout without a connection (503). */
  timeouts: number;
}

/** A service's counts since the scenario set its pool, and where they came from (for the report). */
export interface CountedSince {
  service: ServiceName;
  counted: AdmissionCounts;
  evidence: string;
}

/** A service's reading and its own reports (each channel: its snapshot, its Prometheus series) at one moment. */
interface ReadAt {
  reading: PoolReading;
  reports: PoolReading[];
}

const countsAtStart = new ScenarioState<Map<ServiceName, ReadAt>>('no service counts', () => new Map());

/**
 * Remembers a service's own counts now, once its pool has the scenario's shape and is drained: the
 * scenario's requests are later matched against what it counts from here on. (A target restarted
 * for a new shape starts counting from zero: this is read after the restart.)
 */
export async function rememberServiceCounts(world: PoolWorld, service: ServiceName): Promise<void> {
  const target = world.target(service);
  const [reading, reports] = await Promise.all([target.poolState(), target.ownReports()]);
  countsAtStart.of(world).set(service, { reading, reports });
}

function startOf(world: PoolWorld, service: ServiceName): ReadAt {
  const start = countsAtStart.of(world).get(service);
  if (!start) throw new Error(`unexpected condition: the ${service} counts were not read when the scenario began`);
  return start;
}

function admissionsOf(reading: PoolReading): AdmissionCounts | undefined {
  const { acquired, rejected, timeouts } = reading;
  return acquired === undefined || rejected === undefined || timeouts === undefined ? undefined : { acquired, rejected, timeouts };
}

/**
 * What the service counted since the scenario set its pool: connections handed out, refused at
 * once, timed out. NotOffered when the target does not report these counts.
 */
export async function countedSinceStart(world: PoolWorld, service: ServiceName): Promise<CountedSince> {
  const start = startOf(world, service).reading;
  const now = await world.pool(service);
  const before = admissionsOf(start);
  const after = admissionsOf(now);
  if (!before || !after) {
    throw new NotOffered(`the ${service} pool's own counts of connections handed out, refused and timed out`, `${world.target(service).label} does not report them (its pool is read from ${describeEvidence(now.evidence)})`);
  }
  const counted = { acquired: after.acquired - before.acquired, rejected: after.rejected - before.rejected, timeouts: after.timeouts - before.timeouts };
  if (Object.values(counted).some((n) => n < 0)) {
    // The counters went back: the service was restarted during the scenario, so its counts no longer cover it.
    throw new NotOffered(`the ${service} pool's counts over the whole scenario`, `its counters went back (from ${JSON.stringify(before)} to ${JSON.stringify(after)}): it was restarted during the scenario`);
  }
  return { service, counted, evidence: describeEvidence({ acquired: now.evidence.acquired, rejected: now.evidence.rejected, timeouts: now.evidence.timeouts }) };
}

/** The waits a service's histogram counted since the scenario set its pool (bucket by bucket), with its counts over the same time. */
export interface WaitsSince {
  service: ServiceName;
  /** Cumulative counts per upper bound (seconds), sum and count: this scenario's waits only. */
  waits: WaitHistogram;
  /** The histogram since the service started, and the service's own percentiles over its recent waits (where it gives them). */
  allTime: WaitHistogram;
  percentilesMs: PoolReading['waitPercentilesMs'];
  counted: AdmissionCounts;
}

/** The service's wait histogram since the scenario set its pool; NotOffered when it exposes none. */
export async function waitsSinceStart(world: PoolWorld, service: ServiceName): Promise<WaitsSince> {
  const target = world.target(service);
  const histogramOf = (reports: readonly PoolReading[]) => reports.find((report) => report.waitSeconds)?.waitSeconds;
  const before = histogramOf(startOf(world, service).reports);
  const reports = await target.ownReports();
  const after = histogramOf(reports);
  if (!before || !after) throw new NotOffered(`the ${service} pool's histogram of wait times`, `${target.label} exposes none (its own reports: ${reports.map((r) => describeEvidence(r.evidence)).join(', ') || 'none'})`);
  world.noteEvidence(`${service} wait times: its Prometheus histogram`);
  const { counted } = await countedSinceStart(world, service);
  const bounds = after.buckets.map((b) => b.le);
  const countAt = (h: WaitHistogram, le: number) => h.buckets.find((b) => b.le === le)?.count ?? 0;
  return {
    service,
    waits: { buckets: bounds.map((le) => ({ le, count: countAt(after, le) - countAt(before, le) })), sum: after.sum - before.sum, count: after.count - before.count },
    allTime: after,
    percentilesMs: reports.find((report) => report.waitPercentilesMs)?.waitPercentilesMs,
    counted,
  };
}

/** Everything the accounting of a scenario's requests judges: what was sent, what came back, and each service's own counts. */
export interface Accounts {
  sent: readonly TrackedOperation[];
  ledger: readonly LedgerEntry[];
  /** Per service its requests went to: what it counted since the scenario set its pool, or why that cannot be read. */
  counted: Map<ServiceName, CountedSince | NotOffered>;
}

/** Waits for every request of the scenario, then reads each service's own counts (where it reports them). */
export async function gatherAccounts(world: PoolWorld): Promise<Accounts> {
  await world.operations.allSettled();
  const sent = world.operations.all();
  const counted = new Map<ServiceName, CountedSince | NotOffered>();
  for (const service of new Set(sent.map((op) => op.service as ServiceName | undefined))) {
    if (service === undefined) continue;
    counted.set(service, await countedSinceStart(world, service).catch((error: unknown) => {
      if (error instanceof NotOffered) return error;
      throw error;
    }));
  }
  return { sent, ledger: world.operations.ledgerEntries(), counted };
}
