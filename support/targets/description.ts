import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import type { z } from 'zod';
import { TargetDescriptionSchema, type ServiceDescription, type TargetDescription } from './schema';
import { SETTING_VARIABLES, type SettingName } from './settings';
import { templateVariables } from './templates';

export type { TargetDescription, ServiceDescription } from './schema';

/**
 * A target description: one YAML file per system under test (targets/<name>.yaml) that says, for
 * each thing the steps need, how *this* service does it — our own services (targets/ours.yaml)
 * like any other. Read and validated before anything starts: every mistake is reported on a line
 * of its own that names the field and what is allowed.
 */

/** Placeholders the suite fills in, wherever they stand (docs/your-own-service.md, "Placeholders"). */
const RUN_VARIABLES = ['host', 'node', 'python', 'repo', 'targetDir', 'prefix', 'secret', 'env', 'url', 'port', 'databaseUrl', 'adminUrl', 'role', 'database'];
/** Placeholders one call fills in: a hold's length, a token to check, a leak's mode, a WebSocket request's id. */
const CALL_VARIABLES = ['seconds', 'token', 'mode', 'id'];
const SETTING_PLACEHOLDERS = Object.values(SETTING_VARIABLES).flat();
const KNOWN = new Set([...RUN_VARIABLES, ...CALL_VARIABLES, ...SETTING_PLACEHOLDERS]);

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
      if (options) return [`${field}: expected one of ${options.map((v) => JSON.stringify(v)).join(', ')}`];
      // Which of the forms came closest: the problems of the one with the fewest.
      const forms = (issue as { errors?: z.core.$ZodIssue[][] }).errors ?? [];
      const closest = [...forms].sort((a, b) => a.length - b.length)[0];
      return closest && closest.length > 0 ? closest.flatMap((inner) => describeIssue({ ...inner, path: [...issue.path, ...inner.path] })) : [`${field}: ${issue.message}`];
    }
    default:
      return [`${field}: ${issue.message}`];
  }
}

/** Every string of a value, with the field it stands in. */
function stringsOf(value: unknown, at: string): Array<[string, string]> {
  if (typeof value === 'string') return [[at, value]];
  if (Array.isArray(value)) return value.flatMap((item, index) => stringsOf(item, `${at}[${index}]`));
  if (value && typeof value === 'object') return Object.entries(value).flatMap(([key, item]) => stringsOf(item, at ? `${at}.${key}` : key));
  return [];
}

/** The placeholders a service's start command, env and admin requests use. */
function startPlaceholders(service: ServiceDescription): Set<string> {
  const texts = service.start ? [...service.start.command, ...Object.values(service.start.env)] : [];
  if (service.settings.how === 'admin-api') for (const request of Object.values(service.settings.change)) if (request) texts.push(request.path, request.body ?? '');
  return new Set(texts.flatMap((text) => templateVariables(text)));
}

