import { expect } from 'chai';
import type { PoolSnapshot } from '../clients/contract';
import type { RoleUse } from '../clients/database-audit';
import { describeOutcome } from '../clients/outcome';
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

/** Auth's pool saw none of the backend's trouble: no new timeout, refusal or error, no health change. */
export function expectPoolUntouched(before: PoolSnapshot, after: PoolSnapshot): void {
  for (const counter of ['timeouts', 'rejected', 'errors', 'leaksDetected']) {
    expect(after.counters[counter] ?? 0, `${after.service} ${counter} since the baseline`).to.equal(before.counters[counter] ?? 0);
  }
  expect(after.connections.waiting, `${after.service} requests waiting`).to.equal(0);
  expect(after.health.status, `${after.service} health (${after.health.reasons.join('; ')})`).to.equal('healthy');
  const changes = after.health.transitions.filter((t) => t.at > before.at);
  expect(changes, `${after.service} health transitions since the baseline`).to.deep.equal([]);
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
