import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import WebSocket from 'ws';
import { hashPassword } from '../auth/passwords';
import { ServiceProcess } from '../../testkit/service-process';
import { provisionDatabases, serviceDatabaseUrl, withClient, type ServiceDatabase } from '../db/provision';
import { useTestDatabase } from '../testing/test-database';

/*
 * Passwords and tokens never reach a log: the real auth and backend processes run at the most
 * verbose level (LOG_LEVEL=trace) while every path a secret travels is exercised — login (right
 * and wrong password), bearer headers, `?token=` on HTTP and WebSocket, admin calls with right and
 * wrong admin tokens — and then every byte either process wrote is searched for each secret.
 */

const fixture = useTestDatabase();

const secret = (label: string) => `${label}-${randomBytes(12).toString('hex')}`;
const USER = { email: 'log-hygiene@example.test', password: secret('Distinctive-Password') };
const WRONG_PASSWORD = secret('Wrong-Password');
const ADMIN_TOKEN = secret('admin-token');
const WRONG_ADMIN_TOKEN = secret('guessed-admin-token');
const databases: ServiceDatabase[] = ['auth', 'backend'].map((service) => ({
  service,
  role: `hygiene_${service}`,
  database: `hygiene_${service}`,
  password: secret('db-password'),
  connectionLimit: 10,
}));

let auth: ServiceProcess | undefined;
let backend: ServiceProcess | undefined;

/** A service as the suite spawns it, keeping every line it writes (the search below reads them all). */
function startService(name: string, env: Record<string, string>): Promise<ServiceProcess> {
  return ServiceProcess.start({ name, entry: `services/${name}/main.ts`, env, outputLinesKept: Infinity });
}

/** Everything the service wrote to stdout and stderr. */
const logOf = (service: ServiceProcess): string => service.recentOutput(Infinity);
/** Tokens seen during the exercise, by what they are. */
const tokens = new Map<string, string>();

