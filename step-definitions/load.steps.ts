import { Then, When } from '@cucumber/cucumber';
import type { Duration } from '../support/duration';
import { expectErrorRateBelow, expectLatencyBelow, expectLoadAccurate, expectLoadCountedByService } from '../support/expectations/load';
import { describeEvidence } from '../support/targets/evidence';
import { steadyLoad, sustainedWithSpikes } from '../support/load/profiles';
import type { ServiceName } from '../support/system-under-test';
import { generateLoad, holdPerRequest, lastLoad, poolCapacity, scaled } from '../support/tasks/generate-load';
import { STEP } from '../support/timeouts';
import type { PoolWorld } from '../support/world';

// Load phases last as long as the plan says (x loadTimeScale: 0.1 in the quick profile).
When('callers keep {int}% of the {service} pool capacity busy for {duration}', { timeout: STEP.load }, async function (this: PoolWorld, percent: number, service: ServiceName, duration: Duration) {
  await generateLoad(this, service, steadyLoad(poolCapacity(this, service), percent, scaled(this, duration).ms, holdPerRequest(this).seconds));
});

// The time to recover is a stretch of the load (the sustained level after each spike), scaled with it.
When(
  'callers keep {int}% of the {service} pool capacity busy for {duration}, spiking to {int}% for {duration} every {duration} and allowing {duration} to recover after each spike',
  { timeout: STEP.load },
  async function (this: PoolWorld, percent: number, service: ServiceName, duration: Duration, spikePercent: number, spike: Duration, every: Duration, recovery: Duration) {
    const [durationMs, spikeMs, everyMs, recoveryMs] = [duration, spike, every, recovery].map((d) => scaled(this, d).ms) as [number, number, number, number];
    const profile = sustainedWithSpikes({ capacity: poolCapacity(this, service), percent, durationMs, spikePercent, spikeMs, everyMs, recoveryMs, holdSeconds: holdPerRequest(this).seconds });
    await generateLoad(this, service, profile);
  },
);

// The generator's side first; then the service's own counts (not judged where it reports none).
Then('every request was accounted for and the callers kept the concurrency they aimed for', function (this: PoolWorld) {
  const load = lastLoad(this);
  expectLoadAccurate(load);
  this.attach(`${load.ledger.sent} requests sent, ${load.ledger.answered} answered, matched by id`);
  this.attach(`${load.service} counted ${JSON.stringify(expectLoadCountedByService(load))} (from ${describeEvidence(load.after.evidence)})`);
});

Then('fewer than {int}% of the requests failed', function (this: PoolWorld, percent: number) {
  expectErrorRateBelow(lastLoad(this), percent);
});

Then('every response came within {duration}', function (this: PoolWorld, limit: Duration) {
  expectLatencyBelow(lastLoad(this), limit);
});
