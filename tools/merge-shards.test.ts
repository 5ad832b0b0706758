/**
 * tools/merge-shards.ts: a sharded run is one run only when every scenario ran in exactly one shard.
 * (The whole merge, dry run and Allure copy included, is proved by hand in docs/qa-guide.md's
 * figures: a real run in shards beside a serial one.)
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkShards, scenariosOfReport } from './merge-shards';

const element = (name: string, line: number, ...statuses: string[]) => ({ type: 'scenario', name, line, steps: statuses.map((status) => ({ result: { status } })) });
const feature = (uri: string, ...elements: ReturnType<typeof element>[]) => ({ uri, name: uri, elements });

describe('merging the shards of a run', () => {
  it('knows each scenario (each Examples row) by its file and line, with its verdict', () => {
    const runs = scenariosOfReport([feature('features/a.feature', element('one', 5, 'passed'), element('row 1', 20, 'passed', 'failed'), element('row 2', 21, 'passed', 'skipped'))]);
    assert.deepEqual(runs, [
      { id: 'features/a.feature:5', name: 'features/a.feature / one', verdict: 'passed' },
      { id: 'features/a.feature:20', name: 'features/a.feature / row 1', verdict: 'failed' },
      { id: 'features/a.feature:21', name: 'features/a.feature / row 2', verdict: 'skipped' },
    ]);
  });

  it('accepts shards that together ran every scenario once', () => {
    const shards = new Map([
      ['shard-1', scenariosOfReport([feature('a', element('x', 1, 'passed'), element('z', 3, 'passed'))])],
      ['shard-2', scenariosOfReport([feature('a', element('y', 2, 'failed'))])],
    ]);
    assert.deepEqual(checkShards(['a:1', 'a:2', 'a:3'], shards), { twice: [], never: [], unknown: [] });
  });

  it('names a scenario that ran twice, one that never ran, and one the suite does not have', () => {
    const shards = new Map([
      ['shard-1', scenariosOfReport([feature('a', element('x', 1, 'passed'), element('old', 9, 'passed'))])],
      ['shard-2', scenariosOfReport([feature('a', element('x', 1, 'passed'))])],
    ]);
    assert.deepEqual(checkShards(['a:1', 'a:2'], shards), { twice: [{ id: 'a:1', shards: ['shard-1', 'shard-2'] }], never: ['a:2'], unknown: ['a:9'] });
  });
});
