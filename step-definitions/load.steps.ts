import { Then, When } from '@cucumber/cucumber';
import { expectErrorRateBelow, expectLatencyBelow, expectLoadAccurate } from '../support/expectations/load';
import { steadyLoad, sustainedWithSpikes } from '../support/load/profiles';
import { capacityOf, generateLoad } from '../support/load/workload';
import type { ServiceName } from '../support/system-under-test';
import type { PoolWorld } from '../support/world';

// Load phases last as long as the plan says (x loadTimeScale: 0.1 in the quick profile).
const LOAD_STEP_TIMEOUT_MS = 10 * 60_000;

When('callers keep {int}% of the {service} pool capacity busy for {duration}', { timeout: LOAD_STEP_TIMEOUT_MS }, async function (this: PoolWorld, percent: number, service: ServiceName, durationMs: number) {
  const scale = this.parameters.loadTimeScale;
  await generateLoad(this, service, steadyLoad(capacityOf(this, service), percent, durationMs * scale));
});

When(
  'callers keep {int}% of the {service} pool capacity busy for {duration}, spiking to {int}% for {duration} every {duration}',
  { timeout: LOAD_STEP_TIMEOUT_MS },
  async function (this: PoolWorld, percent: number, service: ServiceName, durationMs: number, spikePercent: number, spikeMs: number, everyMs: number) {
    const scale = this.parameters.loadTimeScale;
    const profile = sustainedWithSpikes({ capacity: capacityOf(this, service), percent, durationMs: durationMs * scale, spikePercent, spikeMs: spikeMs * scale, everyMs: everyMs * scale });
    await generateLoad(this, service, profile);
  },
);

Then('every request was accounted for and the callers kept the concurrency they aimed for', function (this: PoolWorld) {
  expectLoadAccurate(this.evidence.lastLoad());
});

Then('fewer than {int}% of the requests failed', function (this: PoolWorld, percent: number) {
  expectErrorRateBelow(this.evidence.lastLoad(), percent);
});

Then('every response came within {duration}', function (this: PoolWorld, limitMs: number) {
  expectLatencyBelow(this.evidence.lastLoad(), limitMs);
});
