import { Given, Then } from '@cucumber/cucumber';
import type { Duration } from '../support/duration';
import { eventually } from '../support/eventually';
import {
  expectKeptAfterLoad,
  expectRecoveredInTime,
  expectSpikeRates,
  expectSpikesDegradedGracefully,
  expectStayedHealthy,
  expectStayedUp,
  expectUtilizationAtMost,
  spikeFigures,
  spikeLatency,
} from '../support/expectations/degradation';
import type { ServiceName } from '../support/system-under-test';
import { holdEachRequestFor, lastLoad, promiseUptime, uptimePromiseOf } from '../support/tasks/generate-load';
import { WAIT } from '../support/timeouts';
import type { PoolWorld } from '../support/world';

Given('every request of the load holds its database connection for {duration}', function (this: PoolWorld, hold: Duration) {
  holdEachRequestFor(this, hold);
});

Given('the {service} promises to answer at least {float}% of its health checks under load', function (this: PoolWorld, service: ServiceName, percent: number) {
  promiseUptime(this, service, percent);
});

Then('the {service} pool utilization stayed at or below {int}%', function (this: PoolWorld, service: ServiceName, percent: number) {
  expectUtilizationAtMost(lastLoad(this, service), this.sampled(service), percent);
});

// The spikes of the scenario's last load, against whichever service it ran.
Then('during the spikes fewer than {int}% of the requests failed and fewer than {int}% were shed', async function (this: PoolWorld, errorPercent: number, shedPercent: number) {
  const load = lastLoad(this);
  const figures = spikeFigures(load, this.sampled(load.service as ServiceName));
  await this.attach(JSON.stringify(figures, null, 1), { mediaType: 'application/json', fileName: 'spikes.json' });
  expectSpikeRates(figures, errorPercent, shedPercent);
});

Then('during the spikes the {service} answered no faster than a full pool allows and no slower than the extra callers explain', async function (this: PoolWorld, service: ServiceName) {
  const figures = spikeLatency(lastLoad(this, service));
  await this.attach(JSON.stringify(figures, null, 1), { mediaType: 'application/json', fileName: 'spike-latency.json' });
  expectSpikesDegradedGracefully(figures);
});

Then('after each spike the {service} was back to normal within the time allowed', function (this: PoolWorld, service: ServiceName) {
  expectRecoveredInTime(spikeFigures(lastLoad(this, service), this.sampled(service)));
});

Then('the {service} stayed up throughout the load', async function (this: PoolWorld, service: ServiceName) {
  const promised = uptimePromiseOf(this, service);
  if (promised === undefined) throw new Error(`the scenario states no uptime promise for the ${service} (e.g. "the ${service} promises to answer at least 99.9% of its health checks under load")`);
  expectStayedUp(lastLoad(this, service), this.sampled(service), await this.health(service), promised);
});

Then('the {service} service stayed healthy throughout the load', function (this: PoolWorld, service: ServiceName) {
  expectStayedHealthy(lastLoad(this), this.sampled(service), service);
});

Then('once the load was over the {service} had closed its overflow and kept the rest open and idle', async function (this: PoolWorld, service: ServiceName) {
  const load = lastLoad(this, service);
  const timeline = this.sampled(service);
  const kept = await eventually(async () => expectKeptAfterLoad(load, timeline, await this.pool(service), this.target(service)), { within: WAIT.settle });
  this.attach(`kept ${kept.kept} open and idle (pool_size ${kept.poolSize}; at most ${kept.peakOpen} open during the load)`);
});
