import * as allure from 'allure-js-commons';
import { eventually } from './eventually';
import { expectNoLeak } from './expectations/audit';
import { observedOf } from './journal';
import { PoolTimeline } from './monitoring/pool-timeline';
import { attachScenarioReport } from './report/attachments';
import { NotOffered } from './targets/not-offered';
import { auditConnections, connectAudit } from './tasks/connection-audit';
import { rememberServiceCounts } from './tasks/service-counts';
import { untilDrained } from './tasks/settings';
import { WAIT } from './timeouts';
import type { PoolWorld } from './world';

/**
 * A scenario's life around its steps (called from the hooks): before, every service back in its
 * start-up settings with a drained pool, the audit and the timeline running; after, everything it
 * started stopped, every request answered, its report attached, the leak audit — and every check it
 * did not meet listed, so one failed check never hides the others.
 */

export async function prepare(world: PoolWorld): Promise<void> {
  for (const service of world.services) {
    // A service restarted for the scenario's settings counts from zero again: its counts are read after every restart.
    await world.target(service).beginScenario(() => rememberServiceCounts(world, service));
    await untilDrained(world, service);
    await rememberServiceCounts(world, service);
  }
  if (world.system.auditDatabaseUrl) await connectAudit(world);
  const timeline = new PoolTimeline(world.services.map((service) => world.target(service)));
  timeline.start();
  world.timeline = timeline;
}

export async function finish(world: PoolWorld): Promise<void> {
  const failures: string[] = [];
  try {
    // Holds taken from the database side end now: the scenario is over.
    for (const service of world.services) await world.target(service).releaseScenario();
    await world.operations.settled();
    await world.timeline?.stop();
    // The service's own pool reports kept answering, agreed with each other, and each made sense at every sample.
    failures.push(...(world.timeline?.verdict() ?? []).map((failure) => `pool timeline: ${failure}`));
    // The timeline as JSON and an SVG chart, each load's figures, and the liveness check of load scenarios.
    failures.push(...(await attachScenarioReport(world)));
    const audit = world.audit;
    if (audit) {
      for (const service of world.services) {
        try {
          const result = await eventually(async () => expectNoLeak(await auditConnections(world.target(service), audit)), { within: WAIT.settle, every: 200 });
          await world.attach(JSON.stringify(result, null, 1), { mediaType: 'application/json', fileName: `leak-audit-${service}.json` });
        } catch (error) {
          failures.push(`leak audit: ${(error as Error).message}`);
        }
      }
    }
  } finally {
    failures.push(...(await world.runCleanups()));
  }
  if (world.journal.notOffered.length > 0) {
    await world.attach(JSON.stringify(world.journal.notOffered, null, 1), { mediaType: 'application/json', fileName: 'not-offered.json' });
  }
  const unmet = world.journal.unmet.map((check) => `not met: ${check.check}\n    the service did: ${check.observed.split('\n').join('\n    ')}`);
  if (unmet.length + failures.length > 0) throw readableFailure([...unmet, ...failures]);
}

/**
 * An error whose report is its message: the list a QA reader acts on, and one frame of the suite's
 * stack. That frame matters: cucumber parses every stack (error-stack-parser), and a stack without
 * V8 frames is parsed line by line with a regular expression that backtracks for minutes on a long
 * line full of quotes (the JSON of a reading).
 */
export function readableFailure(lines: string[]): Error {
  const error = new Error(`${lines.length === 1 ? 'one check' : `${lines.length} checks`} not met or failed:\n${lines.map((line) => `- ${line}`).join('\n')}`);
  const frame = (error.stack ?? '').split('\n').find((line) => /^\s+at .*:\d+/.test(line));
  Object.defineProperty(error, 'stack', { value: frame ? `${error.message}\n${frame}` : error.message });
  return error;
}

/**
 * What a step's error means. The target cannot give what the step needs (NotOffered): an action is
 * skipped with the rest of its scenario, a check is "not judged" — each reported with the reason,
 * never passed silently and never failed for the suite's own lack. A check whose assertion fails is
 * "not met": recorded, shown in the report as what the plan expects and what the service did, and
 * the scenario goes on to its next checks. Anything else (an action that failed, the suite's own
 * defect) ends the scenario as cucumber does. Answers the step's result, or rethrows.
 */
export async function stepFailed(world: PoolWorld, error: unknown): Promise<'skipped' | undefined> {
  const step = world.currentStep;
  if (!step) throw error;
  const isCheck = step.type === 'Outcome';
  if (error instanceof NotOffered) {
    const kind = isCheck ? 'not judged' : 'skipped';
    world.journal.notOffered.push({ step: step.text, kind, need: error.need, why: error.why });
    const line = `${kind}: "${step.text}": needs ${error.need}; ${error.why}`;
    process.stderr.write(`\n${line}\n`);
    await world.attach(line, { mediaType: 'text/plain', fileName: kind === 'skipped' ? 'why-skipped.txt' : 'not-judged.txt' });
    await allure.label('notOffered', `${kind}: ${step.text} (needs ${error.need})`);
    if (isCheck) await allure.logStep(`not judged: needs ${error.need}`, allure.Status.SKIPPED);
    return kind === 'skipped' ? 'skipped' : undefined;
  }
  if (isCheck && error instanceof Error && error.name === 'AssertionError') {
    const observed = observedOf(error);
    world.journal.unmet.push({ check: step.text, observed, trace: error.stack ?? '' });
    process.stderr.write(`\nnot met: "${step.text}": ${observed.split('\n')[0]}\n`);
    await world.attach(`not met: "${step.text}"\nthe plan expects: ${step.text}\nthe service did: ${observed}`, { mediaType: 'text/plain', fileName: 'not-met.txt' });
    await world.attach(error.stack ?? observed, { mediaType: 'text/plain', fileName: 'assertion-trace.txt' });
    await allure.logStep(`not met: ${observed.split('\n')[0]!.slice(0, 300)}`, allure.Status.FAILED);
    return undefined;
  }
  throw error;
}

/** After each step: the evidence its reads left, attached to it. */
export async function attachStepEvidence(world: PoolWorld): Promise<void> {
  world.currentStep = undefined;
  const notes = world.journal.takeStepEvidence();
  if (notes.length > 0) await world.attach(`evidence: ${notes.join('; ')}`, { mediaType: 'text/plain', fileName: 'evidence.txt' });
}
