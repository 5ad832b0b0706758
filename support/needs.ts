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

/**
 * The needs each action asks of its target, by step pattern: a scenario that has such a step must
 * carry the tag, so that a target without it skips the scenario before it starts instead of halfway
 * (npm run test:dry checks every scenario against this list). A check (Then) needs no tag: where its
 * evidence is missing it is "not judged", and the checks after it still run.
 */
export const ACTION_NEEDS: Readonly<Record<string, readonly string[]>> = {
  'a {service} request keeps its connection and never gives it back': ['@needs-leak-on-command'],
  'a {service} request drops its connection without giving it back': ['@needs-leak-on-command'],
  '{int} leaked connections take every {service} connection': ['@needs-leak-on-command'],
  'the {service} collects its garbage': ['@needs-collect-garbage'],
  'an operator resets the {service} pool': ['@needs-emergency-reset'],
  'a new {service} instance starts': ['@needs-spawn-instance'],
  'a new {service} process starts with {word} set to {string}': ['@needs-spawn-instance'],
  'a WebSocket client signed in as the test user': ['@needs-websocket', '@needs-sign-in'],
  'a client presents {badToken}': ['@needs-sign-in'],
  '{int} users log in at once': ['@needs-sign-in'],
  'the normal speed of {int} auth sign-ins \\(login and token check) has been measured': ['@needs-sign-in', '@needs-database'],
  'PostgreSQL stops while quick requests keep coming to every service': ['@needs-database-restart'],
  'PostgreSQL is down': ['@needs-database-restart'],
  "an administrator sets the {service} pool's {word} to {}": ['@needs-pool-admin'],
  'a client sends {badRequest}': ['@needs-pool-admin'],
  'it sends {badFrame}': ['@needs-house-web-socket'],
  'it sends a frame of {int} KB': ['@needs-house-web-socket'],
  'it sends {int} requests at once, each holding a connection for {duration}': ['@needs-house-web-socket'],
  'the database terminates every {service} connection while quick requests keep coming': ['@needs-database'],
  'the database lets the {service} role open only {int} connections': ['@needs-database'],
  'other clients hold all but {int} of the connections the database server allows': ['@needs-database'],
  'connecting to the database takes the {service} {duration}': ['@needs-database'],
  '{int} operations run against the {service}, {int} of them failing inside the database': ['@needs-database'],
  '{int} rounds of {int} operations run against the {service}, {int} of them failing each time': ['@needs-database'],
};
