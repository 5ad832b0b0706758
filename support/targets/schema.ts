import { z } from 'zod';
import { METRIC_MAPS } from './metric-maps';
import { JSON_FIELD_MAPS } from './json-field-maps';

/**
 * The schema of a target description (targets/<name>.yaml): for each thing the steps need, how
 * *this* service does it. docs/your-own-service.md explains every field with an example; the loader
 * (description.ts) reports each mistake on a line that names the field and what is allowed.
 */

const DURATION_TEXT = /^\d+(?:\.\d+)? (?:milliseconds?|seconds?|minutes?)$/;
const duration = () => z.string().regex(DURATION_TEXT, 'a duration such as "30 seconds" or "500 milliseconds"');
/** A dotted path into a JSON answer: "accessToken", "error.code", "connections.active". */
const fieldPath = () => z.string().regex(/^[A-Za-z_$][\w$-]*(?:\.[\w$-]+)*$/, 'a dotted path into the JSON answer, e.g. error.code');
const statuses = () => z.array(z.number().int().min(100).max(599)).min(1);

/** A request as the service takes it. Placeholders ({{port}}, {{token}}, {{seconds}}, {{secret:admin}}, …) are filled in by the suite. */
export const Request = z.strictObject({
  method: z.enum(['GET', 'POST', 'PUT', 'PATCH', 'DELETE']).default('GET'),
  path: z.string().startsWith('/', 'a path starting with /, e.g. /api/items'),
  headers: z.record(z.string(), z.string()).default({}),
  body: z.string().optional(),
});

/** What a successful answer looks like (GraphQL answers errors with 200, so the status alone may not say it). */
const Success = z.strictObject({
  status: statuses().default([200]),
  bodyExcludes: z.string().optional(),
});

/** The settings a scenario may ask of a service (the pool's shape, and the tuning of its leak detector, recovery and breaker). */
const Settings = z.strictObject({
  poolSize: z.number().int().min(1),
  maxOverflow: z.number().int().min(0).optional(),
  poolTimeout: duration().optional(),
  maxQueue: z.number().int().min(0).optional(),
  leakThreshold: duration().optional(),
  leakReclaim: z.boolean().optional(),
  traceCheckouts: z.boolean().optional(),
  recoverAfter: duration().optional(),
  longStatementLimit: duration().optional(),
  breakerFailures: z.number().int().min(1).optional(),
  breakerHalfOpenAfter: duration().optional(),
});

/** What a pool knob the service does not have really is: a scenario that asks for it runs without it, and the report says so. */
const Lacking = z.strictObject({
  maxOverflow: z.literal('part of the pool size').optional(),
  poolTimeout: z.literal('waits without bound').optional(),
  maxQueue: z.literal('unbounded').optional(),
});

/** How the service is given the settings a scenario asks for. */
const SettingsHow = z.discriminatedUnion('how', [
  /** Changed at run time through its own admin requests, one per group, each body templated with the group's values. */
  z.strictObject({
    how: z.literal('admin-api'),
    startWith: Settings,
    change: z.strictObject({ pool: Request, leaks: Request.optional(), recovery: Request.optional() }),
    success: statuses().default([200]),
  }),
  /** Restarted with the values templated into its start command or env. */
  z.strictObject({ how: z.literal('restart'), startWith: Settings, lacking: Lacking.default({}) }),
  /** Runs with what it has; a scenario that asks for other values is skipped, naming them. */
  z.strictObject({
    how: z.literal('fixed'),
    is: Settings.extend({
      maxOverflow: z.union([z.number().int().min(0), z.literal('part of the pool size')]),
      poolTimeout: z.union([duration(), z.literal('waits without bound')]),
      maxQueue: z.union([z.number().int().min(0), z.literal('unbounded')]),
    }),
  }),
]);

const Hold = z.discriminatedUnion('via', [
  /** The service's own request that holds a connection for {{seconds}}. */
  z.strictObject({ via: z.literal('endpoint'), request: Request, success: Success.optional() }),
  /** The suite takes this lock from its own connection; the described request must wait for it while holding its pool connection. */
  z.strictObject({ via: z.literal('database-lock'), lock: z.string().regex(/^\s*LOCK\b|\bFOR\s+(UPDATE|SHARE)\b/i, 'a LOCK TABLE … statement or a SELECT … FOR UPDATE') }),
  /** A request that runs a sleeping SQL function for {{seconds}}. */
  z.strictObject({ via: z.literal('sql-function'), request: Request, success: Success.optional() }),
]);

