import { Given, Then, When } from '@cucumber/cucumber';
import type { Duration } from '../support/duration';
import { eventually } from '../support/eventually';
import {
  expectActiveBackAtBaseline,
  expectActivePeaked,
  expectLeakEvent,
  expectLeakReported,
  expectLeakTakenBack,
  expectLifecycleCounted,
  expectNoDrift,
  expectOperationOutcomes,
  expectReportedInTime,
  expectSameBackends,
  expectServerSessionTerminated,
} from '../support/expectations/leak';
import type { ServiceName } from '../support/system-under-test';
import { collectGarbage, configureLeakDetection, lastLeak, leakConnection, leakEventOf, sessionsKilledNow } from '../support/tasks/leak-connections';
import { lastRound, roundsOf, runOperationRound } from '../support/tasks/operation-rounds';
import { STEP, WAIT } from '../support/timeouts';
import type { PoolWorld } from '../support/world';

Given('the {service} treats a connection held longer than {duration} as leaked, reporting it without reclaiming it', async function (this: PoolWorld, service: ServiceName, threshold: Duration) {
  await configureLeakDetection(this, service, { threshold, reclaim: false, trace: true });
});

When('{int} operations run against the {service}, {int} of them failing inside the database', async function (this: PoolWorld, count: number, service: ServiceName, failing: number) {
  await runOperationRound(this, service, count, failing);
});

When('{int} rounds of {int} operations run against the {service}, {int} of them failing each time', { timeout: STEP.long }, async function (this: PoolWorld, rounds: number, count: number, service: ServiceName, failing: number) {
  for (let round = 0; round < rounds; round++) await runOperationRound(this, service, count, failing);
});

When('a {service} request keeps its connection and never gives it back', async function (this: PoolWorld, service: ServiceName) {
  await leakConnection(this, service, 'held');
});

When('a {service} request drops its connection without giving it back', async function (this: PoolWorld, service: ServiceName) {
  await leakConnection(this, service, 'dropped');
});

When('the {service} collects its garbage', async function (this: PoolWorld, service: ServiceName) {
  await collectGarbage(this, service);
});

When('the {service} is told to reclaim leaked connections', async function (this: PoolWorld, service: ServiceName) {
  await configureLeakDetection(this, service, { reclaim: true }, { drained: false });
});

// The round these speak of is the scenario's last one, against whichever service it ran.
Then('{int} operations succeeded and {int} failed with a database error', function (this: PoolWorld, succeeded: number, failed: number) {
  const round = lastRound(this);
  expectOperationOutcomes(round, succeeded, failed, this.target(round.service));
});

Then('the {service} active connection count peaked at {int} and returned to its baseline', async function (this: PoolWorld, service: ServiceName, peak: number) {
  const [round, timeline] = [roundsOf(this, service).at(-1)!, this.sampled(service)];
  expectActivePeaked(timeline, round, peak);
  await eventually(() => expectActiveBackAtBaseline(timeline, round), { within: WAIT.settle });
});

Then('the {service} pool counted {int} connections acquired and {int} released', function (this: PoolWorld, service: ServiceName, acquired: number, released: number) {
  expectLifecycleCounted(roundsOf(this, service).at(-1)!, acquired, released);
});

Then('the {service} kept the same server connections through the failures, closing none of them', function (this: PoolWorld, service: ServiceName) {
  this.attach(`server connections: ${JSON.stringify(expectSameBackends(roundsOf(this, service).at(-1)!))}`);
});

Then('after every round the {service} held no connection, closed its overflow, kept the same server connections open and idle, and the database agreed', function (this: PoolWorld, service: ServiceName) {
  expectNoDrift(roundsOf(this, service), this.target(service));
});

Then('the {service} reports that connection as leaked, with its age and where it was taken', async function (this: PoolWorld, service: ServiceName) {
  const mark = lastLeak(this, service);
  const { event, settings } = await leakEventOf(this, service, mark, (report) => expectLeakEvent(report, mark, 'reported'));
  const timing = expectReportedInTime(event, mark, settings.thresholdSeconds * 1000, settings.checkEveryMs);
  expectLeakReported(event, mark, await this.target(service).poolState());
  this.attach(`leak reported at age ${timing.ageMs} ms (allowed ${timing.boundsMs.join(' to ')} ms); ${timing.fromRequestMs.earliest} to ${timing.fromRequestMs.latest} ms after the leaking request, by the suite's clock`);
});

Then('the {service} reports that connection as {word}', async function (this: PoolWorld, service: ServiceName, action: string) {
  if (action !== 'reclaimed' && action !== 'collected') throw new Error(`"${action}" is not how a leak is taken back: reclaimed or collected`);
  const mark = lastLeak(this, service);
  const { event, report } = await leakEventOf(this, service, mark, (now) => expectLeakEvent(now, mark, action));
  expectLeakTakenBack(event, report, mark, await this.target(service).poolState());
});

Then('the database terminated that {service} server connection, leaving no zombie behind', async function (this: PoolWorld, service: ServiceName) {
  const [mark, audit] = [lastLeak(this, service), this.requireAudit()];
  await eventually(async () => expectServerSessionTerminated(mark, await audit.backendExists(mark.leak.serverProcessId), await sessionsKilledNow(audit, mark)), { within: WAIT.settle });
});
