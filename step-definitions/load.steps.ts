import { Then, When } from '@cucumber/cucumber';
import type { Duration } from '../support/duration';
import { expectErrorRateBelow, expectLatencyBelow, expectLoadAccurate } from '../support/expectations/load';
import { steadyLoad, sustainedWithSpikes } from '../support/load/profiles';
import type { ServiceName } from '../support/system-under-test';
import { generateLoad, lastLoad, poolCapacity, scaled } from '../support/tasks/generate-load';
import { STEP } from '../support/timeouts';
import type { PoolWorld } from '../support/world';

// Load phases last as long as the plan says (x loadTimeScale: 0.1 in the quick profile).
When('callers keep {int}% of the {service} pool capacity busy for {duration}', { timeout: STEP.load }, async function (this: PoolWorld, percent: number, service: ServiceName, duration: Duration) {
  await generateLoad(this, service, steadyLoad(poolCapacity(this, service), percent, scaled(this, duration).ms));
});

When(
  'callers keep {int}% of the {service} pool capacity busy for {duration}, spiking to {int}% for {duration} every {duration}',
  { timeout: STEP.load },
  async function (this: PoolWorld, percent: number, service: ServiceName, duration: Duration, spikePercent: number, spike: Duration, every: Duration) {
    const capacity = poolCapacity(this, service);
    const profile = sustainedWithSpikes({ capacity, percent, durationMs: scaled(this, duration).ms, spikePercent, spikeMs: scaled(this, spike).ms, everyMs: scaled(this, every).ms });
    await generateLoad(this, service, profile);
  },
);

Then('every request was accounted for and the callers kept the concurrency they aimed for', function (this: PoolWorld) {
  expectLoadAccurate(lastLoad(this));
});

Then('fewer than {int}% of the requests failed', function (this: PoolWorld, percent: number) {
  expectErrorRateBelow(lastLoad(this), percent);
});

Then('every response came within {duration}', function (this: PoolWorld, limit: Duration) {
  expectLatencyBelow(lastLoad(this), limit);
});
