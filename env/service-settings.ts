/**
 * The services' settings: one row each, and the only place a setting is named. Everything else
 * derives from this list:
 * - the services' validation at start-up and of every run-time change (services/common/settings.ts);
 * - which variables the suite passes to the services it spawns, and the docker target's env files
 *   (support/environment/service-environment.ts);
 * - the settings table of docs/operators.md (tools/settings-table.ts writes it; npm test checks it).
 * Adding a setting is one row here (and the code that uses its value).
 *
 * Plain data, imported by the services and by the suite alike: it imports nothing.
 */

/** How a value is written and checked. */
export type SettingKind =
  | 'integer'
  | 'seconds'
  | 'ratio'
  | 'switch'
  | 'port'
  | 'host'
  | 'secret'
  | 'postgres-url'
  | 'http-url'
  | 'log-level';

/**
 * Which part of a service reads the setting; the group decides which services have it:
 * database, http and process settings belong to every service.
 */
export type SettingGroup = 'database' | 'http' | 'process' | 'backend' | 'auth';

/** The admin endpoint that changes a setting while the service runs, and the JSON field it uses there. */
export interface RuntimeField {
  endpoint: 'pool' | 'leaks' | 'recovery';
  field: string;
}

export interface SettingRow {
  variable: string;
  /** The field of the service's typed configuration. */
  key: string;
  kind: SettingKind;
  group: SettingGroup;
  /** The value when the variable is not set; absent: required (or, with `optional`, simply absent). */
  default?: number | boolean | string;
  optional?: boolean;
  /** Inclusive bounds; a `seconds` setting without `min` must be above 0. */
  min?: number;
  max?: number;
  /** Never echoed: a refused value is shown as <redacted>. */
  secret?: boolean;
  /**
   * Set by whoever starts the service (the suite, the stack, compose) to wire it up — its URL, port,
   * database, admin token — rather than passed through from an operator's shell.
   */
  wiring?: boolean;
  runtime?: RuntimeField;
  description: string;
}

export const SERVICES = ['backend', 'auth'] as const;
export type ServiceName = (typeof SERVICES)[number];

/** The groups each service reads. */
export const GROUPS_OF: Record<ServiceName, readonly SettingGroup[]> = {
  backend: ['database', 'http', 'process', 'backend'],
  auth: ['database', 'http', 'process', 'auth'],
};

/**
 * How a service's variable is named in a shell that starts the whole system (the suite, the stack,
 * the docker target): the backend's as they are, the auth service's with AUTH_ in front
 * (AUTH_POOL_SIZE reaches the auth service as POOL_SIZE).
 */
export const SHELL_PREFIX: Record<ServiceName, string> = { backend: '', auth: 'AUTH_' };

