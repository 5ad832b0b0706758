import { expect } from 'chai';
import type { LeakEvent, LeakReport } from '../clients/contract';
import { describeOutcome, type Outcome } from '../clients/outcome';
import { describeEvidence } from '../targets/evidence';
import { NotOffered } from '../targets/not-offered';
import type { PoolReading, ServiceTarget } from '../targets/service-target';
import type { PoolTimeline } from '../monitoring/pool-timeline';
import type { LeakMark } from '../tasks/leak-connections';
import type { RoundFigures } from '../tasks/operation-rounds';

type SuccessRule = Pick<ServiceTarget, 'succeeded' | 'refusals'>;

/** Why an answer is not a failure inside the database, or undefined when it is one. */
function notADatabaseError(answer: Outcome, target: SuccessRule): string | undefined {
  if (answer.status === 0) return 'no answer';
  if (target.succeeded(answer)) return 'a success';
  if ([429, 503].includes(answer.status)) return 'backpressure';
  if (target.refusals.format !== 'problem+json') return undefined;
  if (answer.status < 500) return 'not a server-side failure';
  if (!/^application\/problem\+json/.test(answer.headers['content-type'] ?? '')) return 'not problem+json';
  const type = (answer.body as { type?: unknown } | undefined)?.type;
  return typeof type === 'string' && type !== '' ? undefined : 'a problem with no type';
}

/**
 * The round's answers, judged by what they say (not by which ones the suite meant to fail): as
 * many successes and as many failures inside the database as stated, nothing else (nothing shed,
 * nothing unanswered) — and the ones that failed are the ones sent to fail.
 */
export function expectOperationOutcomes(round: RoundFigures, succeeded: number, failed: number, target: SuccessRule): void {
  const answers = round.outcomes.map(({ label, outcome }) => ({ label, outcome, why: notADatabaseError(outcome, target) }));
  const described = answers.map(({ label, outcome }) => `${label}: ${describeOutcome(outcome)} ${JSON.stringify(outcome.body)?.slice(0, 160)}`).join('\n');
  const successes = answers.filter((a) => target.succeeded(a.outcome));
  const databaseErrors = answers.filter((a) => a.why === undefined);
  expect(successes.length, `${round.service} answers that were successes, of the round's ${answers.length}:\n${described}`).to.equal(succeeded);
  expect(databaseErrors.length, `${round.service} answers that were failures inside the database, of the round's ${answers.length}:\n${described}`).to.equal(failed);
  const neither = answers.filter((a) => a.why !== undefined && !target.succeeded(a.outcome));
  expect(neither.map((a) => `${a.label}: ${describeOutcome(a.outcome)} (${a.why})`), 'answers neither a success nor a database error').to.deep.equal([]);
  const misplaced = answers.filter((a) => (a.label === 'failing operation') !== (a.why === undefined));
  expect(misplaced.map((a) => `${a.label}: ${describeOutcome(a.outcome)}`), 'operations whose outcome is not the one they were sent for').to.deep.equal([]);
}

/** Sampled while a round ran: the active count rose to `peak` and never above it. */
export function expectActivePeaked(timeline: PoolTimeline, round: RoundFigures, peak: number): void {
  const during = timeline.series(round.service, 'active', 'the number of connections in use over time', { fromEpoch: round.startedAt, toEpoch: round.answeredAt });
  expect(during.length, `pool samples taken while the operations ran (${round.answeredAt - round.startedAt} ms)`).to.be.at.least(5);
  expect(Math.max(...during.map((s) => s.active)), `${round.service} peak active connections while the operations ran`).to.equal(peak);
}

/** After the round, the sampler saw the active count back at the round's baseline. */
export function expectActiveBackAtBaseline(timeline: PoolTimeline, round: RoundFigures): void {
  const after = timeline.samplesOf(round.service, { fromEpoch: round.answeredAt });
  expect(after.at(-1)?.active, `${round.service} active connections sampled after the operations (baseline ${round.baseline.active})`).to.equal(round.baseline.active);
}

export function expectLifecycleCounted(round: RoundFigures, acquired: number, released: number): void {
  if (round.acquired === undefined || round.released === undefined) {
    throw new NotOffered('the pool\'s own counts of connections acquired and released', `the service reports none (its pool is read from ${describeEvidence(round.evidence)})`);
  }
  expect({ acquired: round.acquired, released: round.released }, `${round.service} connections acquired and released over the operations`).to.deep.equal({ acquired, released });
}

/**
 * What a pool with SQLAlchemy's rule keeps open once idle: the connections it had open, up to
 * pool_size — overflow (above pool_size) is closed on return, the rest is never closed. A round
 * opened as many as its operations needed at once, up to capacity: one number where the round's
 * holders alone needed pool_size or more (the plan's rounds), a range otherwise.
 */
