import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { Duration } from '../duration';
import { METRIC_MAPS } from './metric-maps';
import { templateVariables } from './templates';

/**
 * A target description: one YAML file per system under test (targets/<name>.yaml) that says, for
 * each thing the steps need, how *this* service does it — so the features run unchanged against a
 * service that has none of the suite's own test endpoints. docs/your-own-service.md explains each
 * field. Validated at start-up: every mistake is reported on a line of its own that names the field
 * and what is allowed.
 */

const DURATION_TEXT = /^\d+(?:\.\d+)? (?:milliseconds?|seconds?|minutes?)$/;

/** A request as the service takes it. Placeholders ({{port}}, {{token}}, {{seconds}}, …) are filled in by the suite. */
const Request = z.strictObject({
  method: z.enum(['GET', 'POST', 'PUT', 'DELETE']).default('GET'),
  path: z.string().startsWith('/', 'a path starting with /, e.g. /api/items'),
  headers: z.record(z.string(), z.string()).default({}),
  body: z.string().optional(),
});

/** What a successful answer looks like (GraphQL answers errors with 200, so the status alone may not say it). */
const Success = z.strictObject({
  status: z.array(z.number().int().min(100).max(599)).default([200]),
  bodyExcludes: z.string().optional(),
});

/** The shape a restart target starts with; a knob it lacks is left out (`lacking` says what it is). */
const Shape = z.strictObject({
  poolSize: z.number().int().min(1),
  maxOverflow: z.number().int().min(0).optional(),
  poolTimeout: z.string().regex(DURATION_TEXT, 'a duration such as "30 seconds"').optional(),
  maxQueue: z.number().int().min(0).optional(),
});

/** What a knob the service does not have really is, so a scenario that needs another value is skipped, naming it. */
const Lacking = z.strictObject({
  maxOverflow: z.literal('part of the pool size').optional(),
  poolTimeout: z.literal('waits without bound').optional(),
  maxQueue: z.literal('unbounded').optional(),
});

const Pool = z.discriminatedUnion('shape', [
  z.strictObject({ shape: z.literal('admin-api') }),
  z.strictObject({ shape: z.literal('restart'), startWith: Shape, lacking: Lacking.default({}) }),
  z.strictObject({
    shape: z.literal('fixed'),
    is: z.strictObject({
      poolSize: z.number().int().min(1),
      maxOverflow: z.union([z.number().int().min(0), z.literal('part of the pool size')]),
      poolTimeout: z.union([z.string().regex(DURATION_TEXT, 'a duration such as "30 seconds"'), z.literal('waits without bound')]),
      maxQueue: z.union([z.number().int().min(0), z.literal('unbounded')]),
    }),
  }),
]);

const Hold = z.discriminatedUnion('via', [
  /** The service's own endpoint that holds a connection for {{seconds}}. */
  z.strictObject({ via: z.literal('endpoint'), request: Request }),
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
  leaksDetected: z.string().optional(),
  /** A histogram: its name without _bucket, _sum and _count. */
  waitSeconds: z.string().optional(),
});

const StateSource = z.discriminatedUnion('via', [
  z.strictObject({ via: z.literal('snapshot') }),
  z.strictObject({
    via: z.literal('prometheus'),
    path: z.string().startsWith('/').default('/metrics'),
    names: z.union([z.enum(Object.keys(METRIC_MAPS) as [string, ...string[]]), MetricMap]),
    /** Label filters a series must carry, e.g. { pool: "HikariPool-1" }. */
    labels: z.record(z.string(), z.string()).default({}),
  }),
  z.strictObject({ via: z.literal('pg_stat_activity') }),
]);

const Health = z.union([
  z.strictObject({
    path: z.string().startsWith('/'),
    field: z.string(),
    healthy: z.array(z.string()).min(1),
    warning: z.array(z.string()).default([]),
    critical: z.array(z.string()).min(1),
  }),
  z.strictObject({ path: z.string().startsWith('/'), byStatus: z.strictObject({ healthy: z.array(z.number().int()), critical: z.array(z.number().int()) }) }),
]);