export const SERVICE_SETTINGS = [
  { variable: 'DATABASE_URL', key: 'databaseUrl', kind: 'postgres-url', group: 'database', secret: true, wiring: true, description: "The service's own role on its own database" },
  { variable: 'POOL_SIZE', key: 'poolSize', kind: 'integer', group: 'database', default: 20, min: 1, max: 1000, runtime: { endpoint: 'pool', field: 'poolSize' }, description: 'Connections the pool keeps open (pool_size)' },
  { variable: 'MAX_OVERFLOW', key: 'maxOverflow', kind: 'integer', group: 'database', default: 30, min: 0, max: 1000, runtime: { endpoint: 'pool', field: 'maxOverflow' }, description: 'Connections above pool_size, closed when returned while nobody waits (max_overflow)' },
  { variable: 'POOL_TIMEOUT', key: 'poolTimeoutSeconds', kind: 'seconds', group: 'database', default: 30, max: 3600, runtime: { endpoint: 'pool', field: 'poolTimeoutSeconds' }, description: 'How long a request waits for a connection before 503 (pool_timeout)' },
  { variable: 'POOL_MAX_QUEUE', key: 'maxQueue', kind: 'integer', group: 'database', default: 100, min: 0, max: 100_000, runtime: { endpoint: 'pool', field: 'maxQueue' }, description: 'Requests that may wait; one more is refused at once with 429' },
  { variable: 'STATEMENT_TIMEOUT', key: 'statementTimeoutSeconds', kind: 'seconds', group: 'database', default: 120, max: 86_400, description: "PostgreSQL's statement_timeout for the pool's connections" },
  { variable: 'LEAK_THRESHOLD', key: 'leakThresholdSeconds', kind: 'seconds', group: 'database', default: 30, max: 86_400, runtime: { endpoint: 'leaks', field: 'thresholdSeconds' }, description: 'A connection held longer is reported as leaked' },
  { variable: 'LEAK_RECLAIM', key: 'leakReclaim', kind: 'switch', group: 'database', default: true, runtime: { endpoint: 'leaks', field: 'reclaim' }, description: 'Take leaked connections back (on) or only report them (off)' },
  { variable: 'TRACE_CHECKOUTS', key: 'traceCheckouts', kind: 'switch', group: 'database', default: false, runtime: { endpoint: 'leaks', field: 'traceCheckouts' }, description: 'Record where each connection was taken (a stack per checkout)' },
  { variable: 'HEALTH_WARN_UTILIZATION', key: 'healthWarnUtilization', kind: 'ratio', group: 'database', default: 0.8, description: 'Utilization (active / capacity) from which health says warning' },
  { variable: 'HEALTH_TIMEOUT_WINDOW', key: 'healthTimeoutWindowSeconds', kind: 'seconds', group: 'database', default: 10, max: 3600, description: 'Timeouts and refusals within this window make health say warning' },
  { variable: 'HEALTH_CHECK_INTERVAL', key: 'healthCheckIntervalSeconds', kind: 'seconds', group: 'database', default: 1, min: 0.05, max: 60, description: 'How often the health checker probes the database' },
  { variable: 'RECOVERY_AFTER', key: 'recoverAfterSeconds', kind: 'seconds', group: 'database', default: 10, max: 3600, runtime: { endpoint: 'recovery', field: 'recoverAfterSeconds' }, description: 'Critical this long with no connection moving: recovery runs' },
  { variable: 'LONG_STATEMENT_LIMIT', key: 'longStatementSeconds', kind: 'seconds', group: 'database', default: 30, max: 86_400, runtime: { endpoint: 'recovery', field: 'longStatementSeconds' }, description: 'Statements running longer are cancelled by recovery' },
  { variable: 'BREAKER_FAILURES', key: 'breakerFailures', kind: 'integer', group: 'database', default: 5, min: 1, max: 1000, runtime: { endpoint: 'recovery', field: 'breakerFailures' }, description: 'Consecutive acquire timeouts that open the circuit breaker' },
  { variable: 'BREAKER_HALF_OPEN_AFTER', key: 'breakerHalfOpenAfterSeconds', kind: 'seconds', group: 'database', default: 5, max: 3600, runtime: { endpoint: 'recovery', field: 'breakerHalfOpenAfterSeconds' }, description: 'How long the breaker stays open before it lets one probe through' },
  { variable: 'HOST', key: 'host', kind: 'host', group: 'http', default: '127.0.0.1', wiring: true, description: 'Address to listen on' },
  { variable: 'PORT', key: 'port', kind: 'port', group: 'http', default: 0, min: 0, max: 65_535, wiring: true, description: 'Port to listen on (0: any free port, announced on start)' },
  { variable: 'ADMIN_TOKEN', key: 'adminToken', kind: 'secret', group: 'http', min: 16, secret: true, wiring: true, description: 'Bearer token of the /admin endpoints' },
  { variable: 'LOG_LEVEL', key: 'logLevel', kind: 'log-level', group: 'http', default: 'warn', description: 'What the service logs: fatal, error, warn, info, debug, trace or silent' },
  { variable: 'EXIT_WITH_PARENT', key: 'exitWithParent', kind: 'switch', group: 'process', default: false, wiring: true, description: 'Exit when the parent that spawned the service closes its stdin' },
  { variable: 'FAULT_INJECTION', key: 'faultInjection', kind: 'switch', group: 'backend', default: false, wiring: true, description: 'The deliberately buggy endpoints (never on in production)' },
  { variable: 'AUTH_URL', key: 'authUrl', kind: 'http-url', group: 'backend', optional: true, wiring: true, description: 'The auth service whose keys verify WebSocket tokens; without it /ws is off' },
  { variable: 'TOKEN_TTL', key: 'tokenTtlSeconds', kind: 'integer', group: 'auth', default: 900, min: 10, max: 86_400, description: 'Lifetime of an issued token, in whole seconds' },
] as const satisfies readonly SettingRow[];

export type Setting = (typeof SERVICE_SETTINGS)[number];

interface ValueOfKind {
  integer: number;
  seconds: number;
  ratio: number;
  switch: boolean;
  port: number;
  host: string;
  secret: string;
  'postgres-url': string;
  'http-url': string;
  'log-level': string;
}

type ValueOf<S extends Setting> = S extends { optional: true } ? ValueOfKind[S['kind']] | undefined : ValueOfKind[S['kind']];

/** The typed values of one group, keyed by `key`: DatabaseConfig is SettingValues<'database'>. */
export type SettingValues<G extends SettingGroup> = { [S in Extract<Setting, { group: G }> as S['key']]: ValueOf<S> };

/** The rows a service reads. */
export function settingsOf(service: ServiceName): Setting[] {
  return SERVICE_SETTINGS.filter((row) => GROUPS_OF[service].includes(row.group));
}

/** What a refused value must have been, in the words an operator reads ("an integer from 1 to 1000"). */
export function allowedText(row: SettingRow, at: 'environment' | 'runtime' = 'environment'): string {
  switch (row.kind) {
    case 'integer':
    case 'port':
      return `an integer from ${row.min} to ${row.max}`;
    case 'seconds':
      return row.min !== undefined ? `seconds from ${row.min} to ${row.max}` : `seconds above 0, at most ${row.max} (decimals allowed)`;
    case 'ratio':
      return 'a ratio above 0, at most 1';
    case 'switch':
      return at === 'runtime' ? 'true or false' : '"on" or "off"';
    case 'host':
      return 'a host name or address';
    case 'secret':
      return `a secret of at least ${row.min} characters`;
    case 'postgres-url':
      return 'a postgres:// or postgresql:// URL';
    case 'http-url':
      return 'an http:// or https:// URL';
    case 'log-level':
      return 'one of fatal, error, warn, info, debug, trace, silent';
  }
}

/** A default as it is written in an environment ("on" for true). */
export function defaultText(row: SettingRow): string | undefined {
  if (row.default === undefined) return undefined;
  if (typeof row.default === 'boolean') return row.default ? 'on' : 'off';
  return String(row.default);
}
