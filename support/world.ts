import { World, setWorldConstructor, type IWorldOptions } from '@cucumber/cucumber';
import 'allure-cucumberjs';
import * as allure from 'allure-js-commons';
import type * as messages from '@cucumber/messages';
import { DatabaseAudit } from './clients/database-audit';
import type { ServiceClient } from './clients/service-client';
import { eventually } from './eventually';
import { expectDrained, expectNoLeak } from './expectations/audit';
import { Operations } from './load/operations';
import { PoolTimeline } from './monitoring/pool-timeline';
import type { PoolShape } from './pool-shape';
import { attachScenarioReport } from './report/attachments';
import { runningSystem, type RunningSystem, type ServiceName } from './system-under-test';
import { NotOffered } from './targets/not-offered';
import type { HealthReading, PoolReading, ServiceTarget } from './targets/service-target';
import { auditConnections } from './tasks/connection-audit';
import { rememberServiceCounts } from './tasks/service-counts';
import { WAIT } from './timeouts';

/** "active, waiting from prometheus; capacity from the shape the suite set". */
export function describeFigures(evidence: PoolReading['evidence']): string {
  const bySource = new Map<string, string[]>();
  for (const [figure, source] of Object.entries(evidence)) bySource.set(source!, [...(bySource.get(source!) ?? []), figure]);
  return [...bySource].map(([source, figures]) => `${figures.join(', ')} from ${source}`).join('; ') || 'no figures';
}

/** worldParameters, set per profile in cucumber.js. */
export interface SuiteParameters {
  profile: 'default' | 'quick' | 'ci';
  /** Scales the plan's long load phases (1 = the plan's real durations). */
  loadTimeScale: number;
}

/** A step this target could not run or judge, and why. */
export interface NotOfferedStep {
  step: string;
  /** A check (Then) was not judged; an action (Given/When) was skipped with the rest of the scenario. */
  kind: 'not judged' | 'skipped';
  need: string;
  why: string;
}

/**
 * One per scenario: the services it drives, the requests it sent, and what it must stop. What one
 * kind of scenario keeps between its steps lives with its tasks (support/tasks/, through
 * ScenarioState), not here.
 */
export class PoolWorld extends World<SuiteParameters> {
  /** Every request the scenario sent in the background: nothing is fire-and-forget. */
  readonly operations = new Operations();
  audit: DatabaseAudit | undefined;
  timeline: PoolTimeline | undefined;
  /** The step running now (set by the BeforeStep hook): what a NotOffered is reported against. */
  currentStep: messages.PickleStep | undefined;
  /** Steps this target could not run or judge, in order. */
  readonly notOffered: NotOfferedStep[] = [];
  /** The evidence the current step used (its pool readings, health checks, PostgreSQL's view): attached after it. */
  readonly stepEvidence = new Set<string>();
  private readonly cleanups: Array<() => Promise<void>> = [];

  constructor(options: IWorldOptions<SuiteParameters>) {
    super(options);
  }

  /** Reached lazily: a dry run builds Worlds without starting the system. */
  get system(): RunningSystem {
    return runningSystem();
  }

  /** The services this target has. */
  get services(): ServiceName[] {
    return (['backend', 'auth'] as const).filter((service) => this.system.targets[service] !== undefined);
  }

  /** A service under test, whatever the target: the steps drive every one the same way. */
  target(service: ServiceName): ServiceTarget {
    const target = this.system.targets[service];
    if (!target) throw new NotOffered(`the ${service} service`, `the target ${this.system.targetName} has no ${service} service`);
    return target;
  }

  /** The suite's own test API of a service: our services have it, a described target does not (NotOffered). */
  testApi(service: ServiceName): ServiceClient {
    const client = this.target(service).testApi();
    this.noteEvidence(`${service}: its own record, through the suite's test API (/admin/pool…)`);
    return client;
  }

  requireAudit(): DatabaseAudit {
    if (!this.audit) throw new NotOffered('database access for the pg_stat_activity audit', 'this target gives the suite none (set DATABASE_URL)');
    this.noteEvidence("PostgreSQL's own view: pg_stat_activity");
    return this.audit;
  }

  /** Notes evidence the current step used (nothing outside a step). */
  noteEvidence(note: string): void {
    if (this.currentStep) this.stepEvidence.add(note);
  }

  /** A service's pool reading, its evidence noted for the current step. */
  async pool(service: ServiceName): Promise<PoolReading> {
    const reading = await this.target(service).poolState();
    this.noteEvidence(`${service} pool: ${describeFigures(reading.evidence)}`);
    return reading;
  }

  /** The scenario's pool timeline, for a check over time: its evidence noted for the current step. */
  sampled(service: ServiceName): PoolTimeline {
    if (!this.timeline) throw new Error('the pool timeline sampler is not running in this scenario');
    this.noteEvidence(`${service} pool over time: sampled every ${this.timeline.everyMs} ms, ${describeFigures(this.timeline.evidence[service] ?? {})}`);
    return this.timeline;
  }

