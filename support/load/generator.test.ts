import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { Progress, type ProgressStream } from './progress';
import { runClosedLoop } from './generator';
import { sustainedWithSpikes } from './profiles';

// A stand-in service on loopback: answers after 20 ms; every 10th request with 503, every 25th with 500.
let server: http.Server;
let baseUrl: string;
let inFlight = 0;
let peakInFlight = 0;
let served = 0;

before(async () => {
  server = http.createServer((_request, response) => {
    inFlight++;
    peakInFlight = Math.max(peakInFlight, inFlight);
    const n = ++served;
    setTimeout(() => {
      inFlight--;
      response.statusCode = n % 25 === 0 ? 500 : n % 10 === 0 ? 503 : 200;
      response.end('{}');
    }, 20);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(() => new Promise<void>((resolve) => server.close(() => resolve())));

describe('closed-loop load generator', () => {
  it('keeps N callers busy per phase, spikes on schedule, and accounts for every request', async () => {
    const profile = sustainedWithSpikes({ capacity: 10, percent: 40, durationMs: 1_500, spikePercent: 80, spikeMs: 400, everyMs: 800, recoveryMs: 300, holdSeconds: 0.02 });
    const quiet: ProgressStream = { isTTY: false, write: () => assert.fail('no progress output without a TTY') };
    const result = await runClosedLoop({ baseUrl, path: '/work' }, profile, { progress: new Progress(quiet) });
    assert.equal(result.totals.sent, served, 'every request the server saw is accounted for');
    assert.equal(result.totals['2xx'] + result.totals['429'] + result.totals['503'] + result.totals.other, result.totals.sent);
    assert.ok(result.totals['503'] > 0 && result.totals.other > 0);
    assert.deepEqual(result.others.map((o) => o.what), ['HTTP 500']);
    assert.equal(peakInFlight, 8, 'closed loop: never more requests in flight than the spike has callers');
    for (const segment of result.segments) {
      assert.ok(Math.abs(segment.achievedConcurrency - segment.targetCallers) <= segment.targetCallers * 0.15, `${segment.name}: ${segment.achievedConcurrency} vs ${segment.targetCallers}`);
      assert.ok(segment.sent > 0, `${segment.name} sent requests`);
    }
    assert.ok(result.totals.latencyMs.p50 >= 20, `p50 ${result.totals.latencyMs.p50} ms`);
  });

  it('sends load to loopback only', async () => {
    const profile = sustainedWithSpikes({ capacity: 10, percent: 40, durationMs: 1_500, spikePercent: 80, spikeMs: 400, everyMs: 800, recoveryMs: 300, holdSeconds: 0.02 });
    await assert.rejects(runClosedLoop({ baseUrl: 'http://192.0.2.1:80', path: '/' }, profile), /load goes to 127\.0\.0\.1 only/);
  });
});
