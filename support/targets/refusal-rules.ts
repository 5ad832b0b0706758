import type { RefusalKindDescription, RefusalsDescription } from './schema';
import type { ScenarioSettings } from './settings';
import { fillTemplate } from './templates';
import { settingValues } from './settings';

/** The kinds of refusal the plan speaks of: the pool timed out a wait, the queue was full, a breaker refused at once. */
export type RefusalKind = 'timedOut' | 'queueFull' | 'breakerOpen' | 'databaseDown';

/**
 * What a refusal must look like on one target: the plan's standard (503 or 429 with Retry-After,
 * one consistent format, a client-friendly message) with what this service chose — its statuses,
 * its format and where its message is — and, only where its description declares them, its house
 * rules (problem types, fields and their values).
 */
export interface RefusalRules {
  format: 'problem+json' | 'json' | 'any';
  /** Where the human message is; undefined: the format's usual places (detail, message, error.message, error). */
  message: string | undefined;
  /** A body field with the retry hint in seconds that must agree with Retry-After. */
  retryAfterField: string | undefined;
  /** Fields every refusal carries. */
  fields: readonly string[];
  kinds: Record<RefusalKind, { statuses: readonly number[]; type: string | undefined; fields: Readonly<Record<string, string | number>> }>;
  namesDatabaseCause: boolean;
}

/** The plan allows 503 or 429 for either; a service that says which it uses is held to it. */
const DEFAULT_STATUSES: Record<RefusalKind, readonly number[]> = { timedOut: [503, 429], queueFull: [429, 503], breakerOpen: [503, 429], databaseDown: [503, 429] };

export function refusalRulesOf(refusals: RefusalsDescription): RefusalRules {
  const kind = (name: RefusalKind, given: RefusalKindDescription) => ({ statuses: given.status ? [given.status] : DEFAULT_STATUSES[name], type: given.type, fields: given.fields });
  return {
    format: refusals.format,
    message: refusals.message ?? (refusals.format === 'problem+json' ? 'detail' : undefined),
    retryAfterField: refusals.retryAfter,
    fields: refusals.fields,
    kinds: { timedOut: kind('timedOut', refusals.timedOut), queueFull: kind('queueFull', refusals.queueFull), breakerOpen: kind('breakerOpen', refusals.breakerOpen), databaseDown: kind('databaseDown', refusals.databaseDown) },
    namesDatabaseCause: refusals.namesDatabaseCause,
  };
}

/** The field values a refusal of `kind` must carry under `settings` ({{poolTimeoutSeconds}} filled in), as numbers where they read as one. */
export function expectedFields(rules: RefusalRules, kind: RefusalKind, settings: ScenarioSettings): Record<string, string | number> {
  const values = settingValues(settings);
  return Object.fromEntries(
    Object.entries(rules.kinds[kind].fields).map(([field, value]) => {
      if (typeof value === 'number') return [field, value];
      const filled = fillTemplate(value, values, `refusals.${kind}.fields.${field}`);
      return [field, /^-?\d+(?:\.\d+)?$/.test(filled) ? Number(filled) : filled];
    }),
  );
}
