import { Duration } from '../duration';
import { capacityOf, describeShape, type PoolShape } from '../pool-shape';
import { NotOffered } from './not-offered';
import type { ServiceDescription, SettingsDescription, SettingsHowDescription } from './schema';
import { templateVariables, type TemplateValue } from './templates';

/**
 * What a scenario may ask of a service: its pool's shape (SQLAlchemy's pool_size, max_overflow and
 * pool_timeout, and the bound on waiting requests), and the tuning of its leak detector, recovery
 * and circuit breaker. A tuning left undefined is the service's own.
 */
export interface ScenarioSettings extends PoolShape {
  leakThreshold?: Duration;
  leakReclaim?: boolean;
  traceCheckouts?: boolean;
  recoverAfter?: Duration;
  longStatementLimit?: Duration;
  breakerFailures?: number;
  breakerHalfOpenAfter?: Duration;
}

export type SettingName = keyof ScenarioSettings;
export type SettingGroup = 'pool' | 'leaks' | 'recovery';

/** The settings of each group an admin API changes with one request. */
export const SETTING_GROUPS: Record<SettingGroup, readonly SettingName[]> = {
  pool: ['poolSize', 'maxOverflow', 'poolTimeout', 'maxQueue'],
  leaks: ['leakThreshold', 'leakReclaim', 'traceCheckouts'],
  recovery: ['recoverAfter', 'longStatementLimit', 'breakerFailures', 'breakerHalfOpenAfter'],
};

/** The placeholders that carry each setting into a start command, an env value or an admin request body. */
export const SETTING_VARIABLES: Record<SettingName, readonly string[]> = {
  poolSize: ['poolSize', 'capacity'],
  maxOverflow: ['maxOverflow', 'capacity'],
  poolTimeout: ['poolTimeoutSeconds', 'poolTimeoutMs'],
  maxQueue: ['maxQueue'],
  leakThreshold: ['leakThresholdSeconds'],
  leakReclaim: ['leakReclaim'],
  traceCheckouts: ['traceCheckouts'],
  recoverAfter: ['recoverAfterSeconds'],
  longStatementLimit: ['longStatementSeconds', 'longStatementMs'],
  breakerFailures: ['breakerFailures'],
  breakerHalfOpenAfter: ['breakerHalfOpenAfterSeconds'],
};

/** In a reader's words, for reports and skips. */
const SETTING_WORDS: Record<SettingName, string> = {
  poolSize: 'pool_size',
  maxOverflow: 'max_overflow',
  poolTimeout: 'a pool timeout',
  maxQueue: 'a bound on waiting requests',
  leakThreshold: 'a leak threshold',
  leakReclaim: 'a choice to reclaim leaks or only report them',
  traceCheckouts: 'a trace of where each connection was taken',
  recoverAfter: 'a time after which a stuck pool recovers by itself',
  longStatementLimit: 'a limit after which long statements are cancelled',
  breakerFailures: 'a number of timeouts that opens a circuit breaker',
  breakerHalfOpenAfter: 'a time after which an open breaker lets a probe through',
};

/** A boolean placeholder says true/false, or the words its argument names: {{leakReclaim:on/off}}. */
function switchValue(value: boolean | undefined): TemplateValue {
  return (argument) => {
    if (value === undefined) throw new Error('this setting is not given by the scenario or the description (startWith)');
    const [yes, no] = (argument ?? 'true/false').split('/');
    return value ? (yes ?? 'true') : (no ?? 'false');
  };
}

/** The placeholder values of a set of settings; a placeholder of a tuning left undefined fails when filled, naming it. */
export function settingValues(settings: ScenarioSettings): Record<string, TemplateValue | undefined> {
  const seconds = (d: Duration | undefined) => (d === undefined ? undefined : d.seconds);
  return {
    poolSize: settings.poolSize,
    maxOverflow: settings.maxOverflow,
    capacity: capacityOf(settings),
    poolTimeoutSeconds: settings.poolTimeout.seconds,
    poolTimeoutMs: Math.round(settings.poolTimeout.ms),
    maxQueue: settings.maxQueue,
    leakThresholdSeconds: seconds(settings.leakThreshold),
    leakReclaim: switchValue(settings.leakReclaim),
    traceCheckouts: switchValue(settings.traceCheckouts),
    recoverAfterSeconds: seconds(settings.recoverAfter),
    longStatementSeconds: seconds(settings.longStatementLimit),
    longStatementMs: settings.longStatementLimit && Math.round(settings.longStatementLimit.ms),
    breakerFailures: settings.breakerFailures,
    breakerHalfOpenAfterSeconds: seconds(settings.breakerHalfOpenAfter),
  };
}

