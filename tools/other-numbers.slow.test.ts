import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { runCucumberForReport } from './run-cucumber';

/*
 * Product may change any number in features 01–07 to another sensible value, and the suite must
 * still judge correctly. This test proves it on a few scenarios: it rewrites their numbers (pool
 * shapes, operation counts, holds, timeouts, thresholds, limits, percentages) in a copy of the
 * feature, runs the copy with the quick profile against our own services, and expects every
 * scenario green. A plan number left in support code shows up here as a red scenario.
 *
 * Each replacement must match exactly once in the feature as it is: when a step's text changes,
 * this test says which replacement no longer applies instead of quietly running the plan's numbers.
 */

const REPO_ROOT = path.resolve(__dirname, '..');

interface Variant {
  feature: string;
  /** Scenario names to run (the variant feature's other scenarios are left out with --name). */
  scenarios: RegExp;
  /** How many scenarios (outline rows count one each) that selects. */
  expectScenarios: number;
  /** [the plan's text, another sensible value]: each must occur exactly once. */
  replace: Array<[string, string]>;
}

const VARIANTS: Variant[] = [
  {
    feature: '01-pool-saturation-detection.feature',
    scenarios: /Eight concurrent operations|One more request while the pool is saturated|Health turns critical/,
    expectScenarios: 5,
    replace: [
      ['pool size 5 and max overflow 3', 'pool size 4 and max overflow 2'],
      ['When 8 operations each hold a backend connection for 4 seconds', 'When 6 operations each hold a backend connection for 4 seconds'],
      ['with 3 overflow connections in use', 'with 2 overflow connections in use'],
      ['And 8 operations each hold a backend connection for 3 seconds', 'And 6 operations each hold a backend connection for 4 seconds'],
      ['Given 8 operations each hold a backend connection for 3 seconds', 'Given 6 operations each hold a backend connection for 2 seconds'],
      ['| 10    | 1       |', '| 5     | 2       |'],
    ],
  },
  {
    feature: '02-connection-queue-management.feature',
    scenarios: /Ten long operations|Connections that free up/,
    expectScenarios: 2,
    replace: [
      ['pool size 3, max overflow 2 and a pool timeout of 5 seconds', 'pool size 2, max overflow 2 and a pool timeout of 4 seconds'],
      ['When 10 operations each hold a backend connection for 7 seconds', 'When 8 operations each hold a backend connection for 6 seconds'],
      ['And 5 quick operations need a backend connection while the pool is exhausted, arriving 250 milliseconds apart', 'And 4 quick operations need a backend connection while the pool is exhausted, arriving 300 milliseconds apart'],
      ['Then 5 operations hold backend connections and 10 requests wait', 'Then 4 operations hold backend connections and 8 requests wait'],
      ['the 10 waiting requests are refused with backpressure at the pool timeout', 'the 8 waiting requests are refused with backpressure at the pool timeout'],
      ['show the 10 waits that reached', 'show the 8 waits that reached'],
      ['the 5 operations holding connections succeed', 'the 4 operations holding connections succeed'],
      ['5 succeeded, 0 refused because the queue was full, 10 refused at the pool timeout', '4 succeeded, 0 refused because the queue was full, 8 refused at the pool timeout'],
      // Four connections free up at 1.2, 1.6, 2.0 and 2.4 s; the sixth queued operation is served at 2.6 s, well inside 4 s.
      ['Given 5 operations hold a backend connection, the first for 1.5 seconds and each next one 0.3 seconds longer', 'Given 4 operations hold a backend connection, the first for 1.2 seconds and each next one 0.4 seconds longer'],
      ['When 10 more operations queue for a backend connection one after another, each holding it for 1.5 seconds once served', 'When 6 more operations queue for a backend connection one after another, each holding it for 1 second once served'],
      ['15 succeeded, 0 refused because the queue was full, 0 refused at the pool timeout', '10 succeeded, 0 refused because the queue was full, 0 refused at the pool timeout'],
    ],
  },
  {
    feature: '04-connection-leak-detection.feature',
    scenarios: /Twenty operations|rounds of twenty/,
    expectScenarios: 2,
    replace: [
      ['pool size 4 and max overflow 2', 'pool size 3 and max overflow 3'],
      ['When 20 operations run against the backend, 5 of them failing inside the database', 'When 12 operations run against the backend, 4 of them failing inside the database'],
      ['Then 15 operations succeeded and 5 failed with a database error', 'Then 8 operations succeeded and 4 failed with a database error'],
      ['counted 20 connections acquired and 20 released', 'counted 12 connections acquired and 12 released'],
      ['rounds of 20 operations run against the backend, 5 of them failing each time', 'rounds of 10 operations run against the backend, 3 of them failing each time'],
      ['        | 5      |', '        | 3      |'],
    ],
  },
  {
    feature: '05-graceful-degradation.feature',
    scenarios: /of capacity for 30 seconds/,
    expectScenarios: 1,
    replace: [
      ['pool size 10 and max overflow 15', 'pool size 8 and max overflow 6'],
      ['holds its database connection for 200 milliseconds', 'holds its database connection for 150 milliseconds'],
      ['at least 99.9% of its health checks', 'at least 99.5% of its health checks'],
      ['keep 60% of the backend pool capacity busy for 30 seconds', 'keep 50% of the backend pool capacity busy for 40 seconds'],
      ['stayed at or below 90%', 'stayed at or below 85%'],
    ],
  },
  {
    feature: '07-pool-recovery-and-auto-healing.feature',
    scenarios: /heals itself from hung statements|emergency reset|open the breaker/,
    expectScenarios: 3,
    replace: [
      ['pool size 2, max overflow 1 and a pool timeout of 30 seconds', 'pool size 1, max overflow 2 and a pool timeout of 20 seconds'],
      ['once it has been stuck for 2 seconds', 'once it has been stuck for 3 seconds'],
      ['heals itself within 60 seconds', 'heals itself within 45 seconds'],
      ['When 3 <cause> take every backend connection\n      And 2 more requests', 'When 3 <cause> take every backend connection\n      And 4 more requests'],
      ['When 3 hung statements take every backend connection\n      And 2 more requests', 'When 3 hung statements take every backend connection\n      And 3 more requests'],
      ['refused the 2 waiting requests', 'refused the 3 waiting requests'],
      ['opens after 3 consecutive timeouts and probes again after 2 seconds', 'opens after 2 consecutive timeouts and probes again after 3 seconds'],
      ['When 3 requests in a row time out', 'When 2 requests in a row time out'],
      ['holds the only backend connection for 12 seconds', 'holds the only backend connection for 14 seconds'],
    ],
  },
];

