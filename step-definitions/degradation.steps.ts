import { Then } from '@cucumber/cucumber';
import type { Duration } from '../support/duration';
import { expectRecoveredWithin, expectSpikeRates, expectStayedHealthy, expectStayedUp, expectUtilizationAtMost, spikeFigures } from '../support/expectations/degradation';
import type { PoolTimeline } from '../support/monitoring/pool-timeline';
import type { ServiceName } from '../support/system-under-test';
import { NotOffered } from '../support/targets/not-offered';
import { lastLoad } from '../support/tasks/generate-load';
import type { PoolWorld } from '../support/world';

function timelineOf(world: PoolWorld): PoolTimeline {
  return world.sampled(lastLoad(world).service as ServiceName);
}

Then('the {service} pool utilization stayed at or below {int}%', function (this: PoolWorld, _service: ServiceName, percent: number) {
  expectUtilizationAtMost(lastLoad(this), timelineOf(this), percent);
});

Then('during the spikes fewer than {int}% of the requests failed and fewer than {int}% were shed', async function (this: PoolWorld, errorPercent: number, shedPercent: number) {
  const figures = spikeFigures(lastLoad(this), timelineOf(this));
  await this.attach(JSON.stringify(figures, null, 1), { mediaType: 'application/json', fileName: 'spikes.json' });
  expectSpikeRates(figures, errorPercent, shedPercent);
});

Then('after each spike the {service} was back to normal within {duration}', function (this: PoolWorld, _service: ServiceName, limit: Duration) {
  expectRecoveredWithin(spikeFigures(lastLoad(this), timelineOf(this)), limit);
});

Then('the {service} stayed up throughout the load', async function (this: PoolWorld, service: ServiceName) {
  expectStayedUp(lastLoad(this), timelineOf(this), await this.health(service));
});

Then('the {service} service stayed healthy throughout the load', function (this: PoolWorld, service: ServiceName) {
  if (!this.target(service).hasHealth) throw new NotOffered('a health check', `${this.target(service).label} has none`);
  expectStayedHealthy(lastLoad(this), timelineOf(this), service);
});