/** What the schema cannot check: placeholders the suite knows, settings that fit how they are set, requests that say what they must. */
function problemsOf(name: string, service: ServiceDescription): string[] {
  const at = `services.${name}`;
  const problems: string[] = [];
  for (const [field, text] of stringsOf(service, at)) {
    for (const variable of templateVariables(text)) if (!KNOWN.has(variable)) problems.push(`${field}: {{${variable}}} is not a placeholder the suite fills in (known: ${[...KNOWN].map((k) => `{{${k}}}`).join(', ')})`);
  }
  if (!service.start && !service.url) problems.push(`${at}: needs start (the suite starts it) or url (it is already running)`);
  if (service.start && service.url) problems.push(`${at}: give start or url, not both`);
  if (service.start && !templateVariables([...service.start.command, ...Object.values(service.start.env)].join(' ')).includes('port')) {
    problems.push(`${at}.start: the command or env must put {{port}} where the service listens`);
  }
  const { settings } = service;
  const used = startPlaceholders(service);
  if (settings.how === 'restart' && !service.start) problems.push(`${at}.settings.how: restart needs start (a command the suite runs)`);
  if (settings.how !== 'fixed') {
    // {{capacity}} alone is one pool size: its overflow is 0, not a value to give.
    const onlyCapacity = (setting: SettingName) => setting === 'maxOverflow' && !used.has('maxOverflow');
    const undefinedButUsed = (Object.entries(SETTING_VARIABLES) as Array<[SettingName, readonly string[]]>).filter(([setting, variables]) => variables.some((v) => used.has(v)) && !onlyCapacity(setting) && settings.startWith[setting as keyof typeof settings.startWith] === undefined);
    for (const [setting, variables] of undefinedButUsed) problems.push(`${at}.settings.startWith.${setting}: missing (${variables.filter((v) => used.has(v)).map((v) => `{{${v}}}`).join(', ')} is used to set it)`);
  }
  if (settings.how === 'restart' && service.start) {
    if (![...SETTING_PLACEHOLDERS].some((v) => used.has(v))) problems.push(`${at}.start: a restart target must put at least one setting ({{poolSize}}, {{capacity}}, {{poolTimeoutSeconds}}, …) into its command or env`);
    if (used.has('capacity') && (used.has('poolSize') || used.has('maxOverflow'))) problems.push(`${at}.start: use {{capacity}} (one pool size) or {{poolSize}} and {{maxOverflow}}, not both`);
    if (!used.has('maxOverflow') && !used.has('capacity') && !settings.lacking.maxOverflow) problems.push(`${at}.settings.lacking.maxOverflow: the start command sets no overflow; say what it is ("part of the pool size")`);
    if (!used.has('poolTimeoutSeconds') && !used.has('poolTimeoutMs') && !settings.lacking.poolTimeout) problems.push(`${at}.settings.lacking.poolTimeout: the start command sets no pool timeout; say what it is ("waits without bound")`);
    if (!used.has('maxQueue') && !settings.lacking.maxQueue) problems.push(`${at}.settings.lacking.maxQueue: the start command sets no queue bound; say what it is ("unbounded")`);
  }
  if (service.hold.via !== 'database-lock' && !templateVariables(`${service.hold.request.path} ${service.hold.request.body ?? ''}`).includes('seconds')) {
    problems.push(`${at}.hold.request: must say for how long, with {{seconds}} in its path or body`);
  }
  if (service.websocket && !templateVariables(service.websocket.request).includes('id')) problems.push(`${at}.websocket.request: must carry the request's id, with {{id}}`);
  if (service.abilities.leakOnCommand && !templateVariables(`${service.abilities.leakOnCommand.request.path} ${service.abilities.leakOnCommand.request.body ?? ''}`).includes('mode')) {
    problems.push(`${at}.abilities.leakOnCommand.request: must say how the connection leaks, with {{mode}} (held or dropped)`);
  }
  if (service.tokens?.secret && service.tokens.algorithm && !service.tokens.algorithm.startsWith('HS')) problems.push(`${at}.tokens.secret: a shared secret signs only HS256/HS384/HS512 tokens, not ${service.tokens.algorithm}`);
  if (service.signIn && !templateVariables(`${service.signIn.check.path} ${JSON.stringify(service.signIn.check.headers)} ${service.signIn.check.body ?? ''}`).includes('token')) {
    problems.push(`${at}.signIn.check: must carry the token, with {{token}} (e.g. headers: { authorization: "Bearer {{token}}" })`);
  }
  if (name === 'auth' && !service.signIn) problems.push(`${at}.signIn: the auth service needs login, token and check`);
  if (service.health && 'field' in service.health && service.health.critical.length === 0) {
    // A health that never says critical is allowed (it is then judged as never saying it); named so it is a choice.
    process.stderr.write(`${at}.health: names no value for critical: checks that the service says critical will be judged not met\n`);
  }
  return problems;
}

/** Reads and validates targets/<name>.yaml (or a path); throws TargetDescriptionError naming every problem. */
export function loadTargetDescription(nameOrPath: string, root = path.resolve(__dirname, '..', '..')): { description: TargetDescription; file: string } {
  const file = nameOrPath.includes('/') || nameOrPath.endsWith('.yaml') ? path.resolve(nameOrPath) : path.join(root, 'targets', `${nameOrPath}.yaml`);
  const shown = path.relative(process.cwd(), file) || file;
  let raw: unknown;
  try {
    // Merge keys (<<: *anchor) let two services share most of an env block.
    raw = parseYaml(readFileSync(file, 'utf8'), { merge: true });
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file (TARGET names a file in targets/ or a path)' : `not valid YAML: ${(error as Error).message.split('\n')[0]}`;
    throw new TargetDescriptionError(shown, [reason]);
  }
  const parsed = TargetDescriptionSchema.safeParse(raw);
  if (!parsed.success) throw new TargetDescriptionError(shown, [...new Set(parsed.error.issues.flatMap(describeIssue))]);
  const problems = Object.entries(parsed.data.services).flatMap(([name, service]) => (service ? problemsOf(name, service) : []));
  if (problems.length > 0) throw new TargetDescriptionError(shown, problems);
  return { description: parsed.data, file };
}