const MetricMap = z.strictObject({
  active: z.string().optional(),
  idle: z.string().optional(),
  pending: z.string().optional(),
  max: z.string().optional(),
  open: z.string().optional(),
  utilization: z.string().optional(),
  acquired: z.string().optional(),
  released: z.string().optional(),
  timeouts: z.string().optional(),
  rejected: z.string().optional(),
  errors: z.string().optional(),
  created: z.string().optional(),
  destroyed: z.string().optional(),
  leaksDetected: z.string().optional(),
  recoveryAttempts: z.string().optional(),
  recoverySuccesses: z.string().optional(),
  /** A histogram: its name without _bucket, _sum and _count. */
  waitSeconds: z.string().optional(),
});

/** Where each figure is in a JSON answer about the pool (dotted paths). */
const JsonFieldMap = z.strictObject(
  Object.fromEntries(
    ['active', 'idle', 'waiting', 'open', 'capacity', 'poolSize', 'maxOverflow', 'poolTimeoutSeconds', 'maxQueue', 'utilization', 'acquired', 'released', 'timeouts', 'rejected', 'errors', 'created', 'destroyed', 'leaksDetected', 'leaksReclaimed', 'recoveryAttempts', 'recoverySuccesses', 'waitPercentilesMs', 'health'].map((key) => [key, fieldPath().optional()]),
  ) as Record<string, z.ZodOptional<z.ZodString>>,
);

const StateSource = z.discriminatedUnion('via', [
  /** A JSON answer of the service about its pool, read through a field map. */
  z.strictObject({ via: z.literal('json'), request: Request, fields: z.union([z.enum(Object.keys(JSON_FIELD_MAPS) as [string, ...string[]]), JsonFieldMap]) }),
  z.strictObject({
    via: z.literal('prometheus'),
    path: z.string().startsWith('/').default('/metrics'),
    headers: z.record(z.string(), z.string()).default({}),
    names: z.union([z.enum(Object.keys(METRIC_MAPS) as [string, ...string[]]), MetricMap]),
    /** Label filters a series must carry, e.g. { pool: "HikariPool-1" }. */
    labels: z.record(z.string(), z.string()).default({}),
  }),
  z.strictObject({ via: z.literal('pg_stat_activity') }),
]);

const healthWords = () => z.array(z.string()).default([]);
/** The HTTP status (and content type) each health word must come with: a house rule a service may declare. */
const HealthConvention = z.strictObject({
  httpStatus: z.strictObject({ healthy: z.number().int(), warning: z.number().int(), critical: z.number().int() }).optional(),
  contentType: z.string().optional(),
});
const Health = z.union([
  z.strictObject({
    request: Request.optional(),
    path: z.string().startsWith('/').optional(),
    field: fieldPath(),
    healthy: z.array(z.string()).min(1),
    warning: healthWords(),
    critical: healthWords(),
    convention: HealthConvention.optional(),
  }),
  z.strictObject({
    request: Request.optional(),
    path: z.string().startsWith('/').optional(),
    byStatus: z.strictObject({ healthy: statuses(), warning: z.array(z.number().int()).default([]), critical: z.array(z.number().int()).default([]) }),
  }),
]);

/** What one kind of refusal must look like: its status, and the house rules a service declares for itself. */
const RefusalKind = z.strictObject({
  status: z.union([z.literal(429), z.literal(503)]).optional(),
  /** RFC 9457 `type` this refusal must carry. */
  type: z.string().optional(),
  /** Body fields (dotted paths) and the values they must have; values may name the scenario's settings ({{poolTimeoutSeconds}}, {{maxQueue}}). */
  fields: z.record(z.string(), z.union([z.string(), z.number()])).default({}),
});
const Refusals = z.strictObject({
  /** problem+json: RFC 9457; json: any JSON body with a message; any: only the status and Retry-After are judged. */
  format: z.enum(['problem+json', 'json', 'any']).default('any'),
  /** Where the human message is (problem+json: detail). */
  message: fieldPath().optional(),
  /** A body field with the retry hint in seconds, which must agree with Retry-After. */
  retryAfter: fieldPath().optional(),
  /** Fields every refusal carries (house rule), e.g. [pool.active, pool.waiting]. */
  fields: z.array(fieldPath()).default([]),
  timedOut: RefusalKind.default({ fields: {} }),
  queueFull: RefusalKind.default({ fields: {} }),
  breakerOpen: RefusalKind.default({ fields: {} }),
  /** Refused because the database cannot be reached (or refused the connection). */
  databaseDown: RefusalKind.default({ fields: {} }),
  /** A refusal because the database refused the connection carries PostgreSQL's reason in its message. */
  namesDatabaseCause: z.boolean().default(false),
});

