import { World, setWorldConstructor, type IWorldOptions } from '@cucumber/cucumber';
import type * as messages from '@cucumber/messages';
import type { DatabaseAudit } from './clients/database-audit';
import { Journal } from './journal';
import { Operations } from './load/operations';
import type { PoolTimeline } from './monitoring/pool-timeline';
import { runningSystem, type RunningSystem, type ServiceName } from './system-under-test';
import { abilityTag } from './targets/abilities';
import { describeFigures } from './targets/evidence';
import { NotOffered } from './targets/not-offered';
import type { Abilities, AbilityName, HealthReading, PoolReading, ServiceTarget } from './targets/service-target';
import type { ScenarioSettings } from './targets/settings';

/** worldParameters, set per profile in cucumber.js. */
export interface SuiteParameters {
  profile: 'default' | 'quick' | 'ci';
  /** Scales the plan's long load phases (1 = the plan's real durations). */
  loadTimeScale: number;
}

/**
 * One per scenario: the services it drives, the requests it sent, what it must stop, and its
 * journal. Its lifecycle (before and after) is support/lifecycle.ts; what one kind of scenario keeps
 * between its steps lives with its tasks (support/tasks/, through ScenarioState).
 */
export class PoolWorld extends World<SuiteParameters> {
  /** Every request the scenario sent in the background: nothing is fire-and-forget. */
  readonly operations = new Operations();
  readonly journal = new Journal();
  audit: DatabaseAudit | undefined;
  timeline: PoolTimeline | undefined;
  /** The step running now (set by the BeforeStep hook): what evidence and verdicts are reported against. */
  currentStep: messages.PickleStep | undefined;
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

  /** A service under test: the steps drive every one the same way, whatever it is. */
  target(service: ServiceName): ServiceTarget {
    const target = this.system.targets[service];
    if (!target) throw new NotOffered(`the ${service} service`, `the target ${this.system.targetName} has no ${service} service`);
    return target;
  }

  /** An ability of a service, or NotOffered naming it (a check is then not judged; an action's scenario carries its @needs- tag). */
  ability<K extends AbilityName>(service: ServiceName, name: K): NonNullable<Abilities[K]> {
    const target = this.target(service);
    const ability = target.abilities[name];
    if (!ability) throw new NotOffered(`the ability ${abilityTag(name).slice('@needs-'.length)}`, `${target.label} does not declare it (abilities.${name} in its target description)`);
    this.noteEvidence(`${service}: its own record (abilities.${name})`);
    return ability as NonNullable<Abilities[K]>;
  }

  requireAudit(): DatabaseAudit {
    if (!this.audit) throw new NotOffered('database access for the pg_stat_activity audit', 'this target gives the suite none (set DATABASE_URL)');
    this.noteEvidence("PostgreSQL's own view: pg_stat_activity");
    return this.audit;
  }

  /** Notes evidence the current step used (nothing outside a step). */
  noteEvidence(note: string): void {
    if (this.currentStep) this.journal.note(note);
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

  /** The settings a service runs with in this scenario, as it asked for them. */
  settingsOf(service: ServiceName): ScenarioSettings {
    return this.target(service).settings;
  }

  /** Registers something to stop when the scenario ends, whatever happens (run in reverse order). */
  onCleanup(stop: () => Promise<void>): void {
    this.cleanups.push(stop);
  }

  /** Runs the cleanup stack, last first; answers what failed. */
  async runCleanups(): Promise<string[]> {
    const failures: string[] = [];
    for (const stop of this.cleanups.splice(0).reverse()) await stop().catch((error: unknown) => failures.push(String(error)));
    return failures;
  }
}

setWorldConstructor(PoolWorld);
