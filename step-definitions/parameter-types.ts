import { defineParameterType } from '@cucumber/cucumber';
import type { BadTokenKind } from '../support/clients/auth-client';
import type { HealthStatus } from '../support/clients/contract';
import type { ServiceName } from '../support/system-under-test';

defineParameterType({
  name: 'service',
  regexp: /backend|auth/,
  transformer: (name: string): ServiceName => name as ServiceName,
});

const UNIT_MS: Record<string, number> = { millisecond: 1, second: 1000, minute: 60_000 };

/** "3 seconds", "1.5 seconds", "2 minutes", "500 milliseconds" -> milliseconds. */
defineParameterType({
  name: 'duration',
  regexp: /(\d+(?:\.\d+)?) (milliseconds?|seconds?|minutes?)/,
  transformer: (amount: string, unit: string): number => Number(amount) * UNIT_MS[unit.replace(/s$/, '')]!,
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
