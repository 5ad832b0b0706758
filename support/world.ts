import { World, setWorldConstructor, type IWorldOptions } from '@cucumber/cucumber';
import { expect } from 'chai';
import { DatabaseAudit } from './clients/database-audit';
import type { PoolLimits } from './clients/contract';
import { ServiceClient } from './clients/service-client';
import { WAIT, eventually } from './eventually';
import { auditConnections } from './leak-audit';
import { ScenarioEvidence } from './load/evidence';
import { Operations } from './load/operations';
import { attachScenarioReport } from './report/attachments';
import { PoolTimeline } from './report/pool-timeline';
import { runningSystem, type RunningSystem, type ServiceName } from './system-under-test';

/** worldParameters, set per profile in cucumber.js. */
export interface SuiteParameters {
  profile: 'default' | 'quick' | 'ci';
  /** Scales the plan's long load phases (1 = the plan's real durations). */
  loadTimeScale: number;
}

/** One per scenario: the clients it talks through, what it started, and what it must stop. */
export class PoolWorld extends World<SuiteParameters> {
  private readonly clients: Partial<Record<ServiceName, ServiceClient>> = {};
  readonly operations = new Operations();
  /** The pool limits this scenario set, per service. */
  readonly limits: Partial<Record<ServiceName, PoolLimits>> = {};
  audit: DatabaseAudit | undefined;
  timeline: PoolTimeline | undefined;
  /** What the scenario measured (load runs, rounds of operations), for later steps and the report. */
  readonly evidence = new ScenarioEvidence();
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

  /** Registers something to stop when the scenario ends, whatever happens (run in reverse order). */
  onCleanup(stop: () => Promise<void>): void {
    this.cleanups.push(stop);
  }

  /** Sets a service's pool limits through the admin API, then waits for a drained pool. */
  async configurePool(service: ServiceName, change: Partial<PoolLimits>): Promise<void> {
    const outcome = await this.client(service).configurePool(change);
    expect(outcome.status, `configuring the ${service} pool: ${JSON.stringify(outcome.body)}`).to.equal(200);
    this.limits[service] = (outcome.body as { config: PoolLimits }).config;
    await this.drained(service);
  }

  async drained(service: ServiceName): Promise<void> {
    await eventually(async () => {
      const { connections } = await this.client(service).poolSnapshot();
      expect(connections.active, `${service} connections in use`).to.equal(0);
      expect(connections.waiting, `${service} requests waiting`).to.equal(0);
    }, { within: WAIT.settle });
  }

  /** Before each scenario: start-up limits, drained pools, the audit and the timeline running. */
  async prepare(): Promise<void> {
    for (const [service, limits] of Object.entries(this.system.startupLimits) as Array<[ServiceName, PoolLimits]>) {
      await this.configurePool(service, limits);
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
      if (this.audit) {
        for (const client of this.services.map((service) => this.client(service))) {
          try {
            const result = await auditConnections(client, this.audit);
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
