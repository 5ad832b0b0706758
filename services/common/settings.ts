import { z } from 'zod';
import { SERVICE_SETTINGS, allowedText, type RuntimeField, type Setting, type SettingGroup, type SettingValues } from '../../env/service-settings';

/**
 * The services' settings, validated once from the environment and again for every run-time change
 * through an admin endpoint, against the one list in env/service-settings.ts. A bad value stops the
 * service with one line that names the variable, the value and what is allowed — never a silent
 * default, never a secret repeated.
 */

/** A configuration value that is not allowed; the message is the one line an operator reads. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(
    readonly setting: string,
    readonly value: unknown,
    readonly allowed: string,
  ) {
    super(`${setting}=${JSON.stringify(value)} is not allowed: expected ${allowed}`);
  }
}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/** The schema of one row's value, once parsed from its text (numbers) or taken as JSON (run time). */
function schemaOf(row: Setting): z.ZodType {
  const min = 'min' in row ? row.min : undefined;
  const max = 'max' in row ? row.max : undefined;
  switch (row.kind) {
    case 'integer':
    case 'port':
      return z.number().int().min(min!).max(max!);
    case 'seconds':
      return min === undefined ? z.number().gt(0).max(max!) : z.number().min(min).max(max!);
    case 'ratio':
      return z.number().gt(0).max(1);
    case 'switch':
      return z.boolean();
    case 'host':
      return z.string().min(1);
    case 'secret':
      return z.string().min(min!);
    case 'postgres-url':
      return z.string().regex(/^postgres(ql)?:\/\//);
    case 'http-url':
      return z.string().refine((value) => URL.canParse(value) && /^https?:$/.test(new URL(value).protocol));
    case 'log-level':
      return z.enum(LOG_LEVELS);
  }
}

const NUMERIC = new Set(['integer', 'port', 'seconds', 'ratio']);

/** The value a variable's text stands for, before validation: numbers parsed, switches read as on/off. */
function fromText(row: Setting, raw: string): unknown {
  if (NUMERIC.has(row.kind)) return raw.trim() === '' ? raw : Number(raw);
  if (row.kind === 'switch') return raw === 'on' ? true : raw === 'off' ? false : raw;
  return raw;
}

/** The value refused, as the error line may show it: a secret never. */
function shown(row: Setting, raw: unknown): unknown {
  return 'secret' in row && row.secret && raw !== '' ? '<redacted>' : raw;
}

function readRow(row: Setting, env: NodeJS.ProcessEnv): unknown {
  const raw = env[row.variable];
  if (raw === undefined) {
    if ('default' in row) return row.default;
    if ('optional' in row) return undefined;
    throw new ConfigError(row.variable, '', allowedText(row));
  }
  // An optional URL set to nothing is as good as unset (compose passes `AUTH_URL=` that way).
  if (raw === '' && 'optional' in row) return undefined;
  const parsed = schemaOf(row).safeParse(fromText(row, raw));
  if (!parsed.success) throw new ConfigError(row.variable, shown(row, raw), allowedText(row));
  return parsed.data;
}

/** Reads and validates every setting of `group` from the environment; throws ConfigError on the first bad value. */
export function readSettings<G extends SettingGroup>(env: NodeJS.ProcessEnv, group: G): SettingValues<G> {
  const values: Record<string, unknown> = {};
  for (const row of SERVICE_SETTINGS) if (row.group === group) values[row.key] = readRow(row, env);
  return values as SettingValues<G>;
}

/**
 * Validates a run-time change through one admin endpoint (fields as that endpoint names them,
 * JSON values: 5, not "5") and returns the complete new values. Unknown fields are refused by name
 * rather than ignored, and nothing is applied unless everything is valid.
 */
export function applyRuntimeChange<T extends object>(endpoint: RuntimeField['endpoint'], current: T, change: unknown): T {
  const rows = SERVICE_SETTINGS.filter((row): row is Extract<Setting, { runtime: RuntimeField }> => 'runtime' in row && row.runtime.endpoint === endpoint);
  const fields = rows.map((row) => row.runtime.field);
  if (typeof change !== 'object' || change === null || Array.isArray(change)) {
    throw new ConfigError('body', change, `a JSON object with any of ${fields.join(', ')}`);
  }
  const next = { ...current } as Record<string, unknown>;
  for (const [field, value] of Object.entries(change)) {
    const row = rows.find((r) => r.runtime.field === field);
    if (!row) throw new ConfigError(field, value, `one of the fields ${fields.join(', ')}`);
    const parsed = schemaOf(row).safeParse(value);
    if (!parsed.success) throw new ConfigError(field, value, allowedText(row, 'runtime'));
    next[field] = parsed.data;
  }
  return next as T;
}