  /** A service's health check, noted for the current step. */
  async health(service: ServiceName): Promise<HealthReading> {
    const reading = await this.target(service).health();
    this.noteEvidence(`${service} health: its health check (${reading.answer.status ? `HTTP ${reading.answer.status}` : 'no answer'})`);
    return reading;
  }

  /** The shape a service's pool runs with now. */
  shapeOf(service: ServiceName): PoolShape {
    return this.target(service).shape;
  }

  /** Registers something to stop when the scenario ends, whatever happens (run in reverse order). */
  onCleanup(stop: () => Promise<void>): void {
    this.cleanups.push(stop);
  }

  /** Changes a service's pool shape (admin API, restart, or fixed), then waits for a drained pool. */
  async shapePool(service: ServiceName, change: Partial<PoolShape>): Promise<void> {
    const target = this.target(service);
    // A bound the service lacks: the scenario runs with the service as it is, and the report says so.
    for (const departure of target.departuresFrom(change)) this.noteEvidence(departure);
    await target.shapePool(change);
    await this.drained(service);
    await rememberServiceCounts(this, service);
  }

  async drained(service: ServiceName): Promise<void> {
    await eventually(async () => expectDrained(await this.target(service).poolState()), { within: WAIT.settle });
  }

  /** A step this target cannot run or judge: reported (console, report), and the step's outcome for cucumber. */
  async reportNotOffered(error: NotOffered): Promise<'skipped' | undefined> {
    const step = this.currentStep!;
    const kind = step.type === 'Outcome' ? 'not judged' : 'skipped';
    this.notOffered.push({ step: step.text, kind, need: error.need, why: error.why });
    const line = `${kind}: "${step.text}": needs ${error.need}; ${error.why}`;
    process.stderr.write(`\n${line}\n`);
    await this.attach(line, { mediaType: 'text/plain', fileName: kind === 'skipped' ? 'why-skipped.txt' : 'not-judged.txt' });
    await allure.label('notOffered', `${kind}: ${step.text} (needs ${error.need})`);
    // A check goes on (the scenario is reported skipped at its end); an action cannot, so the rest is skipped.
    return kind === 'skipped' ? 'skipped' : undefined;
  }

  /** Before each scenario: our services back to their start-up shape, drained pools, the audit and the timeline running. */
  async prepare(): Promise<void> {
    for (const service of this.services) {
      const startup = this.system.startupShapes[service];
      if (startup) await this.target(service).beginScenario(startup);
      await this.drained(service);
      await rememberServiceCounts(this, service);
    }
    if (this.system.deployment.auditDatabaseUrl) await this.connectAudit();
    const timeline = new PoolTimeline(this.services.map((service) => this.target(service)));
    timeline.start();
    this.timeline = timeline;
  }

  /** Opens the audit connection: at the start, and again after the scenario restarted PostgreSQL. */
  async connectAudit(): Promise<void> {
    const audit = await DatabaseAudit.connect(this.system.deployment.auditDatabaseUrl!, this.system.deployment.auditDatabases);
    await this.audit?.close();
    this.audit = audit;
    this.onCleanup(() => audit.close());
  }

  /** After each scenario: stop what it started, wait for every request, attach the timeline, audit for leaks. */
  async finish(): Promise<void> {
    const failures: string[] = [];
    try {
      // Holds taken from the database side end now: the scenario is over.
      for (const service of this.services) await this.target(service).releaseScenario();
      await this.operations.settled();
      await this.timeline?.stop();
      // The service's own pool reports kept answering, and their channels agreed at every still sample.
      failures.push(...(this.timeline?.verdict() ?? []).map((failure) => `pool timeline: ${failure}`));
      // The timeline as JSON and an SVG chart, each load's figures, and the liveness check of load scenarios.
      failures.push(...(await attachScenarioReport(this)));
      const audit = this.audit;
      if (audit) {
        for (const service of this.services) {
          try {
            const result = await eventually(async () => expectNoLeak(await auditConnections(this.target(service), audit)), { within: WAIT.settle, every: 200 });
            await this.attach(JSON.stringify(result, null, 1), { mediaType: 'application/json', fileName: `leak-audit-${service}.json` });
          } catch (error) {
            failures.push(`leak audit: ${(error as Error).message}`);
          }
        }
      }
    } finally {
      for (const stop of this.cleanups.reverse()) await stop().catch((e: unknown) => failures.push(String(e)));
    }
    if (failures.length > 0) throw new Error(failures.join('\n'));
    if (this.notOffered.length > 0) {
      await this.attach(JSON.stringify(this.notOffered, null, 1), { mediaType: 'application/json', fileName: 'not-offered.json' });
    }
  }
}

setWorldConstructor(PoolWorld);