async function call(base: string, url: string, init: { method?: string; headers?: Record<string, string>; body?: unknown } = {}): Promise<{ status: number; body: any }> {
  const response = await fetch(new URL(url, base), {
    method: init.method ?? 'GET',
    headers: { ...(init.body === undefined ? {} : { 'content-type': 'application/json' }), ...init.headers },
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : undefined };
}

/** Opens /ws and asks for one fast operation; resolves with the answer frame, or the refused upgrade's status. */
function askOverWebSocket(url: string, headers: Record<string, string> = {}): Promise<Record<string, unknown> | number> {
  const socket = new WebSocket(url, { headers });
  return new Promise((resolve, reject) => {
    socket.once('open', () => socket.send(JSON.stringify({ id: 1, op: 'fast' })));
    socket.once('message', (data) => {
      resolve(JSON.parse(String(data)) as Record<string, unknown>);
      socket.close();
    });
    socket.once('unexpected-response', (_request, response) => {
      resolve(response.statusCode ?? 0);
      socket.terminate();
    });
    socket.once('error', reject);
  });
}

describe('passwords and tokens never logged (services at LOG_LEVEL=trace)', () => {
  before(async () => {
    const { adminUrl } = fixture.db;
    await provisionDatabases(adminUrl, databases);
    // A user with a distinctive password, stored as the auth service stores it (scrypt hash only).
    const passwordHash = await hashPassword(USER.password);
    await withClient(serviceDatabaseUrl(adminUrl, databases[0]!), (client) => client.query('INSERT INTO users (email, password_hash) VALUES ($1, $2)', [USER.email, passwordHash]));
    const common = { LOG_LEVEL: 'trace', ADMIN_TOKEN, PORT: '0', HOST: '127.0.0.1', FAULT_INJECTION: 'off' };
    auth = await startService('auth', { ...common, DATABASE_URL: serviceDatabaseUrl(adminUrl, databases[0]!) });
    backend = await startService('backend', {
      ...common,
      DATABASE_URL: serviceDatabaseUrl(adminUrl, databases[1]!),
      AUTH_URL: auth.url,
    });
  });
  after(async () => {
    await backend?.stop();
    await auth?.stop();
  });

  it('exercises every path a password or token travels', async () => {
    const authUrl = auth!.url;
    const backendUrl = backend!.url;
    const wsUrl = `${backendUrl.replace(/^http/, 'ws')}/ws`;
    const adminHeader = { authorization: `Bearer ${ADMIN_TOKEN}` };

    const login = await call(authUrl, '/auth/login', { method: 'POST', body: USER });
    assert.equal(login.status, 200, JSON.stringify(login.body));
    const accessToken = login.body.accessToken as string;
    tokens.set('access token', accessToken);
    assert.equal((await call(authUrl, '/auth/login', { method: 'POST', body: { ...USER, password: WRONG_PASSWORD } })).status, 401);

    // Bearer header, and the token in a query string (which request logging sees as part of the URL).
    assert.equal((await call(authUrl, '/auth/me', { headers: { authorization: `Bearer ${accessToken}` } })).status, 200);
    assert.equal((await call(authUrl, `/auth/me?token=${accessToken}`)).status, 401);
    assert.equal((await call(backendUrl, '/api/work/fast', { headers: { authorization: `Bearer ${accessToken}` } })).status, 200);
    assert.equal((await call(backendUrl, `/api/work/fast?token=${accessToken}`)).status, 200);
    // A plain GET of the WebSocket path is an HTTP request fastify logs (404), token and all.
    assert.equal((await call(backendUrl, `/ws?token=${accessToken}`)).status, 404);

    assert.equal(((await askOverWebSocket(`${wsUrl}?token=${accessToken}`)) as Record<string, unknown>).ok, true);
    assert.equal(((await askOverWebSocket(wsUrl, { authorization: `Bearer ${accessToken}` })) as Record<string, unknown>).ok, true);

    // Admin endpoints: right and wrong admin token, and tokens minted through them.
    for (const base of [authUrl, backendUrl]) {
      assert.equal((await call(base, '/admin/pool', { headers: adminHeader })).status, 200);
      assert.equal((await call(base, '/admin/pool', { headers: { authorization: `Bearer ${WRONG_ADMIN_TOKEN}` } })).status, 403);
      assert.equal((await call(base, `/admin/pool?token=${ADMIN_TOKEN}`)).status, 401);
    }
    const minted = await call(authUrl, '/admin/tokens', { method: 'POST', headers: adminHeader, body: { email: USER.email, ttlSeconds: 60 } });
    assert.equal(minted.status, 200);
    tokens.set('minted token', minted.body.accessToken);
    assert.equal(((await askOverWebSocket(`${wsUrl}?token=${minted.body.accessToken}`)) as Record<string, unknown>).ok, true);
    const expired = await call(authUrl, '/admin/tokens', { method: 'POST', headers: adminHeader, body: { email: USER.email, ttlSeconds: -60 } });
    assert.equal(expired.status, 200);
    tokens.set('expired token', expired.body.accessToken);
    assert.equal(await askOverWebSocket(`${wsUrl}?token=${expired.body.accessToken}`), 401);

    // Stop both: what they write while shutting down counts too.
    await backend!.stop();
    await auth!.stop();
  });

  it('logged the requests at all (so the search below means something)', () => {
    for (const service of [auth!, backend!]) {
      assert.match(logOf(service), /"msg":"incoming request"/, `${service.name} wrote no request log: LOG_LEVEL=trace did not take`);
      assert.match(logOf(service), /"url":"\/admin\/pool/, `${service.name} did not log request URLs`);
    }
  });

  /** Each secret, and for tokens their signature alone (the part that makes a token usable). */
  function secrets(): Array<[string, string]> {
    const found: Array<[string, string]> = [
      ['user password', USER.password],
      ['wrong password', WRONG_PASSWORD],
      ['admin token', ADMIN_TOKEN],
      ['wrong admin token', WRONG_ADMIN_TOKEN],
      ...databases.map((db): [string, string] => [`${db.service} database password`, db.password]),
    ];
    assert.equal(tokens.size, 3, 'the exercise did not get all its tokens');
    for (const [what, token] of tokens) found.push([what, token], [`${what} signature`, token.split('.')[2]!]);
    return found;
  }

  for (const name of ['auth', 'backend']) {
    it(`${name} wrote no password, token or database password to stdout or stderr`, () => {
      const service = name === 'auth' ? auth! : backend!;
      const all = secrets();
      // Each offending line once, naming what it holds, with the secrets themselves blanked out.
      const leaks = logOf(service)
        .split('\n')
        .map((line) => ({ line, held: all.filter(([, value]) => line.includes(value)) }))
        .filter(({ held }) => held.length > 0)
        .map(({ line, held }) => `${held.map(([what]) => what).join(', ')}: ${all.reduce((text, [what, value]) => text.replaceAll(value, `<${what}>`), line).slice(0, 300)}`);
      assert.deepEqual(leaks, [], `${name} logged secrets:\n${leaks.join('\n')}`);
    });
  }
});
