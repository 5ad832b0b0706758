import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import Fastify, { type FastifyInstance } from 'fastify';
import { CircuitOpenError, PoolQueueFullError, PoolTimeoutError } from '../pool';
import { problemFor, sendProblem } from './problem';

const NO_POOL = () => ({ active: 0, idle: 0, waiting: 0, capacity: 1, utilization: 0, health: 'healthy' });
let app: FastifyInstance;

// A bare app with the services' error mapping and one JSON endpoint: no database needed.
before(async () => {
  app = Fastify({ bodyLimit: 1024 });
  app.setErrorHandler((error, _request, reply) => sendProblem(reply, problemFor(error, NO_POOL)));
  app.put('/json', async (request) => ({ received: request.body }));
  await app.ready();
});
after(() => app.close());

describe('problems for pool pressure', () => {
  // The limits in force when the request asked; the pool's live state says nothing of them.
  const asked = { poolSize: 5, maxOverflow: 3, poolTimeoutSeconds: 0.8, maxQueue: 7 };

  it('gives a timed-out wait the limits it waited under as fields, beside the detail that says them', () => {
    const problem = problemFor(new PoolTimeoutError(asked, 800), NO_POOL);
    assert.equal(problem.status, 503);
    assert.equal(problem.detail, 'Pool limit of size 5 overflow 3 reached, connection timed out, timeout 0.80. Please retry after 1 second(s).');
    assert.deepEqual(problem.pool, { ...NO_POOL(), poolTimeoutSeconds: 0.8, maxQueue: 7 });
  });

  it('gives a full queue the limits it was refused under as fields, beside the detail that says them', () => {
    const problem = problemFor(new PoolQueueFullError(asked), NO_POOL);
    assert.equal(problem.status, 429);
    assert.equal(problem.detail, 'Pool limit of size 5 overflow 3 reached, queue full: 7 requests already waiting, request refused. Please retry after 1 second(s).');
    assert.deepEqual(problem.pool, { ...NO_POOL(), poolTimeoutSeconds: 0.8, maxQueue: 7 });
  });

  it('adds no limits to a refusal whose error carries none', () => {
    assert.deepEqual(problemFor(new CircuitOpenError('open', 2000), NO_POOL).pool, NO_POOL());
  });
});

describe('problems for requests the framework refuses', () => {
  const put = (payload: string, contentType: string) => app.inject({ method: 'PUT', url: '/json', headers: { 'content-type': contentType }, payload });

  it('names the unsupported media type and says what to send instead (415)', async () => {
    const response = await put('poolSize=5', 'application/x-www-form-urlencoded');
    assert.equal(response.statusCode, 415);
    assert.match(response.headers['content-type'] as string, /^application\/problem\+json/);
    assert.equal(response.json().detail, 'Unsupported Media Type: send the body as application/json');
  });

  for (const [what, payload] of [
    ['broken JSON', '{"poolSize": '],
    ['a __proto__ key', '{"poolSize": 5, "__proto__": {"isAdmin": true}}'],
    ['a constructor.prototype key', '{"constructor": {"prototype": {"isAdmin": true}}}'],
  ] as const) {
    it(`refuses ${what} with 400, saying a prototype key counts as invalid`, async () => {
      const response = await put(payload, 'application/json');
      assert.equal(response.statusCode, 400);
      assert.match(response.json().detail, /^Body is not valid JSON.*: send one JSON value, without __proto__ or constructor\.prototype keys$/);
    });
  }

  it('keeps the framework message where it already says enough (413)', async () => {
    const response = await put(JSON.stringify({ note: 'x'.repeat(2048) }), 'application/json');
    assert.equal(response.statusCode, 413);
    assert.equal(response.json().detail, 'Request body is too large');
  });
});
