import type { LoadResult } from './generator';

/** One load run against a service, with the service's pool counters around it. */
export interface LoadRun extends LoadResult {
  service: string;
  countersBefore: Record<string, number>;
  countersAfter: Record<string, number>;
}

/** What one round of operations left behind, once the pool settled (test case 4's drift check). */
export interface RoundFigures {
  round: number;
  /** Epoch ms: when the round's operations started and when the last was answered. */
  startedAt: number;
  answeredAt: number;
  /** The counts before the round: what "back to baseline" means. */
  baseline: { active: number; total: number };
  /** The service's own counts. */
  active: number;
  waiting: number;
  total: number;
  poolSize: number;
  /** What pg_stat_activity says the service holds. */
  database: { total: number; busy: number };
  /** Counter growth over the round. */
  acquired: number;
  released: number;
}

/**
 * What a scenario measured, for its later steps to judge and for the report: the load runs
 * (test case 5) and the rounds of operations (test case 4). One per World.
 */
export class ScenarioEvidence {
  readonly loads: LoadRun[] = [];
  readonly rounds: RoundFigures[] = [];

  lastLoad(): LoadRun {
    const load = this.loads.at(-1);
    if (!load) throw new Error('no load was generated in this scenario');
    return load;
  }
}
