import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { RoundFigures } from '../tasks/operation-rounds';
import { expectSameBackends } from './leak';

/** A round whose failing operations ran between these server connections (pids) and counts. */
const round = (pidsBefore: number[], pidsAfter: number[], counted: { destroyed?: number; created?: number } = {}) =>
  ({ round: 1, failures: { pidsBefore, pidsAfter, created: counted.created, destroyed: counted.destroyed, connectionErrors: undefined } }) as unknown as RoundFigures;

describe('the same server connections through the failures (test case 4)', () => {
  it('met when every connection open before the failures is still open after them', () => {
    assert.deepEqual(expectSameBackends(round([101, 102], [101, 102])), { kept: 2, opened: 0, closed: undefined });
  });

  it('not met when a connection was closed and another opened in its place: the totals still add up', () => {
    assert.throws(() => expectSameBackends(round([101, 102], [101, 103])), /server connections gone while only failing operations ran/);
  });

  it('not met when the pool says it closed one, though PostgreSQL shows the same number', () => {
    assert.throws(() => expectSameBackends(round([101, 102], [101, 102], { destroyed: 1 })), /connections the pool closed/);
  });

  it('not met, never passed on nothing, when no connection was open to keep', () => {
    assert.throws(() => expectSameBackends(round([], [104, 105])), /server connections open before the failing operations/);
  });
});
