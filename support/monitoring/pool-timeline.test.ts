import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { PoolReading, ServiceTarget } from '../targets/service-target';
import { PoolTimeline } from './pool-timeline';

/** A service read from Prometheus, its pool size filled in from the suite's settings; every other read of its own reports times out. */
function prometheusService(): ServiceTarget {
  let reads = 0;
  const reading = (): PoolReading => ({
    service: 'backend',
    at: Date.now(),
    active: 3,
    idle: 0,
    waiting: 2,
    capacity: 3,
    poolSize: 2,
    evidence: { active: 'prometheus', idle: 'prometheus', waiting: 'prometheus', capacity: 'prometheus', poolSize: 'the settings the suite set' },
  });
  return {
    service: 'backend',
    poolState: async () => reading(),
    ownReports: async () => {
      if (++reads % 2 === 0) throw new Error('no answer within 2000 ms');
      return [reading()];
    },
    health: async () => ({ status: 'healthy' }),
  } as unknown as ServiceTarget;
}

describe('the pool timeline', () => {
  it("keeps one series per channel of the service's own, whether its own report answered a poll or not", async () => {
    const timeline = new PoolTimeline([prometheusService()], 20);
    timeline.start();
    while (timeline.toJSON().samples.length < 8) await new Promise((resolve) => setTimeout(resolve, 20));
    await timeline.stop();
    const series = timeline.ownSeries('backend', 'waiting', 'the number of waiting requests');
    assert.deepEqual(Object.keys(series), ['prometheus'], 'a report whose pool size the suite filled in is still the prometheus channel');
    assert.equal(series.prometheus!.length, timeline.toJSON().samples.length);
  });
});