export function connectionsKept(round: Pick<RoundFigures, 'baseline' | 'poolSize' | 'capacity' | 'demand'>): { least: number; most: number } {
  const kept = (demand: number) => Math.min(round.poolSize, Math.max(round.baseline.total, Math.min(round.capacity, demand)));
  return { least: kept(round.demand.least), most: kept(round.demand.most) };
}

function describeKept({ least, most }: { least: number; most: number }): string {
  return least === most ? `${least}` : `${least} to ${most}`;
}

/**
 * No drift: after every round nothing is held or waiting, what was given back equals what was
 * taken, the pool closed exactly its overflow and kept the rest open and idle — the same number
 * each time — and pg_stat_activity agrees. Where the target's pool has no overflow rule of its own
 * (node-postgres' one size, closing idle connections on a timer), what it keeps is its own idle
 * policy: that part is not judged.
 */
export function expectNoDrift(rounds: readonly RoundFigures[], target: Pick<ServiceTarget, 'overflow' | 'label'>): void {
  expect(rounds.length, 'rounds run (drift shows over two at least)').to.be.at.least(2);
  const rows = rounds
    .map((r) => `round ${r.round}: active ${r.active}, waiting ${r.waiting}, open ${r.total}, idle ${r.idle} (keeps ${describeKept(connectionsKept(r))}: pool_size ${r.poolSize}), database ${r.database.total} open / ${r.database.busy} busy, acquired ${r.acquired}, released ${r.released}`)
    .join('\n');
  for (const r of rounds) {
    expect(r.active, `connections still checked out after round ${r.round}\n${rows}`).to.equal(r.baseline.active);
    if (r.waiting !== undefined) expect(r.waiting, `requests still waiting after round ${r.round}\n${rows}`).to.equal(0);
    if (r.acquired !== undefined) expect(r.released, `connections given back in round ${r.round}\n${rows}`).to.equal(r.acquired);
    expect(r.database, `pg_stat_activity after round ${r.round}\n${rows}`).to.deep.equal({ total: r.total, busy: 0 });
    if (target.overflow === 'its own') {
      const { least, most } = connectionsKept(r);
      expect(r.total, `open connections after round ${r.round}: overflow closed, the rest kept (${describeKept({ least, most })})\n${rows}`).to.be.within(least, most);
      if (r.idle !== undefined) expect(r.idle, `idle connections after round ${r.round}: all open ones but those held\n${rows}`).to.equal(r.total - r.active);
    }
  }
  expect(new Set(rounds.map((r) => r.total)).size, `open connections drifted between rounds\n${rows}`).to.equal(1);
  // The same server connections, not only the same number: no round's failures threw one away.
  for (const r of rounds) expectSameBackends(r);
  if (target.overflow !== 'its own') throw new NotOffered('a pool that keeps pool_size open and closes overflow', `${target.label} has one pool size and its own idle policy, so only the drift and PostgreSQL's agreement were judged`);
}

/** The leak detector recorded `action` for the leaked checkout; returns that event. */
export function expectLeakEvent(report: LeakReport, mark: LeakMark, action: LeakEvent['action']): LeakEvent {
  const event = report.events.find((e) => e.checkoutId === mark.leak.checkoutId && e.action === action);
  expect(event, `a "${action}" event for checkout ${mark.leak.checkoutId} among ${JSON.stringify(report.events.map(({ stack: _s, ...e }) => e))}`).to.not.equal(undefined);
  return event!;
}

/** The service's own counters grew in this scenario by exactly what one leak accounts for. */
function expectCountedOnce(mark: LeakMark, now: PoolReading, counters: ReadonlyArray<'leaksDetected' | 'leaksReclaimed'>): void {
  for (const name of counters) {
    const before = mark.countersBefore[name];
    if (before === undefined || now[name] === undefined) throw new NotOffered(`the ${mark.service} pool's count of ${name}`, `${mark.service} does not report it (its pool is read from ${describeEvidence(now.evidence)})`);
    expect(now[name]! - before, `${mark.service} ${name} counted since the leak was made (${before} before, ${now[name]} now)`).to.equal(1);
  }
}

/**
 * How late the leak detector's pass may run beyond its interval: measured, it never did (64 leaks at
 * thresholds of 0.2 s to 6 s, also beside four CPU-bound processes); this covers one stalled turn of
 * the service's event loop (a garbage collection, the machine's other work).
 */
export const TIMER_LATENESS_MS = 100;

/**
 * When a leak is reported, by both clocks: the service's age of the connection, and the time from
 * the suite's request to the service's report (the connection was taken after the request was sent
 * and before it was answered). No earlier than the threshold; no later than the threshold plus one
 * pass of the detector (and a timer's lateness).
 */
