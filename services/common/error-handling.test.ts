import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import Fastify, { type FastifyInstance } from 'fastify';
import { CircuitOpenError, DatabaseConnectionManager, PoolQueueFullError, PoolTimeoutError, databaseConfigFromEnv } from '../pool';
import { registerProblemHandlers } from './error-handling';

// A manager that is never started and never connects: its metrics and live state are all a refusal needs.
const manager = new DatabaseConnectionManager('backend', databaseConfigFromEnv({ DATABASE_URL: 'postgresql://nobody@127.0.0.1:9/none' }));
const limits = manager.pool.currentLimits;
let app: FastifyInstance;

before(async () => {
  app = Fastify();
  registerProblemHandlers(app, manager);
  app.get('/queue-full', async () => Promise.reject(new PoolQueueFullError(limits)));
  app.get('/timed-out', async () => Promise.reject(new PoolTimeoutError(limits, 30_000)));
  app.get('/breaker-open', async () => Promise.reject(new CircuitOpenError('open', 2000)));
  app.get('/slow-refusal', async () => {
    await new Promise((resolve) => setTimeout(resolve, 30));
    throw new PoolQueueFullError(limits);
  });
  app.get('/fine', async () => ({ ok: true }));
  // GET /health answers 503 when it says fail: a report, not a refusal.
  app.get('/health-fail', async (_request, reply) => reply.code(503).type('application/health+json').send({ status: 'fail' }));
  await app.ready();
});
after(async () => {
  await app.close();
  await manager.close();
});

/** The refusal histogram's lines, as `le -> count` per status, plus each status's count and sum. */
async function refusalSeries(): Promise<Record<string, { buckets: Map<string, number>; count: number; sum: number }>> {
  const text = await manager.metrics.prometheusText();
  const series: Record<string, { buckets: Map<string, number>; count: number; sum: number }> = {};
  for (const line of text.split('\n')) {
    const match = /^dbpool_refusal_duration_seconds_(bucket|count|sum)\{([^}]*)\} (\S+)$/.exec(line);
    if (!match) continue;
    const labels = Object.fromEntries([...match[2]!.matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]]));
    const entry = (series[labels.status!] ??= { buckets: new Map(), count: 0, sum: 0 });
    if (match[1] === 'bucket') entry.buckets.set(labels.le!, Number(match[3]));
    else if (match[1] === 'count') entry.count = Number(match[3]);
    else entry.sum = Number(match[3]);
  }
  return series;
}

describe('the service times its own refusals', () => {
  it('observes every 429 and 503, labelled by status, from arrival to the reply sent', async () => {
    const before = await refusalSeries();
    assert.deepEqual(Object.keys(before).sort(), ['429', '503'], 'both series exist from the start');
    const statuses = [];
    for (const url of ['/queue-full', '/queue-full', '/timed-out', '/breaker-open', '/fine', '/health-fail']) statuses.push((await app.inject(url)).statusCode);
    assert.deepEqual(statuses, [429, 429, 503, 503, 200, 503]);
    const after = await refusalSeries();
    assert.equal(after['429']!.count - before['429']!.count, 2);
    assert.equal(after['503']!.count - before['503']!.count, 2, 'neither a 200 nor a health report is a refusal');
    // Fine-grained below 1 ms, cumulative, ending at +Inf = count.
    const les = [...after['429']!.buckets.keys()];
    assert.deepEqual(les.slice(0, 5), ['0.0001', '0.00025', '0.0005', '0.00075', '0.001']);
    assert.equal(les.at(-1), '+Inf');
    assert.equal(after['429']!.buckets.get('+Inf'), after['429']!.count);
  });

  it('counts the time before the refusal too: the duration runs from the request, not from the error', async () => {
    const before = (await refusalSeries())['429']!;
    assert.equal((await app.inject('/slow-refusal')).statusCode, 429);
    const after = (await refusalSeries())['429']!;
    assert.equal(after.count - before.count, 1);
    assert.ok(after.sum - before.sum >= 0.025, `recorded ${after.sum - before.sum} s for a refusal that took 30 ms`);
    assert.equal((after.buckets.get('0.025') ?? 0) - (before.buckets.get('0.025') ?? 0), 0, 'not in a bucket below 25 ms');
  });
});