/** How the auth service's tokens are made and checked, so bad ones can be made for it. */
const Tokens = z.strictObject({
  /** The JWT algorithm it signs with (read from a token it gives when not said). */
  algorithm: z.enum(['HS256', 'HS384', 'HS512', 'RS256', 'RS384', 'RS512', 'ES256', 'ES384', 'ES512', 'PS256', 'EdDSA']).optional(),
  /** For HS*: the shared secret (e.g. {{secret:jwt}}, given to the service too), so the suite can sign an expired token. */
  secret: z.string().optional(),
  /** A request to the service that answers a token that has already expired (a service signing with a private key). */
  expired: z.strictObject({ request: Request, token: fieldPath() }).optional(),
  /** How a bad token is refused over HTTP: statuses (default 401 or 403), and (house rule) where the reason is and its words per kind. */
  refusal: z
    .strictObject({
      status: statuses().default([401, 403]),
      headers: z.record(z.string(), z.string()).default({}),
      type: z.string().optional(),
      reason: fieldPath().optional(),
      reasons: z.strictObject({ missing: z.string(), expired: z.string(), forged: z.string(), otherKey: z.string(), unsigned: z.string() }).partial().default({}),
    })
    .default({ status: [401, 403], headers: {}, reasons: {} }),
});

const SignIn = z.strictObject({
  login: Request,
  /** Where the token is in the login's answer. */
  token: fieldPath(),
  /** A request that checks a token ({{token}}). */
  check: Request,
});

/** Where things are in the service's own WebSocket messages. */
const WebSocketAnswer = z.strictObject({
  id: fieldPath(),
  /** A field that is true in a successful answer; without it, an answer without `error` is a success. */
  ok: fieldPath().optional(),
  error: fieldPath(),
  code: fieldPath().optional(),
  status: fieldPath().optional(),
  retryAfter: fieldPath().optional(),
  message: fieldPath().optional(),
});
const WebSocket = z.strictObject({
  path: z.string().startsWith('/'),
  /** How the token goes with the upgrade: an Authorization header, or a query parameter. */
  token: z.union([z.literal('header'), z.strictObject({ query: z.string() })]).default('header'),
  /** A message that needs the database ({{id}} is the request's id). */
  request: z.string(),
  answer: WebSocketAnswer,
  /** The error codes it uses (house rule): a timed-out wait, a full queue. */
  codes: z.strictObject({ timedOut: z.string().optional(), queueFull: z.string().optional() }).default({}),
  /** Fields (dotted paths, relative to the error) every error message carries (house rule). */
  errorFields: z.array(fieldPath()).default([]),
  /** How a bad token is refused: upgrade statuses (RFC 6455: any 4xx), or an accepted socket closed with a code (1008). */
  refusal: z
    .strictObject({
      status: statuses().default([401, 403]),
      closeCodes: z.array(z.number().int()).default([1008]),
      headers: z.record(z.string(), z.string()).default({}),
      type: z.string().optional(),
      /** Where the upgrade refusal's body gives the reason (house rule; its words are the auth service's tokens.refusal.reasons). */
      reason: fieldPath().optional(),
    })
    .default({ status: [401, 403], closeCodes: [1008], headers: {} }),
  /** The suite's own frame protocol beyond one request (ours: bad frames, holds, floods) — feature 09. */
  houseProtocol: z.literal('pool-suite').optional(),
});

const AbilityRequest = z.strictObject({ request: Request });
/** What only some services can do, each declared by the request that does it (the answer's format is the suite's, docs/your-own-service.md). */
const Abilities = z.strictObject({
  /** {{mode}}: held (kept in a transaction) or dropped (handle dropped without release); answers { checkoutId, serverProcessId }. */
  leakOnCommand: AbilityRequest.extend({ availableWhen: z.strictObject({ request: Request, field: fieldPath() }).optional() }).optional(),
  /** Answers the leak detector's report: { settings, held, events }. */
  leakReport: AbilityRequest.optional(),
  /** Forces a garbage collection in the service. */
  collectGarbage: AbilityRequest.optional(),
  /** Answers the recovery record and the circuit breaker: { settings, strategies, attempts, lastPass, lastReset, circuitBreaker }. */
  recoveryReport: AbilityRequest.optional(),
  /** An operator's emergency reset; answers { rejectedWaiters, reclaimedCheckouts, terminatedConnections }. */
  emergencyReset: AbilityRequest.optional(),
  /** Answers the health transitions it keeps: a list of { at, from, to } at `list`. */
  healthHistory: AbilityRequest.extend({ list: fieldPath() }).optional(),
  /** Each answer of `request` carries the pool's arrival and grant numbers of its connection ({ arrival, grant, waitedMs }) at `field`. */
  grantOrder: z.strictObject({ field: fieldPath() }).optional(),
});

