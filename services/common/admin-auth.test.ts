import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import Fastify, { type FastifyInstance } from 'fastify';
import { requireAdminToken } from './admin-auth';

/*
 * The admin guard on its own: app.test.ts checks the backend's 401/403/200 with a short wrong
 * token; here the cases around it — other schemes, an empty token, and wrong tokens of the same
 * length (the case a plain timingSafeEqual on the raw strings would be asked to compare) or one
 * character longer or shorter (where it would throw, and a throw would be a 500).
 */

const ADMIN_TOKEN = 'test-admin-token-0123456789'; // local test default
let app: FastifyInstance;

before(async () => {
  app = Fastify();
  app.register(async (admin) => {
    admin.addHook('preHandler', requireAdminToken(ADMIN_TOKEN));
    admin.get('/admin/thing', async () => ({ ok: true }));
  });
  await app.ready();
});
after(() => app.close());

const statusWith = async (authorization?: string) =>
  (await app.inject({ url: '/admin/thing', headers: authorization === undefined ? {} : { authorization } })).statusCode;

describe('admin endpoints: 401 without a bearer token, 403 with a wrong one', () => {
  it('admits the admin token (so the refusals below mean something)', async () => {
    assert.equal(await statusWith(`Bearer ${ADMIN_TOKEN}`), 200);
  });

  it('answers 401 with WWW-Authenticate when there is no bearer token', async () => {
    for (const header of [undefined, '', 'Bearer', 'Bearer ', `Basic ${Buffer.from(`admin:${ADMIN_TOKEN}`).toString('base64')}`, ADMIN_TOKEN]) {
      const response = await app.inject({ url: '/admin/thing', headers: header === undefined ? {} : { authorization: header } });
      assert.equal(response.statusCode, 401, `authorization: ${JSON.stringify(header)}`);
      assert.equal(response.headers['www-authenticate'], 'Bearer');
      assert.equal(response.json().type, '/problems/unauthorized');
    }
  });

  it('answers 403 for a wrong token of the same length, one longer, one shorter, and a different case', async () => {
    const lastFlipped = `${ADMIN_TOKEN.slice(0, -1)}${ADMIN_TOKEN.endsWith('9') ? '8' : '9'}`;
    for (const wrong of [lastFlipped, `${ADMIN_TOKEN}0`, ADMIN_TOKEN.slice(0, -1), ADMIN_TOKEN.toUpperCase(), `${ADMIN_TOKEN} `]) {
      const response = await app.inject({ url: '/admin/thing', headers: { authorization: `Bearer ${wrong}` } });
      assert.equal(response.statusCode, 403, `token ${JSON.stringify(wrong)}`);
      assert.equal(response.json().type, '/problems/forbidden');
      assert.doesNotMatch(response.body, new RegExp(ADMIN_TOKEN), 'the refusal repeats the admin token');
    }
  });
});
