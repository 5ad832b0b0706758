import assert from 'node:assert/strict';
import { test } from 'node:test';
import { prescribedSeconds, statedDurations } from './prescribed-waiting';

test('durations are classified by the word before them', () => {
  assert.deepEqual(statedDurations('8 operations each hold a connection for 4 seconds'), [{ seconds: 4, kind: 'activity' }]);
  assert.deepEqual(statedDurations('the pool times out after 1.5 seconds'), [{ seconds: 1.5, kind: 'timeout' }]);
  assert.deepEqual(statedDurations('it recovers within 30 seconds'), [{ seconds: 30, kind: 'deadline' }]);
  assert.deepEqual(statedDurations('spikes every 20 seconds'), [{ seconds: 20, kind: 'period' }]);
  assert.deepEqual(statedDurations('10-second bursts for 2 minutes'), [
    { seconds: 10, kind: 'activity' },
    { seconds: 120, kind: 'activity' },
  ]);
  assert.deepEqual(statedDurations('a wait of 500 milliseconds'), [{ seconds: 0.5, kind: 'activity' }]);
  // Phrasings of the plan's features.
  assert.deepEqual(statedDurations("the backend heals itself within the plan's 60 seconds, and the recovery time is reported"), [{ seconds: 60, kind: 'deadline' }]);
  assert.deepEqual(statedDurations('a connection held longer than 1 second as leaked'), [{ seconds: 1, kind: 'threshold' }]);
  assert.deepEqual(statedDurations('pool size 1, max overflow 0 and a pool timeout of 1 second'), [{ seconds: 1, kind: 'timeout' }]);
  assert.deepEqual(statedDurations('refused with 503 at the 5 seconds pool timeout, not earlier and at most 1.5 seconds later'), [
    { seconds: 5, kind: 'timeout' },
    { seconds: 1.5, kind: 'threshold' },
  ]);
});

test('background holds overlap: the longest counts, timeouts and deadlines do not', () => {
  const steps = ['the pool times out after 30 seconds', '8 operations each hold a connection for 3 seconds', 'the request succeeds within 10 seconds'];
  assert.equal(prescribedSeconds(steps), 3);
});

test('load phases add up, each counting its longest duration once, and scale in the quick profile', () => {
  const steps = ['callers keep 80% of the pool busy for 2 minutes, spiking to 120% for 10 seconds every 40 seconds', 'a normal load for 30 seconds'];
  assert.equal(prescribedSeconds(steps), 150);
  assert.equal(prescribedSeconds(steps, 0.1), 15);
});

test('a scenario with nothing timed but a timeout waits for the timeout', () => {
  assert.equal(prescribedSeconds(['the pool times out after 2 seconds', 'one request waits for a connection']), 2);
  assert.equal(prescribedSeconds(['the backend answers']), 0);
});
