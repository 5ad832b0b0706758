import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { parse, stringify } from 'yaml';
import { TargetDescriptionError, loadTargetDescription } from './description';

/*
 * A target description with a mistake is refused before anything starts, with every problem on a
 * line of its own that names the field and what is allowed.
 */
const dir = mkdtempSync(path.join(os.tmpdir(), 'pool-suite-target-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const ROOT = path.resolve(__dirname, '..', '..');
const valid = parse(require('node:fs').readFileSync(path.join(ROOT, 'targets', 'postgraphile.yaml'), 'utf8')) as Record<string, any>;

/** The PostGraphile file with one change, written to a temp file; answers the problems it is refused with. */
function problemsOf(change: (description: Record<string, any>) => void): string[] {
  const description = structuredClone(valid);
  change(description);
  const file = path.join(dir, `t${Math.random().toString(36).slice(2)}.yaml`);
  writeFileSync(file, stringify(description));
  try {
    loadTargetDescription(file, ROOT);
  } catch (error) {
    assert.ok(error instanceof TargetDescriptionError, String(error));
    for (const line of error.message.split('\n').slice(1)) assert.match(line, /^ {2}\S+\.yaml: /, 'each problem on its own line, naming the file');
    return error.problems;
  }
  return [];
}

describe('target descriptions', () => {
  it('reads the shipped files', () => {
    for (const name of ['ours', 'postgraphile', 'ours-by-database']) assert.equal(loadTargetDescription(name, ROOT).description.name, name);
  });

  it('names a missing field', () => {
    assert.deepEqual(problemsOf((d) => delete d.services.backend.request), ['services.backend.request: missing (required)']);
  });

  it('names a misspelt field', () => {
    assert.deepEqual(problemsOf((d) => { d.services.backend.requets = d.services.backend.request; }), ['services.backend.requets: not a field here (misspelt?)']);
  });

  it('names a wrongly typed field and what it must be', () => {
    assert.deepEqual(problemsOf((d) => { d.services.backend.database.connectionLimit = 'sixty'; }), ['services.backend.database.connectionLimit: expected number, received string']);
    assert.deepEqual(problemsOf((d) => { d.services.backend.hold.via = 'lok'; }), ['services.backend.hold.via: expected one of "endpoint", "database-lock", "sql-function"']);
    assert.deepEqual(problemsOf((d) => { d.services.backend.settings.startWith.poolTimeout = 'soon'; }), ['services.backend.settings.startWith.poolTimeout: a duration such as "30 seconds" or "500 milliseconds"']);
  });

  it('reports every problem at once', () => {
    const problems = problemsOf((d) => {
      delete d.services.backend.request;
      d.services.backend.hold.via = 'lok';
      d.name = 'Post Graphile';
    });
    assert.equal(problems.length, 3, problems.join('\n'));
  });

  it('refuses a restart target that cannot be given a knob it says nothing about', () => {
    const problems = problemsOf((d) => { delete d.services.backend.settings.lacking; });
    assert.deepEqual(problems, ['services.backend.settings.lacking.maxQueue: the start command sets no queue bound; say what it is ("unbounded")']);
  });

  it('refuses a hold request that does not say for how long, and a start without a port', () => {
    assert.match(problemsOf((d) => { d.services.backend.hold.request.body = '{"query":"mutation { sleep(input: {seconds: 1}) { boolean } }"}'; })[0]!, /hold.request: must say for how long, with \{\{seconds\}\}/);
    assert.match(problemsOf((d) => { d.services.backend.start.command = d.services.backend.start.command.map((part: string) => part.replace('{{port}}', '5000')); })[0]!, /start: the command or env must put \{\{port\}\}/);
  });

  it('names a placeholder the suite does not fill in, with the ones it knows', () => {
    assert.match(problemsOf((d) => { d.services.backend.request.path = '/graphql?x={{porrt}}'; })[0]!, /^services\.backend\.request\.path: \{\{porrt\}\} is not a placeholder the suite fills in \(known: .*\{\{port\}\}/);
  });

  it('refuses a setting a start command uses that startWith does not give', () => {
    assert.deepEqual(problemsOf((d) => { d.services.backend.start.command.push('--timeout={{recoverAfterSeconds}}'); }), ['services.backend.settings.startWith.recoverAfter: missing ({{recoverAfterSeconds}} is used to set it)']);
  });

  it('refuses a WebSocket request without its id, a sign-in check without the token, and a secret for an asymmetric algorithm', () => {
    const problems = problemsOf((d) => {
      d.services.backend.websocket = { path: '/ws', request: '{"op":"read"}', answer: { id: 'id', error: 'error' } };
      d.services.backend.signIn = { login: { method: 'POST', path: '/login' }, token: 'access_token', check: { path: '/me' } };
      d.services.backend.tokens = { algorithm: 'RS256', secret: 'x' };
    });
    assert.deepEqual(problems, [
      'services.backend.websocket.request: must carry the request\'s id, with {{id}}',
      'services.backend.tokens.secret: a shared secret signs only HS256/HS384/HS512 tokens, not RS256',
      'services.backend.signIn.check: must carry the token, with {{token}} (e.g. headers: { authorization: "Bearer {{token}}" })',
    ]);
  });

  it('names a file that is not there, and one that is not YAML', () => {
    assert.throws(() => loadTargetDescription('no-such-target', ROOT), /targets\/no-such-target.yaml: 1 problem.*\n.*no such file/);
    const broken = path.join(dir, 'broken.yaml');
    writeFileSync(broken, 'services: [unclosed');
    assert.throws(() => loadTargetDescription(broken, ROOT), /not valid YAML/);
  });
});
