/**
 * The report's categories (allurerc.mjs) put each kind of failure where a reader looks for it: a
 * target description or service that does not work as described under "Target setup", nothing
 * answering under "Infrastructure", an expectation of the plan not met under "Product defects".
 * Categories are matched in order, the first that fits wins (as Allure does).
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, it } from 'node:test';

interface Category {
  name: string;
  matchers: { statuses?: string[]; message?: RegExp };
}

async function categoryOf(status: string, message: string): Promise<string | undefined> {
  const config = (await import(path.resolve(__dirname, '..', 'allurerc.mjs'))) as { default: { categories: Category[] } };
  return config.default.categories.find(({ matchers }) => (matchers.statuses ?? [status]).includes(status) && (matchers.message?.test(message) ?? true))?.name;
}

const cases: Array<[string, string, RegExp]> = [
  ['failed', 'targets/mine.yaml: 2 problems in the target description:\n  services.backend.reqest: not a field here (misspelt?)', /^Target setup/],
  ['failed', 'the hold did not hold: 2 requests were sent while the suite held "LOCK TABLE spare IN ACCESS EXCLUSIVE MODE", but 0 of 2 backend connections waited on it', /^Target setup/],
  ['broken', 'mine: services.backend.start.command: {{prot}} is not something the suite can fill in here (it knows {{port}})', /^Target setup/],
  ['broken', 'mine backend was not ready within 60000 ms:\nlistening…', /^Target setup/],
  ['failed', 'status of the answer (no answer after 3 ms: connect ECONNREFUSED 127.0.0.1:4000)', /^Infrastructure/],
  ['failed', 'status of the answer (500 after 1015 ms): expected 500 to equal 503', /^Product defects/],
  ['failed', 'statuses of the requests: expected [ 500, 500 ] to deeply equal [ 429, 503 ]', /^Product defects/],
  ['skipped', 'needs a health check; postgraphile has none', /^Not run or not judged/],
];

describe('Allure categories', () => {
  for (const [status, message, category] of cases) {
    it(`${status}: "${message.split('\n')[0]!.slice(0, 70)}…" → ${category.source.slice(1)}`, async () => {
      assert.match((await categoryOf(status, message)) ?? '(none)', category);
    });
  }
});
