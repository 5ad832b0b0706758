import { expect } from 'chai';
import type { RoleUse } from '../clients/database-audit';
import { describeOutcome } from '../clients/outcome';
import type { LivenessSample } from '../monitoring/liveness';
import { describeEvidence } from '../monitoring/pool-timeline';
import { NotOffered } from '../targets/not-offered';
import type { PoolReading } from '../targets/service-target';
import type { SignIn } from '../tasks/sign-in';

/** Nearest-rank percentile of a few samples. */
export function percentile(samples: number[], p: number): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN;
}

export interface LatencyComparison {
  what: string;
  baselineP95Ms: number;
  exhaustedP95Ms: number;
  allowedP95Ms: number;
}

/**
 * Every sign-in succeeded, and at the 95th percentile each call is at most `factor` times slower
 * than its baseline — or `slackMs` slower, whichever allows more (a 3 ms baseline would make 3×
 * meaningless on a busy 2-core machine).
 */
export function expectNormalSpeed(baseline: SignIn[], exhausted: SignIn[], factor: number, slackMs: number): LatencyComparison[] {
  for (const round of exhausted) {
    expect(round.login.status, `login while the backend is exhausted: ${describeOutcome(round.login)} ${JSON.stringify(round.login.body)}`).to.equal(200);
    expect(round.tokenCheck.status, `token check while the backend is exhausted: ${describeOutcome(round.tokenCheck)} ${JSON.stringify(round.tokenCheck.body)}`).to.equal(200);
  }
  const comparisons = (['login', 'tokenCheck'] as const).map((call) => {
    const baselineP95Ms = percentile(baseline.map((r) => r[call].ms), 95);
    const exhaustedP95Ms = percentile(exhausted.map((r) => r[call].ms), 95);
    return { what: call, baselineP95Ms, exhaustedP95Ms, allowedP95Ms: Math.max(factor * baselineP95Ms, baselineP95Ms + slackMs) };
  });
  for (const c of comparisons) {
    expect(c.exhaustedP95Ms, `${c.what} p95 (ms) during the backend's exhaustion, against baseline ${c.baselineP95Ms.toFixed(1)} ms`).to.be.at.most(c.allowedP95Ms);
  }
  return comparisons;
}

/** The counters the isolation check compares, as the service reports them. */
const TROUBLE_COUNTERS = ['timeouts', 'rejected', 'errors', 'leaksDetected'] as const;

/**
 * Auth's pool saw none of the backend's trouble: no new timeout, refusal, error or leak (every
 * counter it reports), nobody waiting, and every health check sampled since the baseline healthy.
 */
export function expectPoolUntouched(before: PoolReading, after: PoolReading, healthSamples: readonly LivenessSample[]): string[] {
  const counted = TROUBLE_COUNTERS.filter((counter) => before[counter] !== undefined && after[counter] !== undefined);
  if (counted.length === 0) throw new NotOffered('the pool\'s own counts of timeouts, refusals and errors', `${after.service} reports none (its pool is read from ${describeEvidence(after.evidence)})`);
  for (const counter of counted) expect(after[counter], `${after.service} ${counter} since the baseline`).to.equal(before[counter]);
  if (after.waiting !== undefined) expect(after.waiting, `${after.service} requests waiting`).to.equal(0);
  const mine = healthSamples.filter((s) => s.service === after.service);
  expect(mine.length, `${after.service} health checks sampled since the baseline`).to.be.at.least(1);
  const unhealthy = mine.filter((s) => s.poolStatus !== 'healthy').map((s) => `${new Date(s.at).toISOString()}: ${s.poolStatus ?? s.error}`);
  expect(unhealthy, `${after.service} health checks that were not healthy since the baseline`).to.deep.equal([]);
  return counted;
}

export interface RoleUsage {
  service: string;
  role: string;
  connections: number;
  connectionLimit: number;
}

/** Each service connects as its own role (none shared), with a CONNECTION LIMIT it stays within. */
export function expectOwnRolesWithinLimits(rolesByService: Record<string, RoleUse[]>): RoleUsage[] {
  const usage: RoleUsage[] = [];
  for (const [service, roles] of Object.entries(rolesByService)) {
    expect(roles.map((r) => r.role), `database roles of ${service}'s connections`).to.have.lengthOf(1);
    const [role] = roles;
    expect(role!.connectionLimit, `${service} role ${role!.role} has a CONNECTION LIMIT`).to.be.at.least(1);
    expect(role!.connections, `${service} role ${role!.role}: connections against its CONNECTION LIMIT ${role!.connectionLimit}`).to.be.at.most(role!.connectionLimit);
    usage.push({ service, ...role! });
  }
  const owners = new Map<string, string>();
  for (const u of usage) {
    expect(owners.get(u.role), `role ${u.role} is shared by ${owners.get(u.role)} and ${u.service}`).to.equal(undefined);
    owners.set(u.role, u.service);
  }
  return usage;
}
