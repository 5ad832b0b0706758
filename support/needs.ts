import type { RunningSystem } from './system-under-test';
import { abilityTag } from './targets/abilities';
import type { AbilityName } from './targets/service-target';

/**
 * What a scenario needs beyond what every target has, declared by tag (@needs-<what>), and whether
 * this run offers it: the database side the suite reaches, and the abilities the target description
 * declares. A scenario whose need is not met is skipped before it starts, naming what it needed —
 * never run half-way. (npm test checks that every scenario's tags name what its actions need.)
 */
const RUN_NEEDS: Record<string, { offered: (system: RunningSystem) => boolean; why: (system: RunningSystem) => string }> = {
  '@needs-database': {
    offered: (system) => system.auditDatabaseUrl !== undefined,
    why: () => 'database access (pg_stat_activity, the database-side faults), and this run gives none: set DATABASE_URL',
  },
  '@needs-database-restart': {
    offered: (system) => system.platform.databaseServer !== undefined,
    why: (system) => `to stop and start PostgreSQL, which only TEST_ENV=embedded runs itself (this is ${system.platform.environment})`,
  },
  '@needs-websocket': {
    offered: (system) => system.targets.backend?.offers('websocket') === true,
    why: (system) => `a WebSocket, and ${system.targetName}'s backend describes none (websocket)`,
  },
  '@needs-sign-in': {
    offered: (system) => system.targets.auth?.offers('sign-in') === true,
    why: (system) => `an auth service to sign in at, and ${system.targetName} describes none (services.auth.signIn)`,
  },
  '@needs-expired-token': {
    offered: (system) => system.targets.auth?.tokens.canMakeExpired === true,
    why: (system) => `a way to make an expired token for ${system.targetName}'s auth service (tokens.expired, or tokens.secret for HS256)`,
  },
};

/** The abilities a description may declare, by their tag. */
const ABILITIES: readonly AbilityName[] = ['leakOnCommand', 'leakReport', 'collectGarbage', 'recoveryReport', 'emergencyReset', 'healthHistory', 'grantOrder', 'poolAdmin', 'spawnInstance', 'houseWebSocket'];

/** Every need a tag can name. */
export const KNOWN_NEEDS: readonly string[] = [...Object.keys(RUN_NEEDS), ...ABILITIES.map(abilityTag)];

/** Why this run cannot run a scenario with these tags, or undefined when it can. */
export function unmetNeeds(tags: readonly string[], system: RunningSystem): string | undefined {
  const reasons = tags.flatMap((tag) => {
    const need = RUN_NEEDS[tag];
    if (need) return need.offered(system) ? [] : [`${tag}: needs ${need.why(system)}`];
    const ability = ABILITIES.find((name) => abilityTag(name) === tag);
    if (!ability) {
      if (tag.startsWith('@needs-')) throw new Error(`${tag}: no such need (known: ${KNOWN_NEEDS.join(', ')})`);
      return [];
    }
    const offered = Object.values(system.targets).some((target) => target?.abilities[ability] !== undefined);
    return offered ? [] : [`${tag}: needs the ability ${ability}, which ${system.targetName} does not declare (abilities.${ability} in ${system.descriptionFile.split('/').slice(-2).join('/')})`];
  });
  return reasons.length > 0 ? `not run on TARGET=${system.targetName}, TEST_ENV=${system.platform.environment}: ${reasons.join('; ')}` : undefined;
}
