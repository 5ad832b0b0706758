import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { SignJWT, decodeJwt, generateKeyPair } from 'jose';
import { DatabaseConnectionManager } from '../pool';
import { TestDatabase } from '../testing/test-database';
import { buildAuthApp } from './app';
import { hashPassword, verifyPassword } from './passwords';
import { TokenIssuer } from './tokens';

const ADMIN_TOKEN = 'test-admin-token-0123456789'; // local test default
const USER = { email: 'qa@example.test', password: 'local-test-password' }; // created by the auth migration
let db: TestDatabase;
let manager: DatabaseConnectionManager;
let issuer: TokenIssuer;
let app: FastifyInstance;

before(async () => {
  db = await TestDatabase.start('auth');
  manager = new DatabaseConnectionManager('auth', db.config({ poolSize: 1, maxOverflow: 0, poolTimeoutSeconds: 0.5, maxQueue: 1 }));
  await manager.start();
  issuer = await TokenIssuer.create(60);
  app = buildAuthApp({ http: { host: '127.0.0.1', port: 0, adminToken: ADMIN_TOKEN, logLevel: 'warn' }, database: db.config(), tokenTtlSeconds: 60 }, manager, issuer);
});
after(async () => {
  await app.close();
  await manager.close();
  await db.stop();
});

const login = (payload: unknown) => app.inject({ method: 'POST', url: '/auth/login', payload: payload as Record<string, unknown> });
const me = (token: string) => app.inject({ url: '/auth/me', headers: { authorization: `Bearer ${token}` } });

describe('passwords', () => {
  it('hashes with scrypt and verifies only the right password', async () => {
    const hash = await hashPassword('secret-one');
    assert.match(hash, /^scrypt\$16384\$8\$1\$/);
    assert.equal(await verifyPassword('secret-one', hash), true);
    assert.equal(await verifyPassword('secret-two', hash), false);
    assert.equal(await verifyPassword('secret-one', 'not-a-hash'), false);
  });
});

describe('auth login', () => {
  it('gives a short-lived EdDSA token for the right password', async () => {
    const response = await login(USER);
    assert.equal(response.statusCode, 200);
    const body = response.json();
    assert.equal(body.tokenType, 'Bearer');
    assert.equal(body.expiresIn, 60);
    const claims = decodeJwt(body.accessToken);
    assert.equal(claims.email, USER.email);
    assert.equal((claims.exp ?? 0) - (claims.iat ?? 0), 60);
    assert.equal((await me(body.accessToken)).json().email, USER.email);
  });

  it('answers a wrong password and an unknown user with the same 401 problem', async () => {
    const wrong = await login({ ...USER, password: 'wrong' });
    const unknown = await login({ email: 'nobody@example.test', password: 'wrong' });
    assert.equal(wrong.statusCode, 401);
    assert.match(wrong.headers['content-type'] as string, /^application\/problem\+json/);
    assert.deepEqual(wrong.json(), unknown.json());
    assert.equal(wrong.json().type, '/problems/invalid-credentials');
  });

  it('refuses malformed JSON and missing fields with 400', async () => {
    const malformed = await app.inject({ method: 'POST', url: '/auth/login', headers: { 'content-type': 'application/json' }, payload: '{"email":' });
    assert.equal(malformed.statusCode, 400);
    assert.equal(malformed.json().type, '/problems/bad-request');
    const missing = await login({ email: USER.email });
    assert.equal(missing.statusCode, 400);
    assert.match(missing.json().detail, /password/);
  });

  it('answers pool pressure with 429 (queue full) and 503 (timed out), never a 500', async () => {
    // Pool of one, queue of one: with the only connection held, one login waits and times out, the next is refused at once.
    const held = await manager.pool.acquire();
    try {
      const waiting = login(USER);
      while (manager.pool.waitingCount < 1) await new Promise((resolve) => setImmediate(resolve));
      const refused = await login(USER);
      assert.equal(refused.statusCode, 429);
      assert.equal(refused.headers['retry-after'], '1');
      assert.equal(refused.json().type, '/problems/pool-queue-full');
      assert.equal(refused.json().pool.maxQueue, 1);
      const timedOut = await waiting;
      assert.equal(timedOut.statusCode, 503);
      assert.equal(timedOut.json().type, '/problems/pool-timeout');
      assert.equal(timedOut.json().pool.poolTimeoutSeconds, 0.5);
    } finally {
      held.release();
    }
    assert.equal((await login(USER)).statusCode, 200);
  });
});

