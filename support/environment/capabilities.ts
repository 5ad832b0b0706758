import type { Deployment } from './deployment';

/**
 * What a scenario needs beyond the public contract, declared by tag, and whether a deployment
 * offers it. A scenario whose need is not met is skipped with the reason, never run half-way.
 */
const NEEDS: Record<string, { offered: (deployment: Deployment) => boolean; reason: string }> = {
  '@needs-database': {
    offered: (deployment) => deployment.auditDatabaseUrl !== undefined,
    reason: 'needs database access (pg_stat_activity audit or direct changes), and this target gives none: set DATABASE_URL to run it',
  },
  '@needs-fault-injection': {
    offered: (deployment) => deployment.faultInjection,
    reason: 'needs fault injection, and this target has it off (FAULT_INJECTION=on on the services enables it)',
  },
  '@needs-database-restart': {
    offered: (deployment) => deployment.databaseServer !== undefined,
    reason: 'stops and starts PostgreSQL, which only the embedded target runs itself',
  },
  '@needs-local-services': {
    offered: (deployment) => deployment.spawnService !== undefined,
    reason: 'starts service processes of its own, which only targets where the suite spawns the services allow',
  },
};

/** Why this deployment cannot run a scenario with these tags, or undefined when it can. */
export function unmetNeeds(tags: readonly string[], deployment: Deployment): string | undefined {
  const reasons = tags.flatMap((tag) => {
    const need = NEEDS[tag];
    return need && !need.offered(deployment) ? [`${tag}: ${need.reason}`] : [];
  });
  return reasons.length > 0 ? `not run on TEST_ENV=${deployment.environment}: ${reasons.join('; ')}` : undefined;
}
