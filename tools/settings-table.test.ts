import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { OPERATORS_GUIDE, withCurrentTable } from './settings-table';

describe('docs/operators.md settings table', () => {
  it('is the one env/service-settings.ts gives (npm run docs:settings rewrites it)', () => {
    const guide = readFileSync(OPERATORS_GUIDE, 'utf8');
    assert.equal(guide, withCurrentTable(guide), 'the settings table is out of date: run npm run docs:settings');
  });
});