describe('auth token verification', () => {
  const reasonOf = async (token: string) => {
    const response = await me(token);
    assert.equal(response.statusCode, 401);
    assert.equal(response.headers['www-authenticate'], 'Bearer');
    return response.json().detail as string;
  };

  it('refuses a missing token', async () => {
    const response = await app.inject({ url: '/auth/me' });
    assert.equal(response.statusCode, 401);
    assert.match(response.json().detail, /no token was given/);
  });

  it('refuses an expired token', async () => {
    const { token } = await issuer.issue('1', USER.email, -5);
    assert.match(await reasonOf(token), /the token has expired/);
  });

  it('refuses a forged payload under a valid signature', async () => {
    const { token } = await issuer.issue('1', USER.email);
    const [header, , signature] = token.split('.');
    const forged = Buffer.from(JSON.stringify({ ...decodeJwt(token), sub: '2' })).toString('base64url');
    assert.match(await reasonOf(`${header}.${forged}.${signature}`), /signature is not valid/);
  });

  it('refuses a token signed by another key, and other algorithms (none, HS256)', async () => {
    const { token } = await issuer.issue('1', USER.email);
    const claims = decodeJwt(token);
    const { privateKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519' });
    const kid = issuer.jwks().keys[0]!.kid!;
    const otherKey = await new SignJWT(claims).setProtectedHeader({ alg: 'EdDSA', kid }).sign(privateKey);
    assert.match(await reasonOf(otherKey), /signature is not valid/);
    const none = `${Buffer.from('{"alg":"none"}').toString('base64url')}.${token.split('.')[1]}.`;
    assert.match(await reasonOf(none), /not signed with EdDSA/);
    // The classic confusion: HMAC keyed with the public key.
    const hs256 = await new SignJWT(claims).setProtectedHeader({ alg: 'HS256', kid }).sign(new TextEncoder().encode(JSON.stringify(issuer.jwks().keys[0])));
    assert.match(await reasonOf(hs256), /not signed with EdDSA/);
  });

  it('publishes only the public key', async () => {
    const { keys } = (await app.inject('/auth/jwks')).json();
    assert.equal(keys.length, 1);
    assert.equal(keys[0].alg, 'EdDSA');
    assert.equal(keys[0].d, undefined);
  });

  it('mints tokens through the admin API only with the admin token', async () => {
    const refused = await app.inject({ method: 'POST', url: '/admin/tokens', payload: { email: USER.email, ttlSeconds: 30 } });
    assert.equal(refused.statusCode, 401);
    const minted = await app.inject({ method: 'POST', url: '/admin/tokens', headers: { authorization: `Bearer ${ADMIN_TOKEN}` }, payload: { email: USER.email, ttlSeconds: 30 } });
    assert.equal(minted.statusCode, 200);
    assert.equal((await me(minted.json().accessToken)).statusCode, 200);
  });

  it('serves the same health, metrics and admin endpoints as the backend', async () => {
    assert.match((await app.inject('/health')).headers['content-type'] as string, /^application\/health\+json/);
    assert.match((await app.inject('/metrics')).body, /^dbpool_utilization_ratio\{service="auth"\} /m);
    assert.equal((await app.inject({ url: '/admin/pool', headers: { authorization: `Bearer ${ADMIN_TOKEN}` } })).json().service, 'auth');
  });
});
