import { World, setWorldConstructor, type IWorldOptions } from '@cucumber/cucumber';
import { DatabaseAudit } from './clients/database-audit';
import { ServiceClient } from './clients/service-client';
import { eventually } from './eventually';
import { expectDrained, expectNoLeak, expectReconfigured } from './expectations/audit';
import { Operations } from './load/operations';
import { PoolTimeline } from './monitoring/pool-timeline';
import type { PoolShape } from './pool-shape';
import { attachScenarioReport } from './report/attachments';
import { runningSystem, type RunningSystem, type ServiceName } from './system-under-test';
import { auditConnections } from './tasks/connection-audit';
import { WAIT } from './timeouts';

/** worldParameters, set per profile in cucumber.js. */
export interface SuiteParameters {
  profile: 'default' | 'quick' | 'ci';
  /** Scales the plan's long load phases (1 = the plan's real durations). */
  loadTimeScale: number;
}

/**
 * One per scenario: the clients it talks through, the requests it sent, the pool shapes it set,
 * and what it must stop. What one kind of scenario keeps between its steps lives with its tasks
 * (support/tasks/, through PerScenario), not here.
 */
export class PoolWorld extends World<SuiteParameters> {
  private readonly clients: Partial<Record<ServiceName, ServiceClient>> = {};
  /** Every request the scenario sent in the background: nothing is fire-and-forget. */
  readonly operations = new Operations();
  /** The pool shape this scenario set, per service. */
  readonly shapes: Partial<Record<ServiceName, PoolShape>> = {};
  audit: DatabaseAudit | undefined;
  timeline: PoolTimeline | undefined;
  private readonly cleanups: Array<() => Promise<void>> = [];

  constructor(options: IWorldOptions<SuiteParameters>) {
    super(options);
  }

  /** Reached lazily: a dry run builds Worlds without starting the system. */
  get system(): RunningSystem {
    return runningSystem();
  }

  /** The services this deployment has. */
  get services(): ServiceName[] {
    const { deployment } = this.system;
    return deployment.authUrl ? ['backend', 'auth'] : ['backend'];
  }

  client(service: ServiceName): ServiceClient {
    const { deployment } = this.system;
    const url = service === 'backend' ? deployment.backendUrl : deployment.authUrl;
    if (!url) throw new Error(`the ${service} service is not part of this deployment`);
    return (this.clients[service] ??= new ServiceClient(service, url, deployment.adminToken));
  }

  requireAudit(): DatabaseAudit {
    if (!this.audit) throw new Error('this deployment gives the suite no database access for the pg_stat_activity audit');
    return this.audit;
  }

  /** The shape this scenario set for a service's pool. */
  shapeOf(service: ServiceName): PoolShape {
    const shape = this.shapes[service];
    if (!shape) throw new Error(`the ${service} pool was not shaped in this scenario`);
    return shape;
  }

  /** Registers something to stop when the scenario ends, whatever happens (run in reverse order). */
  onCleanup(stop: () => Promise<void>): void {
    this.cleanups.push(stop);
  }

  /** Changes a service's pool shape through the admin API, then waits for a drained pool. */
  async shapePool(service: ServiceName, change: Partial<PoolShape>): Promise<void> {
    this.shapes[service] = expectReconfigured(service, await this.client(service).configurePool(change));
    await this.drained(service);
  }

  async drained(service: ServiceName): Promise<void> {
    await eventually(async () => expectDrained(await this.client(service).poolSnapshot()), { within: WAIT.settle });
  }

  /** Before each scenario: start-up shapes, drained pools, the audit and the timeline running. */
  async prepare(): Promise<void> {
    for (const [service, shape] of Object.entries(this.system.startupShapes) as Array<[ServiceName, PoolShape]>) {
      await this.shapePool(service, shape);
    }
    if (this.system.deployment.auditDatabaseUrl) await this.connectAudit();
    const timeline = new PoolTimeline(this.services.map((service) => this.client(service)));
    timeline.start();
    this.timeline = timeline;
  }

  /** Opens the audit connection: at the start, and again after the scenario restarted PostgreSQL. */
  async connectAudit(): Promise<void> {
    const audit = await DatabaseAudit.connect(this.system.deployment.auditDatabaseUrl!);
    await this.audit?.close();
    this.audit = audit;
    this.onCleanup(() => audit.close());
  }

  /** After each scenario: stop what it started, wait for every request, attach the timeline, audit for leaks. */
  async finish(): Promise<void> {
    const failures: string[] = [];
    try {
      await this.operations.settled();
      await this.timeline?.stop();
      // The timeline as JSON and an SVG chart, each load's figures, and the liveness check of load scenarios.
      failures.push(...(await attachScenarioReport(this)));
      const audit = this.audit;
      if (audit) {
        for (const client of this.services.map((service) => this.client(service))) {
          try {
            const result = await eventually(async () => expectNoLeak(await auditConnections(client, audit)), { within: WAIT.settle, every: 200 });
            await this.attach(JSON.stringify(result, null, 1), { mediaType: 'application/json', fileName: `leak-audit-${client.service}.json` });
          } catch (error) {
            failures.push(`leak audit: ${(error as Error).message}`);
          }
        }
      }
    } finally {
      for (const stop of this.cleanups.reverse()) await stop().catch((e: unknown) => failures.push(String(e)));
    }
    if (failures.length > 0) throw new Error(failures.join('\n'));
  }
}

setWorldConstructor(PoolWorld);