const Service = z.strictObject({
  /** The suite starts it (and restarts it with another pool shape). */
  start: z
    .strictObject({
      command: z.array(z.string()).min(1),
      env: z.record(z.string(), z.string()).default({}),
      /** A request that answers once the service is ready (any status in `status`). */
      ready: z.strictObject({ request: Request, status: z.array(z.number().int()).default([200]) }),
      readyWithin: z.string().regex(DURATION_TEXT).default('60 seconds'),
    })
    .optional(),
  /** Already running there (then the pool shape is admin-api or fixed). */
  url: z.string().optional(),
  database: z.strictObject({
    /** A role and database of its own the suite creates (with CONNECTION LIMIT), then the setup SQL run as that role. */
    role: z.string().regex(/^[a-z_][a-z0-9_]*$/, 'lower-case letters, digits and _').optional(),
    connectionLimit: z.number().int().min(1).default(60),
    setup: z.array(z.string()).default([]),
    /** How pg_stat_activity names its pool's connections (application_name): the audit and database-side holds count them by it. */
    applicationName: z.string(),
    /** Where an already running service's database is, for the audit and the locks (superuser); started ones use the suite's own. */
    adminUrl: z.string().optional(),
  }),
  pool: Pool,
  /** A request that needs a database connection (one short query). */
  request: Request,
  success: Success.default({ status: [200] }),
  /** A request that fails inside the database (optional). */
  failingRequest: Request.optional(),
  hold: Hold,
  /** Where its pool state comes from, best evidence first. */
  state: z.array(StateSource).min(1),
  health: Health.optional(),
  /** How refusals are written: RFC 9457 problem+json, or anything with a status. */
  refusals: z.enum(['problem+json', 'any']).default('any'),
  /** How to sign in, when the service is the plan's auth service. */
  signIn: z
    .strictObject({
      login: Request,
      token: z.string(),
      check: Request,
    })
    .optional(),
  /**
   * Its WebSocket, when it speaks the suite's frame protocol ({"id","op":"fast"} in, {"id","ok",
   * "error":{"code","status","retryAfterSeconds","message"}} out; docs/operators.md), signed in with
   * a token from the auth service's signIn, in an Authorization header or ?token=.
   */
  websocket: z.strictObject({ path: z.string().startsWith('/'), protocol: z.literal('pool-suite'), token: z.enum(['header', 'query']).default('header') }).optional(),
  /** The suite's own test API (our services): admin pool config, hold endpoint, snapshot, recovery, leaks. */
  testApi: z.boolean().default(false),
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
export type HoldDescription = z.infer<typeof Hold>;
export type StateSourceDescription = z.infer<typeof StateSource>;
export type HealthDescription = z.infer<typeof Health>;
export type MetricNames = z.infer<typeof MetricMap>;

/** A description that cannot be used: every problem, each on its own line naming the field. */
export class TargetDescriptionError extends Error {
  declare readonly file: string;
  declare readonly problems: string[];

  constructor(file: string, problems: string[]) {
    super(`${file}: ${problems.length} problem${problems.length === 1 ? '' : 's'} in the target description:\n${problems.map((p) => `  ${file}: ${p}`).join('\n')}`);
    // What the user must read is the list; a stack trace and a dump of the same fields would bury it.
    Object.defineProperties(this, { file: { value: file }, problems: { value: problems }, stack: { value: this.message } });
  }
}

function fieldOf(pathParts: PropertyKey[]): string {
  return pathParts.length === 0 ? '(top level)' : pathParts.map(String).join('.');
}

/** One line per zod issue, in words: which field, what was wrong, what is allowed. */
function describeIssue(issue: z.core.$ZodIssue): string[] {
  const field = fieldOf(issue.path);
  switch (issue.code) {
    case 'unrecognized_keys':
      return issue.keys.map((key) => `${fieldOf([...issue.path, key])}: not a field here (misspelt?)`);
    case 'invalid_type':
      return [/received undefined/.test(issue.message) ? `${field}: missing (required)` : `${field}: ${issue.message.replace(/^Invalid input: /, '')}`];
    case 'invalid_value':
      return [`${field}: expected one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`];
    case 'invalid_union': {
      const options = (issue as { options?: unknown[] }).options;
      return [options ? `${field}: expected one of ${options.map((v) => JSON.stringify(v)).join(', ')}` : `${field}: ${issue.message}`];
    }
    default:
      return [`${field}: ${issue.message}`];
  }
}

/** Checks what the schema cannot: templates name only variables the suite knows; knobs fit the way the shape is set. */
function semanticProblems(description: TargetDescription): string[] {
  const problems: string[] = [];
  for (const [name, service] of Object.entries(description.services)) {
    if (!service) continue;
    const at = `services.${name}`;
    if (!service.start && !service.url) problems.push(`${at}: needs start (the suite starts it) or url (it is already running)`);
    if (service.start && service.url) problems.push(`${at}: give start or url, not both`);
    if (service.pool.shape === 'restart' && !service.start) problems.push(`${at}.pool.shape: restart needs start (a command the suite runs)`);
    if (service.pool.shape === 'restart' && service.start) {
      const used = new Set([...service.start.command, ...Object.values(service.start.env)].flatMap((text) => templateVariables(text)));
      const knobs = ['poolSize', 'maxOverflow', 'capacity', 'poolTimeoutSeconds', 'poolTimeoutMs', 'maxQueue'].filter((knob) => used.has(knob));
      if (knobs.length === 0) problems.push(`${at}.start: a restart target must put at least one of {{poolSize}}, {{capacity}}, {{maxOverflow}}, {{poolTimeoutSeconds}}, {{poolTimeoutMs}}, {{maxQueue}} into its command or env`);
      if (used.has('capacity') && (used.has('poolSize') || used.has('maxOverflow'))) problems.push(`${at}.start: use {{capacity}} (one pool size) or {{poolSize}} and {{maxOverflow}}, not both`);
      if (!used.has('maxOverflow') && !used.has('capacity') && !service.pool.lacking.maxOverflow) problems.push(`${at}.pool.lacking.maxOverflow: the start command sets no overflow; say what it is ("part of the pool size")`);
      if (!used.has('poolTimeoutSeconds') && !used.has('poolTimeoutMs') && !service.pool.lacking.poolTimeout) problems.push(`${at}.pool.lacking.poolTimeout: the start command sets no pool timeout; say what it is ("waits without bound")`);
      if (!used.has('maxQueue') && !service.pool.lacking.maxQueue) problems.push(`${at}.pool.lacking.maxQueue: the start command sets no queue bound; say what it is ("unbounded")`);
      const start = service.pool.startWith;
      if (used.has('maxOverflow') && start.maxOverflow === undefined) problems.push(`${at}.pool.startWith.maxOverflow: missing ({{maxOverflow}} is in the start command)`);
      if ((used.has('poolTimeoutSeconds') || used.has('poolTimeoutMs')) && start.poolTimeout === undefined) problems.push(`${at}.pool.startWith.poolTimeout: missing (a pool timeout placeholder is in the start command)`);
      if (used.has('maxQueue') && start.maxQueue === undefined) problems.push(`${at}.pool.startWith.maxQueue: missing ({{maxQueue}} is in the start command)`);
    }
    if (service.pool.shape === 'admin-api' && !service.testApi) problems.push(`${at}.pool.shape: admin-api is the suite's own test API (testApi: true); use restart or fixed`);
    if (service.state.some((s) => s.via === 'snapshot') && !service.testApi) problems.push(`${at}.state: snapshot is the suite's own test API (testApi: true); use prometheus or pg_stat_activity`);
    if (service.hold.via === 'database-lock' && !service.database.role && !service.url) problems.push(`${at}.hold: a database lock needs database.role (the suite's own database for it)`);
    if (service.hold.via !== 'database-lock' && !templateVariables(`${service.hold.request.path} ${service.hold.request.body ?? ''}`).includes('seconds')) {
      problems.push(`${at}.hold.request: must say for how long, with {{seconds}} in its path or body`);
    }
    if (service.start) {
      const used = [...service.start.command, ...Object.values(service.start.env)].flatMap((text) => templateVariables(text));
      if (!used.includes('port')) problems.push(`${at}.start: the command or env must put {{port}} where the service listens`);
    }
    if (name === 'auth' && !service.signIn) problems.push(`${at}.signIn: the auth service needs login, token and check`);
  }
  return problems;
}

/** Reads and validates targets/<name>.yaml (or a path); throws TargetDescriptionError naming every problem. */
export function loadTargetDescription(nameOrPath: string, root = path.resolve(__dirname, '..', '..')): { description: TargetDescription; file: string } {
  const file = nameOrPath.includes('/') || nameOrPath.endsWith('.yaml') ? path.resolve(nameOrPath) : path.join(root, 'targets', `${nameOrPath}.yaml`);
  const shown = path.relative(process.cwd(), file) || file;
  let raw: unknown;
  try {
    raw = parseYaml(readFileSync(file, 'utf8'));
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file (TARGET names a file in targets/ or a path)' : `not valid YAML: ${(error as Error).message.split('\n')[0]}`;
    throw new TargetDescriptionError(shown, [reason]);
  }
  const parsed = TargetDescriptionSchema.safeParse(raw);
  if (!parsed.success) throw new TargetDescriptionError(shown, parsed.error.issues.flatMap(describeIssue));
  const problems = semanticProblems(parsed.data);
  if (problems.length > 0) throw new TargetDescriptionError(shown, problems);
  return { description: parsed.data, file };
}

/** A shape field's duration text ("30 seconds") as a Duration. */
export function durationOf(text: string): Duration {
  return Duration.parse(text);
}
