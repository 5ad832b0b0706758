import { Then } from '@cucumber/cucumber';
import { expect } from 'chai';
import { expectRecoveredWithin, expectSpikeRates, expectStayedHealthy, expectStayedUp, expectUtilizationAtMost, spikeFigures } from '../support/expectations/degradation';
import type { PoolTimeline } from '../support/report/pool-timeline';
import type { ServiceName } from '../support/system-under-test';
import type { PoolWorld } from '../support/world';

function timelineOf(world: PoolWorld): PoolTimeline {
  expect(world.timeline, 'the pool timeline sampler').to.not.equal(undefined);
  return world.timeline!;
}

Then('the {service} pool utilization stayed at or below {int}%', function (this: PoolWorld, _service: ServiceName, percent: number) {
  expectUtilizationAtMost(this.evidence.lastLoad(), timelineOf(this), percent);
});

Then('during the spikes fewer than {int}% of the requests failed and fewer than {int}% were shed', async function (this: PoolWorld, errorPercent: number, shedPercent: number) {
  const figures = spikeFigures(this.evidence.lastLoad(), timelineOf(this));
  await this.attach(JSON.stringify(figures, null, 1), { mediaType: 'application/json', fileName: 'spikes.json' });
  expectSpikeRates(figures, errorPercent, shedPercent);
});

Then('after each spike the {service} was back to normal within {duration}', function (this: PoolWorld, _service: ServiceName, limitMs: number) {
  expectRecoveredWithin(spikeFigures(this.evidence.lastLoad(), timelineOf(this)), limitMs / 1000);
});

Then('the {service} stayed up throughout the load', async function (this: PoolWorld, service: ServiceName) {
  await expectStayedUp(this.evidence.lastLoad(), timelineOf(this), this.client(service));
});

Then('the {service} service stayed healthy throughout the load', function (this: PoolWorld, service: ServiceName) {
  this.client(service); // names the service missing from this deployment, if it is
  expectStayedHealthy(this.evidence.lastLoad(), timelineOf(this), service);
});