/** The settings as a description's startWith / is gives them. */
export function settingsFrom(given: SettingsDescription): ScenarioSettings {
  const d = (text: string | undefined) => (text === undefined ? undefined : Duration.parse(text));
  return {
    poolSize: given.poolSize,
    maxOverflow: given.maxOverflow ?? 0,
    poolTimeout: d(given.poolTimeout) ?? Duration.UNBOUNDED,
    maxQueue: given.maxQueue ?? Number.POSITIVE_INFINITY,
    leakThreshold: d(given.leakThreshold),
    leakReclaim: given.leakReclaim,
    traceCheckouts: given.traceCheckouts,
    recoverAfter: d(given.recoverAfter),
    longStatementLimit: d(given.longStatementLimit),
    breakerFailures: given.breakerFailures,
    breakerHalfOpenAfter: d(given.breakerHalfOpenAfter),
  };
}

/** The settings a service starts with: its description's startWith, or the fixed ones it runs with. */
export function startSettingsOf(how: SettingsHowDescription): ScenarioSettings {
  if (how.how !== 'fixed') return settingsFrom(how.startWith);
  const { is } = how;
  return settingsFrom({ ...is, maxOverflow: typeof is.maxOverflow === 'number' ? is.maxOverflow : 0, poolTimeout: is.poolTimeout === 'waits without bound' ? undefined : is.poolTimeout, maxQueue: typeof is.maxQueue === 'number' ? is.maxQueue : undefined });
}

/** "pool_size=5 max_overflow=3 pool_timeout=30 s max_queue=10, leak threshold 2 s", for reports. */
export function describeSettings(settings: ScenarioSettings): string {
  const tuning = (['leakThreshold', 'leakReclaim', 'traceCheckouts', 'recoverAfter', 'longStatementLimit', 'breakerFailures', 'breakerHalfOpenAfter'] as const)
    .filter((name) => settings[name] !== undefined)
    .map((name) => `${name} ${String(settings[name])}`);
  return [describeShape(settings), ...tuning].join(', ');
}

/**
 * How a described service takes each setting: `settable` (its admin API or its restart templates
 * carry it), a fixed value it runs with, or what it lacks ("waits without bound", "unbounded",
 * "part of the pool size"; `own` for a tuning it has no setting for).
 */
export type Knob = { kind: 'settable' } | { kind: 'fixed'; value: ScenarioSettings[SettingName] } | { kind: 'lacking'; what: string };

export interface Knobs {
  /** One pool size that is pool_size + max_overflow (node-postgres' `max`, {{capacity}}). */
  capacityOnly: boolean;
  of: Record<SettingName, Knob>;
}

/** The placeholders a service's start command, env and admin requests use. */
function placeholdersOf(service: ServiceDescription): Set<string> {
  const texts = service.start ? [...service.start.command, ...Object.values(service.start.env)] : [];
  if (service.settings.how === 'admin-api') {
    for (const request of Object.values(service.settings.change)) if (request) texts.push(request.path, request.body ?? '');
  }
  return new Set(texts.flatMap((text) => templateVariables(text)));
}

