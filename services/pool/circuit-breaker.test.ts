import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PoolCircuitBreaker } from './circuit-breaker';
import { CircuitOpenError, PoolQueueFullError, PoolTimeoutError } from './errors';
import { until } from '../testing/until';

const limits = { poolSize: 1, maxOverflow: 0, poolTimeoutSeconds: 1, maxQueue: 10 };
const timeout = () => Promise.reject(new PoolTimeoutError(limits, 1000));
const connection = () => Promise.resolve('connection');


async function openBreaker(breaker: PoolCircuitBreaker, failures: number): Promise<void> {
  for (let i = 0; i < failures; i++) await assert.rejects(breaker.execute(timeout), PoolTimeoutError);
}

describe('circuit breaker in front of the pool', () => {
  it('opens after the configured consecutive timeouts and then refuses at once with a retry hint', async () => {
    const breaker = new PoolCircuitBreaker({ failures: 3, halfOpenAfterSeconds: 5 });
    await openBreaker(breaker, 2);
    assert.equal(breaker.currentState, 'closed');
    await assert.rejects(breaker.execute(timeout), PoolTimeoutError);
    assert.equal(breaker.currentState, 'open');
    let called = false;
    const started = performance.now();
    const refusal = await breaker.execute(async () => {
      called = true;
      return 'never';
    }).catch((e: unknown) => e);
    assert.ok(refusal instanceof CircuitOpenError, `expected CircuitOpenError, got ${String(refusal)}`);
    assert.equal(called, false, 'an open breaker must not ask the pool');
    assert.ok(performance.now() - started < 50, 'refused at once');
    assert.equal(refusal.retryAfterSeconds, 5);
    assert.equal(breaker.report().rejected, 1);
  });

  it('closes at once when the database is reachable again, but leaves an isolation to run its course', async () => {
    const breaker = new PoolCircuitBreaker({ failures: 1, halfOpenAfterSeconds: 60 });
    await openBreaker(breaker, 1);
    assert.equal(breaker.currentState, 'open');
    breaker.databaseReachableAgain();
    assert.equal(breaker.currentState, 'closed');
    assert.equal(breaker.report().transitions.at(-1)?.why, 'database reachable again (health probe)');
    assert.equal(await breaker.execute(connection), 'connection');
    breaker.isolate(60_000, 'recovery: fail fast');
    breaker.databaseReachableAgain();
    assert.equal(breaker.currentState, 'isolated');
    breaker.close();
  });

  it('does not count a full queue (already a fast refusal) and a success resets the count', async () => {
    const breaker = new PoolCircuitBreaker({ failures: 2, halfOpenAfterSeconds: 5 });
    await assert.rejects(breaker.execute(() => Promise.reject(new PoolQueueFullError(limits))), PoolQueueFullError);
    await assert.rejects(breaker.execute(timeout), PoolTimeoutError);
    assert.equal(await breaker.execute(connection), 'connection');
    await assert.rejects(breaker.execute(timeout), PoolTimeoutError);
    assert.equal(breaker.currentState, 'closed');
  });

  it('lets one probe through when half-open, refuses the rest, re-opens on failure and closes on success', async () => {
    const breaker = new PoolCircuitBreaker({ failures: 1, halfOpenAfterSeconds: 0.1 });
    await openBreaker(breaker, 1);
    await until(() => breaker.report().retryInMs === 0, 2000);
    let failProbe!: (e: Error) => void;
    const probe = breaker.execute(() => new Promise((_resolve, reject) => (failProbe = reject)));
    assert.equal(breaker.currentState, 'half-open');
    await assert.rejects(breaker.execute(connection), (e: unknown) => e instanceof CircuitOpenError && /half-open/.test(e.message));
    failProbe(new PoolTimeoutError(limits, 1000));
    await assert.rejects(probe, PoolTimeoutError);
    assert.equal(breaker.currentState, 'open');
    await until(() => breaker.report().retryInMs === 0, 2000);
    assert.equal(await breaker.execute(connection), 'connection');
    assert.equal(breaker.currentState, 'closed');
    assert.deepEqual(
      breaker.report().transitions.map((t) => `${t.from}->${t.to}: ${t.why}`),
      ['closed->open: 1 consecutive acquire failures', 'open->half-open: open for 0.1s: letting one probe through', 'half-open->open: probe failed', 'open->half-open: open for 0.1s: letting one probe through', 'half-open->closed: probe succeeded'],
    );
  });

  it('is held open by isolate() for a bounded time, and reset() closes it with new settings', async () => {
    const breaker = new PoolCircuitBreaker({ failures: 5, halfOpenAfterSeconds: 5 });
    breaker.isolate(100, 'held open by recovery');
    await assert.rejects(breaker.execute(connection), (e: unknown) => e instanceof CircuitOpenError && /isolated/.test(e.message));
    await until(() => breaker.currentState === 'closed', 2000);
    assert.equal(await breaker.execute(connection), 'connection');
    breaker.isolate(60_000, 'held open by recovery');
    breaker.reset('pool reconfigured', { failures: 1, halfOpenAfterSeconds: 2 });
    assert.equal(breaker.currentState, 'closed');
    assert.deepEqual(breaker.settings, { failures: 1, halfOpenAfterSeconds: 2 });
    await openBreaker(breaker, 1);
    assert.equal(breaker.currentState, 'open');
    breaker.close();
  });
});