const Start = z.strictObject({
  command: z.array(z.string()).min(1),
  /** Where it runs: relative to the description's own folder unless it starts with {{repo}} (or is absolute). Default: the repository. */
  cwd: z.string().optional(),
  env: z.record(z.string(), z.string()).default({}),
  /** A request that answers once the service is ready (any status in `status`). */
  ready: z.strictObject({ request: Request, status: z.array(z.number().int()).default([200]) }),
  readyWithin: duration().default('60 seconds'),
  /** Where its output goes: kept (its last lines are shown when it fails to start), or also written to a file (path). */
  output: z.union([z.literal('keep'), z.strictObject({ file: z.string() })]).default('keep'),
});

const Database = z.strictObject({
  /** The role its pool connects as; the suite creates it (with CONNECTION LIMIT) and a database of the same name. {{prefix}}: the run's DB_PREFIX. */
  role: z.string().regex(/^(?:[a-z_][a-z0-9_]*|\{\{prefix\}\}[a-z0-9_]+)$/, 'lower-case letters, digits and _ (may start with {{prefix}})'),
  /** The database it connects to (default: the role's name, which the suite creates for a service it starts). */
  name: z.string().optional(),
  connectionLimit: z.number().int().min(1).default(60),
  /** SQL files run as that role, in order (relative to the description's folder); {{role}} and {{database}} are filled in. */
  setup: z.array(z.string()).default([]),
  /** How pg_stat_activity names its pool's connections (application_name). */
  applicationName: z.string(),
  /** Where an already running service's database is (a superuser URL), for the audit and the database-side faults. */
  adminUrl: z.string().optional(),
});

export const Service = z.strictObject({
  /** The suite starts it (and restarts it, for a restart target). */
  start: Start.optional(),
  /** Already running there. */
  url: z.string().optional(),
  database: Database,
  settings: SettingsHow,
  /** A request that needs a database connection (one short query). */
  request: Request,
  success: Success.default({ status: [200] }),
  /** A request that fails inside the database. */
  failingRequest: Request.optional(),
  hold: Hold,
  /** Where its pool state comes from, best evidence first. */
  state: z.array(StateSource).min(1),
  health: Health.optional(),
  refusals: Refusals.default({ format: 'any', fields: [], timedOut: { fields: {} }, queueFull: { fields: {} }, breakerOpen: { fields: {} }, databaseDown: { fields: {} }, namesDatabaseCause: false }),
  signIn: SignIn.optional(),
  tokens: Tokens.optional(),
  websocket: WebSocket.optional(),
  abilities: Abilities.default({}),
});

export const TargetDescriptionSchema = z.strictObject({
  name: z.string().regex(/^[a-z0-9-]+$/, 'lower-case letters, digits and -'),
  about: z.string(),
  services: z.strictObject({ backend: Service, auth: Service.optional() }),
});

export type TargetDescription = z.infer<typeof TargetDescriptionSchema>;
export type ServiceDescription = z.infer<typeof Service>;
export type RequestDescription = z.infer<typeof Request>;
export type SuccessDescription = z.infer<typeof Success>;
export type SettingsDescription = z.infer<typeof Settings>;
export type SettingsHowDescription = z.infer<typeof SettingsHow>;
export type HoldDescription = z.infer<typeof Hold>;
export type StateSourceDescription = z.infer<typeof StateSource>;
export type HealthDescription = z.infer<typeof Health>;
export type RefusalsDescription = z.infer<typeof Refusals>;
export type RefusalKindDescription = z.infer<typeof RefusalKind>;
export type TokensDescription = z.infer<typeof Tokens>;
export type WebSocketDescription = z.infer<typeof WebSocket>;
export type AbilitiesDescription = z.infer<typeof Abilities>;
export type MetricNames = z.infer<typeof MetricMap>;
export type JsonFields = z.infer<typeof JsonFieldMap>;
