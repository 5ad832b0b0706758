import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parsePrometheusText } from '../support/targets/metric-maps';
import { difference, readHistogram, summarize } from './server-histogram';

const exposition = (counts: { a: number[]; b: number[] }, sums: { a: number; b: number }) =>
  ['0.0005', '0.001', '0.005', '+Inf']
    .flatMap((le, i) => [
      `refusal_seconds_bucket{le="${le}",status="429",service="backend"} ${counts.a[i]}`,
      `refusal_seconds_bucket{le="${le}",status="503",service="backend"} ${counts.b[i]}`,
    ])
    .concat([
      `refusal_seconds_sum{status="429",service="backend"} ${sums.a}`,
      `refusal_seconds_count{status="429",service="backend"} ${counts.a[3]}`,
      `refusal_seconds_sum{status="503",service="backend"} ${sums.b}`,
      `refusal_seconds_count{status="503",service="backend"} ${counts.b[3]}`,
    ])
    .join('\n');

const before = parsePrometheusText(exposition({ a: [10, 10, 10, 10], b: [0, 0, 0, 0] }, { a: 0.004, b: 0 }));
// Since `before`: 429 got 900 at ≤ 0.5 ms, 95 in (0.5, 1] ms, 4 in (1, 5] ms, 1 above 5 ms.
const after = parsePrometheusText(exposition({ a: [910, 1005, 1009, 1010], b: [1, 1, 1, 1] }, { a: 0.504, b: 0.0001 }));

test('a label filter picks one series; without it the series are summed', () => {
  assert.deepEqual(readHistogram(after, 'refusal_seconds', { status: '429' })?.cumulative, [910, 1005, 1009, 1010]);
  assert.deepEqual(readHistogram(after, 'refusal_seconds')?.cumulative, [911, 1006, 1010, 1011]);
  assert.equal(readHistogram(after, 'no_such_histogram'), undefined);
});

test('the difference of two reads covers what happened in between; percentiles name their bucket', () => {
  const run = difference(readHistogram(after, 'refusal_seconds', { status: '429' })!, readHistogram(before, 'refusal_seconds', { status: '429' }));
  assert.equal(run.count, 1000);
  const summary = summarize(run, 1);
  assert.equal(summary.meanMs, 0.5);
  assert.equal(summary.shareWithinGoal, 0.995);
  assert.deepEqual(
    summary.percentiles.map((p) => [p.percentile, p.atMostMs]),
    [
      [50, 0.5],
      [99, 1],
      [99.9, null], // the 999th is the one above 5 ms: beyond the highest finite bound
    ],
  );
  // histogram_quantile: the 500th of 900 in (0, 0.5] ms.
  assert.equal(summary.percentiles[0]!.interpolatedMs, 0.278);
  assert.deepEqual(summary.bucketsMs, [
    { le: '0.5', count: 900 },
    { le: '1', count: 95 },
    { le: '5', count: 4 },
    { le: '+Inf', count: 1 },
  ]);
});

test('a goal that is no bucket bound cannot be judged from this histogram', () => {
  assert.throws(() => summarize(readHistogram(after, 'refusal_seconds')!, 2), /not a bucket bound/);
});

test('reads of differently bucketed histograms are not subtracted', () => {
  const other = parsePrometheusText('refusal_seconds_bucket{le="0.1"} 1\nrefusal_seconds_bucket{le="+Inf"} 1\nrefusal_seconds_count 1\nrefusal_seconds_sum 0.01');
  assert.throws(() => difference(readHistogram(after, 'refusal_seconds')!, readHistogram(other, 'refusal_seconds')), /buckets changed/);
});
