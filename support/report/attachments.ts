import { loadsOf, uptimePromiseOf } from '../tasks/generate-load';
import type { ServiceName } from '../system-under-test';
import type { PoolWorld } from '../world';
import { loadSpec, renderSvg, timelineSpec } from './charts';

/**
 * After every scenario: its pool timeline as JSON and as an SVG chart, each load it generated as
 * JSON and a chart, and the liveness figure. Returns failures: a load scenario whose liveness probe
 * answered less than the scenario promised (the plan's 99.9% uptime, stated in the feature) fails,
 * and so does one that promises nothing.
 */
export async function attachScenarioReport(world: PoolWorld): Promise<string[]> {
  const timeline = world.timeline;
  if (!timeline) return [];
  const failures: string[] = [];
  const json = timeline.toJSON();
  await world.attach(JSON.stringify(json, null, 1), { mediaType: 'application/json', fileName: 'pool-timeline.json' });
  try {
    await world.attach(await renderSvg(timelineSpec(json, 'Pool timeline')), { mediaType: 'image/svg+xml', fileName: 'pool-timeline.svg' });
    const loads = loadsOf(world);
    for (const [index, load] of loads.entries()) {
      const name = loads.length > 1 ? `load-${index + 1}` : 'load';
      await world.attach(JSON.stringify(load, null, 1), { mediaType: 'application/json', fileName: `${name}.json` });
      await world.attach(await renderSvg(loadSpec(load, 'Load', timeline.startedAt)), { mediaType: 'image/svg+xml', fileName: `${name}.svg` });
    }
  } catch (error) {
    failures.push(`rendering the report charts: ${(error as Error).message}`);
  }
  // The uptime promise is measured over the whole scenario, for every load scenario (and by a health check only).
  if (loadsOf(world).length > 0 && !timeline.liveness.probing()) {
    world.journal.notOffered.push({ step: 'after the load: the promised uptime, measured by a liveness probe', kind: 'not judged', need: 'a health check to probe', why: 'this target describes none' });
  } else if (loadsOf(world).length > 0) {
    const loaded = [...new Set(loadsOf(world).map((load) => load.service))];
    for (const service of loaded) {
      const promised = uptimePromiseOf(world, service);
      const target = world.target(service as ServiceName);
      const figure = timeline.liveness.figure({}, service, (sample) => target.restartedBetween(sample.at, sample.at + sample.ms));
      const measured = `${service}: ${(figure.ratio * 100).toFixed(3)}% of ${figure.samples} probes answered`;
      await world.attach(JSON.stringify({ measured, limitText: promised === undefined ? 'none promised' : `at least ${promised * 100}%`, ...figure }, null, 1), { mediaType: 'application/json', fileName: loaded.length === 1 ? 'liveness.json' : `liveness-${service}.json` });
      if (promised === undefined) failures.push(`liveness: this load scenario states no uptime promise for the ${service} (e.g. "the ${service} promises to answer at least 99.9% of its health checks under load")`);
      else if (figure.samples === 0) failures.push(`liveness: no probe of the ${service} was taken during the load scenario`);
      else if (figure.ratio < promised) failures.push(`liveness: ${measured}, below the ${promised * 100}% promised; unanswered: ${JSON.stringify(figure.unanswered)}`);
    }
  }
  return failures;
}
