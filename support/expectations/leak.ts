import { expect } from 'chai';
import type { LeakEvent, LeakReport, LeakedConnection, PoolSnapshot } from '../clients/contract';
import { describeOutcome } from '../clients/outcome';
import type { Operations } from '../load/operations';
import { describeEvidence } from '../monitoring/pool-timeline';
import { NotOffered } from '../targets/not-offered';
import type { ServiceTarget } from '../targets/service-target';
import type { PoolTimeline } from '../monitoring/pool-timeline';
import type { RoundFigures } from '../tasks/operation-rounds';

/**
 * The operations' answers, by the target's own rule of success: the succeeding ones succeeded; the
 * failing ones were answered, as a failure (where the target writes problem+json: a 5xx problem
 * naming its type), nothing shed and nothing unanswered.
 */
export function expectOperationOutcomes(operations: Operations, succeeded: number, failed: number, target: Pick<ServiceTarget, 'succeeded' | 'refusalFormat'>): void {
  const ok = operations.labelled('operation').map((op) => op.outcome!);
  const failing = operations.labelled('failing operation').map((op) => op.outcome!);
  expect(ok.filter((o) => target.succeeded(o)).length, `succeeding operations that succeeded (${ok.map(describeOutcome).join(', ')})`).to.equal(succeeded);
  expect(failing.length, 'failing operations').to.equal(failed);
  for (const answer of failing) {
    const what = `a failing operation's answer: ${describeOutcome(answer)} ${JSON.stringify(answer.body)?.slice(0, 200)}`;
    expect(answer.status, `${what}: answered`).to.not.equal(0);
    expect(target.succeeded(answer), `${what}: a failure, not a success`).to.equal(false);
    expect([429, 503], `${what}: a database error, not backpressure`).to.not.include(answer.status);
    if (target.refusalFormat === 'problem+json') {
      expect(answer.status, `${what}: a server-side failure`).to.be.at.least(500);
      expect(answer.headers['content-type'], `${what}: content type`).to.match(/^application\/problem\+json/);
      expect((answer.body as { type?: unknown }).type, `${what}: problem type`).to.be.a('string').and.not.equal('');
    }
  }
}

/** Sampled while a round ran: the active count rose to `peak` and never above it. */
export function expectActivePeaked(timeline: PoolTimeline, service: string, round: RoundFigures, peak: number): void {
  const during = timeline.series(service, 'active', 'the number of connections in use over time', { fromEpoch: round.startedAt, toEpoch: round.answeredAt });
  expect(during.length, `pool samples taken while the operations ran (${round.answeredAt - round.startedAt} ms)`).to.be.at.least(5);
  expect(Math.max(...during.map((s) => s.active)), `${service} peak active connections while the operations ran`).to.equal(peak);
}

/** After the round, the sampler saw the active count back at the round's baseline. */
export function expectActiveBackAtBaseline(timeline: PoolTimeline, service: string, round: RoundFigures): void {
  const after = timeline.samplesOf(service, { fromEpoch: round.answeredAt });
  expect(after.at(-1)?.active, `${service} active connections sampled after the operations (baseline ${round.baseline.active})`).to.equal(round.baseline.active);
}

export function expectLifecycleCounted(round: RoundFigures, acquired: number, released: number): void {
  if (round.acquired === undefined || round.released === undefined) {
    throw new NotOffered('the pool\'s own counts of connections acquired and released', `the service reports none (its pool is read from ${describeEvidence(round.evidence)})`);
  }
  expect({ acquired: round.acquired, released: round.released }, 'connections acquired and released over the operations').to.deep.equal({ acquired, released });
}

/** No drift: after every round nothing is held, the same number stay open, and pg_stat_activity agrees. */
export function expectNoDrift(rounds: readonly RoundFigures[]): void {
  expect(rounds.length, 'rounds run (drift shows over two at least)').to.be.at.least(2);
  const rows = rounds.map((r) => `round ${r.round}: active ${r.active}, waiting ${r.waiting}, open ${r.total} (pool_size ${r.poolSize}), database ${r.database.total} open / ${r.database.busy} busy, acquired ${r.acquired}, released ${r.released}`).join('\n');
  for (const r of rounds) {
    expect(r.active, `connections still checked out after round ${r.round}\n${rows}`).to.equal(r.baseline.active);
    if (r.waiting !== undefined) expect(r.waiting, `requests still waiting after round ${r.round}\n${rows}`).to.equal(0);
    if (r.acquired !== undefined) expect(r.released, `connections given back in round ${r.round}\n${rows}`).to.equal(r.acquired);
    expect(r.total, `open connections after round ${r.round} above pool_size\n${rows}`).to.be.at.most(r.poolSize);
    expect(r.database, `pg_stat_activity after round ${r.round}\n${rows}`).to.deep.equal({ total: r.total, busy: 0 });
  }
  expect(new Set(rounds.map((r) => r.total)).size, `open connections drifted between rounds\n${rows}`).to.equal(1);
}

/** The leak detector recorded `action` for the leaked checkout; returns that event. */
export function expectLeakEvent(report: LeakReport, leak: LeakedConnection, action: LeakEvent['action']): LeakEvent {
  const event = report.events.find((e) => e.checkoutId === leak.checkoutId && e.action === action);
  expect(event, `a "${action}" event for checkout ${leak.checkoutId} among ${JSON.stringify(report.events.map(({ stack: _s, ...e }) => e))}`).to.not.equal(undefined);
  return event!;
}

/** Reported with its age (at least the threshold) and where it was taken (the service's leaking handler). */
export function expectLeakReported(event: LeakEvent, leak: LeakedConnection, thresholdMs: number, takenIn: RegExp, snapshot: PoolSnapshot): void {
  expect(event.ageMs, 'age of the leaked connection when reported (ms)').to.be.at.least(thresholdMs);
  expect(event.serverProcessId, 'server backend of the leaked connection').to.equal(leak.serverProcessId);
  expect(event.stack, 'where the leaked connection was taken').to.match(takenIn);
  expect(snapshot.counters.leaksDetected, 'leaks detected').to.be.at.least(1);
}

/** Taken back by the service: no longer held, and counted as reclaimed. */
export function expectLeakTakenBack(report: LeakReport, leak: LeakedConnection, snapshot: PoolSnapshot): void {
  expect(report.held.map((h) => h.checkoutId), 'connections still held').to.not.include(leak.checkoutId);
  expect(snapshot.counters.leaksReclaimed, 'leaks reclaimed').to.be.at.least(1);
}

/** No zombie: PostgreSQL no longer has the leaked connection's server backend. */
export function expectServerConnectionGone(leak: LeakedConnection, stillThere: boolean): void {
  expect(stillThere, `server backend ${leak.serverProcessId} still in pg_stat_activity`).to.equal(false);
}
