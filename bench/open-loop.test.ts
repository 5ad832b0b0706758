import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ArrivalSchedule, OpenLoopLedger, runSchedule, type OpenLoopIo } from './open-loop';

/**
 * A fake clock and a fake service: sleep() moves the clock (plus any stall set for that wake-up)
 * and answers every request whose service time has passed, at its own answer time. No real time
 * is measured, so nothing here depends on how busy the machine is.
 */
class FakeWorld implements OpenLoopIo {
  clock = 1_000;
  private wakeUps = 0;
  private readonly answers: Array<{ at: number; status: number; resolve: (status: number) => void; reject: (error: Error) => void; fail: boolean }> = [];
  readonly sentAt: number[] = [];

  constructor(
    private readonly serviceMs: number,
    /** Extra time added to the n-th wake-up: the generator's event loop was busy. */
    private readonly stalls: ReadonlyMap<number, number> = new Map(),
    private readonly failEvery = 0,
  ) {}

  now(): number {
    return this.clock;
  }

  async sleep(ms: number): Promise<void> {
    const until = this.clock + ms + (this.stalls.get(this.wakeUps++) ?? 0);
    await this.answerUntil(until);
    this.clock = until;
  }

  send(): { queuedInClient: boolean; answer: Promise<number> } {
    this.sentAt.push(this.clock);
    const fail = this.failEvery > 0 && this.sentAt.length % this.failEvery === 0;
    const answer = new Promise<number>((resolve, reject) => this.answers.push({ at: this.clock + this.serviceMs, status: 429, resolve, reject, fail }));
    return { queuedInClient: false, answer };
  }

  /** Answers what is due by `until`, each at its own time; then the rest (the run's end). */
  async answerUntil(until = Number.POSITIVE_INFINITY): Promise<void> {
    this.answers.sort((a, b) => a.at - b.at);
    while (this.answers.length > 0 && this.answers[0]!.at <= until) {
      const next = this.answers.shift()!;
      this.clock = Math.max(this.clock, next.at);
      if (next.fail) next.reject(Object.assign(new Error('reset'), { code: 'ECONNRESET' }));
      else next.resolve(next.status);
      await new Promise((resolve) => setImmediate(resolve));
    }
  }
}

/** HdrHistogram keeps 3 significant digits: a percentile is exact to 0.1%. */
function assertNear(actual: number, expected: number, message?: string): void {
  assert.ok(Math.abs(actual - expected) <= expected * 0.001, `${actual} is not ${expected} (to HdrHistogram's 0.1%)${message ? `: ${message}` : ''}`);
}

async function run(world: FakeWorld, schedule: ArrivalSchedule, lateThresholdMs = 1) {
  const ledger = new OpenLoopLedger(schedule.total, lateThresholdMs);
  const done = runSchedule(schedule, ledger, world);
  // The last sends' answers come after the last wake-up: answer them once everything was sent.
  while (schedule.taken < schedule.total) await new Promise((resolve) => setImmediate(resolve));
  await world.answerUntil();
  await done;
  return ledger.figures();
}

describe('ArrivalSchedule: send times fixed in advance', () => {
  test('request i is due at i / rate, each taken once and in order', () => {
    const schedule = new ArrivalSchedule(1000, 0.01);
    assert.equal(schedule.total, 10);
    assert.deepEqual(schedule.takeDue(3.5).map((s) => [s.index, s.intendedMs]), [[0, 0], [1, 1], [2, 2], [3, 3]]);
    assert.deepEqual(schedule.takeDue(3.5), [], 'nothing is taken twice');
    assert.equal(schedule.msUntilNext(3.5), 0.5);
    assert.deepEqual(schedule.takeDue(1_000).map((s) => s.index), [4, 5, 6, 7, 8, 9]);
    assert.equal(schedule.msUntilNext(1_000), undefined, 'all taken');
  });

  test('the intended times do not depend on when they are taken', () => {
    const late = new ArrivalSchedule(250, 1);
    const early = new ArrivalSchedule(250, 1);
    const takenLate = late.takeDue(2_000);
    const takenStepwise = Array.from({ length: 1_000 }, (_, ms) => early.takeDue(ms)).flat();
    assert.deepEqual(takenLate, takenStepwise);
    assert.equal(takenLate[249]!.intendedMs, 996);
  });

  test('a rate or duration that is not positive is refused', () => {
    assert.throws(() => new ArrivalSchedule(0, 1), /positive rate and duration/);
    assert.throws(() => new ArrivalSchedule(10, -1), /positive rate and duration/);
  });
});

describe('runSchedule: latency from the intended send time, lateness accounted', () => {
  test('on time: every request is sent at its intended time and timed from it', async () => {
    const world = new FakeWorld(0.4);
    const figures = await run(world, new ArrivalSchedule(1000, 0.05));
    assert.equal(figures.scheduled, 50);
    assert.equal(figures.sent, 50);
    assert.equal(figures.answered, 50);
    assert.deepEqual(figures.byStatus, { 429: 50 });
    assert.deepEqual(world.sentAt, Array.from({ length: 50 }, (_, i) => 1_000 + i));
    assert.equal(figures.lateSends, 0);
    assert.equal(figures.sendLag.maxMs, 0.001, 'lag 0 (the histogram records at least 1 µs)');
    assert.equal(figures.latency.p50Ms, 0.4);
    assert.equal(figures.latency.maxMs, 0.4);
  });

  test('a stall of the generator: the backlog goes out at once, late, and its delay is in the latency', async () => {
    // The 10th wake-up comes 30 ms late: the sends due in those 30 ms leave together when it ends.
    const world = new FakeWorld(0.4, new Map([[10, 30]]));
    const figures = await run(world, new ArrivalSchedule(1000, 0.1));
    assert.equal(figures.sent, 100);
    assert.equal(figures.answered, 100);
    // Sends due at 10 ms … 40 ms went out at 40 ms: lags 30 … 0 ms, of which 29 exceed 1 ms.
    assert.equal(figures.lateSends, 29);
    assertNear(figures.sendLag.maxMs, 30);
    assertNear(figures.latency.maxMs, 30.4, 'the request due first in the stall waited 30 ms plus its service time');
    // Timed from the actual send, the stall disappears: that is coordinated omission.
    assert.equal(figures.latencyFromActualSend.maxMs, 0.4);
  });

  test('the late threshold decides what counts as late', async () => {
    const figures = await run(new FakeWorld(0.4, new Map([[10, 30]])), new ArrivalSchedule(1000, 0.1), 10);
    assert.equal(figures.lateSends, 20, 'lags 30 … 11 ms exceed 10 ms');
    assert.equal(figures.lateThresholdMs, 10);
  });

  test('a request with no answer is counted apart, by reason, and every scheduled request ends once', async () => {
    const figures = await run(new FakeWorld(0.4, new Map(), 10), new ArrivalSchedule(1000, 0.05));
    assert.equal(figures.unanswered, 5);
    assert.deepEqual(figures.errors, { ECONNRESET: 5 });
    assert.equal(figures.answered + figures.unanswered, figures.sent);
    assert.equal(figures.latency.count, 45, 'no latency is recorded for an unanswered request');
  });

  test('answers slower than the send interval do not slow the sends (open loop)', async () => {
    const world = new FakeWorld(25);
    const figures = await run(world, new ArrivalSchedule(1000, 0.05));
    assert.deepEqual(world.sentAt, Array.from({ length: 50 }, (_, i) => 1_000 + i));
    assert.equal(figures.lateSends, 0);
    assertNear(figures.latency.p50Ms, 25);
  });
});
