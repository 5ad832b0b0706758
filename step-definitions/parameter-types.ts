import { defineParameterType } from '@cucumber/cucumber';
import type { BadTokenKind } from '../support/targets/token-maker';
import type { HealthStatus } from '../support/clients/contract';
import { Duration } from '../support/duration';
import type { PoolShape } from '../support/pool-shape';
import type { ServiceName } from '../support/system-under-test';

defineParameterType({
  name: 'service',
  regexp: /backend|auth/,
  transformer: (name: string): ServiceName => name as ServiceName,
});

const DURATION = String.raw`\d+(?:\.\d+)? (?:milliseconds?|seconds?|minutes?)`;

/** "3 seconds", "1.5 seconds", "2 minutes", "500 milliseconds": a Duration, unit and all. */
defineParameterType({
  name: 'duration',
  regexp: new RegExp(DURATION),
  transformer: (text: string): Duration => Duration.parse(text),
});

/**
 * A pool's shape, in the ways the features say it — one parameter for every phrasing:
 *   "has pool size 5 and max overflow 3"
 *   "has pool size 3, max overflow 2 and a pool timeout of 5 seconds"
 *   "lets 10 requests wait and times out after 1 second"
 *   "lets 2 requests wait"
 * Only what the phrase names changes; the rest of the shape stays as it is.
 */
defineParameterType({
  name: 'poolShape',
  regexp: new RegExp(String.raw`has pool size \d+(?:,| and) max overflow \d+(?: and a pool timeout of ${DURATION})?|lets \d+ requests wait(?: and times out after ${DURATION})?`),
  transformer: (text: string): Partial<PoolShape> => {
    const shape: Partial<PoolShape> = {};
    const sizes = /pool size (\d+)(?:,| and) max overflow (\d+)/.exec(text);
    if (sizes) Object.assign(shape, { poolSize: Number(sizes[1]), maxOverflow: Number(sizes[2]) });
    const queue = /lets (\d+) requests wait/.exec(text);
    if (queue) shape.maxQueue = Number(queue[1]);
    const timeout = new RegExp(`(?:pool timeout of|times out after) (${DURATION})`).exec(text);
    if (timeout) shape.poolTimeout = Duration.parse(timeout[1]!);
    return shape;
  },
});

defineParameterType({
  name: 'health',
  regexp: /healthy|warning|critical/,
  transformer: (status: string): HealthStatus => status as HealthStatus,
});

/** The ways a bearer token can be bad (support/clients/auth-client.ts builds each). */
defineParameterType({
  name: 'badToken',
  regexp: /no token|an expired token|a forged token|a token signed by another key|an unsigned token/,
  transformer: (kind: string): BadTokenKind => kind as BadTokenKind,
});