/** How the service takes each setting, from its description. */
export function knobsOf(service: ServiceDescription): Knobs {
  const { settings } = service;
  const used = placeholdersOf(service);
  const names = Object.keys(SETTING_VARIABLES) as SettingName[];
  if (settings.how === 'fixed') {
    const fixed = startSettingsOf(settings);
    const of = Object.fromEntries(names.map((name) => [name, fixed[name] === undefined ? { kind: 'lacking', what: 'its own' } : { kind: 'fixed', value: fixed[name] }])) as Record<SettingName, Knob>;
    if (settings.is.maxOverflow === 'part of the pool size') of.maxOverflow = { kind: 'lacking', what: 'part of the pool size' };
    if (settings.is.poolTimeout === 'waits without bound') of.poolTimeout = { kind: 'lacking', what: 'waits without bound' };
    if (settings.is.maxQueue === 'unbounded') of.maxQueue = { kind: 'lacking', what: 'unbounded' };
    return { capacityOnly: settings.is.maxOverflow === 'part of the pool size', of };
  }
  const lacking: Record<string, string | undefined> = settings.how === 'restart' ? settings.lacking : {};
  const of = Object.fromEntries(
    names.map((name) => {
      if (SETTING_VARIABLES[name].some((variable) => used.has(variable))) return [name, { kind: 'settable' }];
      const what = lacking[name] ?? (name === 'poolTimeout' ? 'waits without bound' : name === 'maxQueue' ? 'unbounded' : 'its own');
      return [name, { kind: 'lacking', what }];
    }),
  ) as Record<SettingName, Knob>;
  const capacityOnly = used.has('capacity') && !used.has('poolSize');
  if (capacityOnly) of.maxOverflow = { kind: 'lacking', what: 'part of the pool size' };
  return { capacityOnly, of };
}

const same = (a: unknown, b: unknown) => (a instanceof Duration && b instanceof Duration ? a.ms === b.ms : a === b);

/**
 * The settings `change` asks for, as far as this service can be given them. A setting the service
 * runs with fixed at another value is NotOffered (the scenario is skipped, naming it); one it does
 * not have at all is not a reason to skip: the scenario runs with the service as it is, and
 * `departures` says so for the report (no pool timeout: it waits without bound; no leak threshold:
 * its own).
 */
export function planSettings(target: string, knobs: Knobs, current: ScenarioSettings, change: Partial<ScenarioSettings>): { next: ScenarioSettings; departures: string[] } {
  const next: ScenarioSettings = { ...current };
  const departures: string[] = [];
  for (const [name, value] of Object.entries(change) as Array<[SettingName, never]>) {
    if (value === undefined) continue;
    const knob = knobs.of[name];
    if (knob.kind === 'settable' || (name === 'maxOverflow' && knobs.capacityOnly)) {
      next[name] = value;
    } else if (knob.kind === 'fixed') {
      if (!same(knob.value, value)) throw new NotOffered(`${SETTING_WORDS[name]} of ${String(value)}`, `${target} runs with a fixed ${SETTING_WORDS[name]} of ${String(knob.value)}`);
    } else if (name === 'maxOverflow') {
      if (value !== 0) throw new NotOffered(`max_overflow ${String(value)}`, `${target} has no overflow of its own (its overflow is ${knob.what})`);
    } else if (name === 'poolTimeout') {
      next.poolTimeout = Duration.UNBOUNDED;
      departures.push(`${target} has no pool timeout: the scenario asks for ${String(value)}, and its requests wait for a connection without bound`);
    } else if (name === 'maxQueue') {
      next.maxQueue = Number.POSITIVE_INFINITY;
      departures.push(`${target} has no queue limit: the scenario asks for ${String(value)} waiting requests at most, and it lets any number wait`);
    } else if (name === 'poolSize') {
      throw new NotOffered(`pool_size ${String(value)}`, `${target} has no pool size the suite can set`);
    } else {
      // Kept as what the scenario asked (a check may wait for it), though the service runs with its own.
      next[name] = value;
      departures.push(`${target} has no setting for ${SETTING_WORDS[name]}: the scenario asks for ${String(value)}, and it runs with its own`);
    }
  }
  return { next, departures };
}

/** A one-line summary of which settings a target takes, for the report's environment. */
export function describeKnobs(knobs: Knobs): string {
  return Object.entries(knobs.of)
    .map(([name, knob]) => `${name}: ${knob.kind === 'settable' ? 'set by the suite' : knob.kind === 'fixed' ? `fixed ${String(knob.value)}` : knob.what}`)
    .join(', ');
}