export function expectReportedInTime(event: LeakEvent, mark: LeakMark, thresholdMs: number, checkEveryMs: number): { ageMs: number; fromRequestMs: { earliest: number; latest: number }; boundsMs: [number, number] } {
  const latest = thresholdMs + checkEveryMs + TIMER_LATENESS_MS;
  const bounds = `between the threshold ${thresholdMs} ms and ${latest} ms (threshold + one ${checkEveryMs} ms detector pass + ${TIMER_LATENESS_MS} ms timer lateness)`;
  expect(event.ageMs, `age of the leaked connection when reported (ms), ${bounds}`).to.be.within(thresholdMs, latest);
  const reportedAt = Date.parse(event.at);
  const fromRequestMs = { earliest: reportedAt - mark.answeredAt, latest: reportedAt - mark.sentAt };
  // Whole milliseconds on both clocks: allow the rounding of the service's timestamp.
  expect(fromRequestMs.latest, `ms from sending the leaking request to the report (the connection was taken after it was sent): not before the threshold ${thresholdMs} ms`).to.be.at.least(thresholdMs - 1);
  expect(fromRequestMs.earliest, `ms from the leaking request's answer to the report (the connection was taken before it was answered): ${bounds}`).to.be.at.most(latest + 1);
  return { ageMs: event.ageMs, fromRequestMs, boundsMs: [thresholdMs, latest] };
}

/** Reported on the leaked connection's server backend, with where it was taken, and counted once in this scenario. */
export function expectLeakReported(event: LeakEvent, mark: LeakMark, now: PoolReading): void {
  expect(event.serverProcessId, 'server backend of the leaked connection').to.equal(mark.leak.serverProcessId);
  expect(event.stack, 'where the leaked connection was taken: a place in the service\'s code').to.match(/:\d+/);
  expectCountedOnce(mark, now, ['leaksDetected']);
}

/** Taken back by the service: no longer held, detected and reclaimed once each in this scenario, its server backend terminated by the service. */
export function expectLeakTakenBack(event: LeakEvent, report: LeakReport, mark: LeakMark, now: PoolReading): void {
  expect(report.held.map((h) => h.checkoutId), 'connections still held').to.not.include(mark.leak.checkoutId);
  expectCountedOnce(mark, now, ['leaksDetected', 'leaksReclaimed']);
  expect(event.serverTerminated, `${mark.service} says it terminated server backend ${mark.leak.serverProcessId} (its ${event.action} event)`).to.equal(true);
}

/**
 * No zombie, and no mere hang-up: PostgreSQL no longer has the leaked connection's server backend,
 * and counted exactly one session of that database ended by termination since the leak was made —
 * a client closing its socket would count as a normal end or as abandoned, not as killed.
 */
export function expectServerSessionTerminated(mark: LeakMark, stillThere: boolean, sessionsKilledNow: number): void {
  expect(stillThere, `server backend ${mark.leak.serverProcessId} still in pg_stat_activity`).to.equal(false);
  const { name, sessionsKilledBefore } = mark.database!;
  expect(sessionsKilledNow - sessionsKilledBefore, `sessions of database ${name} that PostgreSQL saw terminated since the leak was made (pg_stat_database.sessions_killed: ${sessionsKilledBefore} before, ${sessionsKilledNow} now)`).to.equal(1);
}

/**
 * A failed operation gives its connection back, not away (the plan: "failed operations still
 * return connections to the pool", "pool metrics show proper connection lifecycle"). The round's
 * failing operations ran first, never more at once than the pool keeps open, so none of their
 * connections was overflow the pool may close: every server connection open before them is still
 * open after them (PostgreSQL's pids) — a pool that closes the connection of every failed operation
 * and opens another keeps the count but not the backends — and, where the service counts them, it
 * closed none, opened only what it lacked, and counted no connection error for a statement that
 * failed.
 */
export function expectSameBackends(round: RoundFigures): { kept: number; opened: number; closed: number | undefined } {
  const { pidsBefore, pidsAfter, created, destroyed, connectionErrors } = round.failures;
  const after = new Set(pidsAfter);
  const gone = pidsBefore.filter((pid) => !after.has(pid));
  const described = `server connections (pids) before the failing operations: ${pidsBefore.join(', ') || 'none'}; after them: ${pidsAfter.join(', ') || 'none'}`;
  expect(pidsBefore.length, `round ${round.round}: server connections open before the failing operations, just after the pool's resting ones were used (${described})`).to.be.greaterThan(0);
  expect(gone, `round ${round.round}: server connections gone while only failing operations ran, never more at once than the pool keeps (${described})`).to.deep.equal([]);
  if (destroyed !== undefined) expect(destroyed, `round ${round.round}: connections the pool closed while only failing operations ran (${described})`).to.equal(0);
  if (created !== undefined) expect(created, `round ${round.round}: connections the pool opened while only failing operations ran, against PostgreSQL's count (${described})`).to.equal(pidsAfter.length - pidsBefore.length);
  if (connectionErrors !== undefined) expect(connectionErrors, `round ${round.round}: connection errors counted for operations that failed inside the database (a failed statement is not a broken connection)`).to.equal(0);
  return { kept: pidsBefore.length, opened: pidsAfter.length - pidsBefore.length, closed: destroyed };
}