/** The feature's text with each replacement applied; throws naming a replacement that does not match once. */
export function rewrite(text: string, variant: Variant): string {
  let rewritten = text;
  for (const [from, to] of variant.replace) {
    const occurrences = rewritten.split(from).length - 1;
    if (occurrences !== 1) throw new Error(`${variant.feature}: "${from}" occurs ${occurrences} times (expected once): has the step's text changed?`);
    rewritten = rewritten.replace(from, to);
  }
  return rewritten;
}

interface JsonScenario {
  name: string;
  type: string;
  steps: Array<{ keyword: string; name?: string; result: { status: string; error_message?: string } }>;
}

type JsonReport = Array<{ uri: string; elements: JsonScenario[] }>;

/** The rewritten copies alone, with the quick profile: paths given on the command line would be added to the profile's features/**, so a config of its own names only them. */
function runQuick(featureFiles: string[], names: RegExp[], reportFile: string) {
  const config = path.join(path.dirname(reportFile), 'cucumber.js');
  writeFileSync(config, `const { quick } = require(${JSON.stringify(path.join(REPO_ROOT, 'cucumber.js'))});\nmodule.exports = { default: { ...quick, paths: ${JSON.stringify(featureFiles)} } };\n`);
  return runCucumberForReport<JsonReport>(['--config', path.relative(REPO_ROOT, config), ...names.flatMap((name) => ['--name', name.source])], reportFile);
}

describe('the suite judges numbers other than the plan\'s', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'pool-suite-other-numbers-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('every replacement applies to the features as they are', () => {
    for (const variant of VARIANTS) rewrite(readFileSync(path.join(REPO_ROOT, 'features', variant.feature), 'utf8'), variant);
  });

  it('the rewritten scenarios pass on our own services', { timeout: 10 * 60_000 }, async () => {
    const files = VARIANTS.map((variant) => {
      const file = path.join(dir, variant.feature);
      writeFileSync(file, rewrite(readFileSync(path.join(REPO_ROOT, 'features', variant.feature), 'utf8'), variant));
      return file;
    });
    const reportFile = path.join(dir, 'report.json');
    const { report, code, output } = await runQuick(files, VARIANTS.map((v) => v.scenarios), reportFile);
    const failures: string[] = [];
    for (const variant of VARIANTS) {
      assert.ok(report.every((f) => !f.uri.startsWith('features/')), `only the rewritten copies ran, not ${report.map((f) => f.uri).join(', ')}`);
      const scenarios = report.find((f) => f.uri.endsWith(variant.feature))?.elements.filter((e) => e.type === 'scenario') ?? [];
      assert.equal(scenarios.length, variant.expectScenarios, `${variant.feature}: scenarios run`);
      for (const scenario of scenarios) {
        const bad = scenario.steps.find((s) => s.result.status !== 'passed');
        if (bad) failures.push(`${variant.feature} / ${scenario.name} / ${bad.keyword}${bad.name ?? ''}: ${bad.result.status} ${bad.result.error_message?.split('\n')[0] ?? ''}`);
      }
    }
    assert.deepEqual(failures, [], `with other numbers the suite judged wrongly:\n${failures.join('\n')}\n${output.slice(-2000)}`);
    assert.equal(code, 0, output.slice(-2000));
  });
});
