import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { renderVerdicts, verdictChanges, verdictMap, verdictsFromReport } from './verdicts';

/* How a cucumber JSON report becomes verdicts, and how a changed verdict is told. */
const text = (data: string) => ({ mime_type: 'text/plain', data: Buffer.from(data).toString('base64') });
const step = (keyword: string, name: string, status: string, extra: { error_message?: string } = {}) => ({ keyword, name, result: { status, ...extra } });

const report = [
  {
    name: 'Saturation',
    uri: 'features/01.feature',
    elements: [
      {
        type: 'scenario',
        name: 'Refused with 503',
        steps: [
          step('Given ', 'a full pool', 'passed'),
          step('Then ', 'it is refused with 503', 'failed', { error_message: 'AssertionError: status of the answer (500 after 1015 ms): expected 500 to equal 503\n    at x' }),
          step('And ', 'nothing answered 500', 'skipped'),
        ],
      },
      {
        type: 'scenario',
        name: 'Health',
        steps: [
          step('Given ', 'a full pool', 'passed'),
          { keyword: 'Then ', name: 'health is critical', result: { status: 'passed' }, embeddings: [text('not judged: "health is critical": needs a health check; it has none')] },
          step('And ', 'no connection is left', 'passed'),
        ],
      },
      {
        type: 'scenario',
        name: 'Leak',
        steps: [
          { keyword: 'Given ', name: 'a leaked connection', result: { status: 'skipped' }, embeddings: [text('skipped: "a leaked connection": needs fault injection; off')] },
          step('Then ', 'it is reclaimed', 'skipped'),
        ],
      },
    ],
  },
];

describe('verdicts from a cucumber report', () => {
  const verdicts = verdictsFromReport(report);

  it('met, not met (with what the service did), not judged and not run (with why)', () => {
    assert.deepEqual(verdictMap(verdicts), {
      'Saturation / Refused with 503': { 'it is refused with 503': 'not met', 'nothing answered 500': 'not run' },
      'Saturation / Health': { 'health is critical': 'not judged', 'no connection is left': 'met' },
      'Saturation / Leak': { 'it is reclaimed': 'not run' },
    });
    const [refused, health, leak] = verdicts;
    assert.equal(refused!.checks[0]!.detail, 'status of the answer (500 after 1015 ms): expected 500 to equal 503');
    assert.equal(refused!.checks[1]!.detail, 'an earlier check failed');
    assert.equal(health!.checks[0]!.detail, 'needs a health check; it has none');
    assert.equal(leak!.checks[0]!.detail, 'needs fault injection; off');
  });

  it('a changed verdict is named with the scenario, both verdicts and what the service did now', () => {
    const recorded = verdictMap(verdicts);
    assert.deepEqual(verdictChanges(recorded, verdicts), []);
    const lostFinding = structuredClone(recorded);
    lostFinding['Saturation / Refused with 503']!['it is refused with 503'] = 'met';
    assert.deepEqual(verdictChanges(lostFinding, verdicts), [
      'Saturation / Refused with 503 / it is refused with 503: recorded met, now not met (status of the answer (500 after 1015 ms): expected 500 to equal 503)',
    ]);
    delete lostFinding['Saturation / Leak'];
    assert.match(verdictChanges(lostFinding, verdicts).at(-1)!, /Saturation \/ Leak \/ it is reclaimed: recorded \(no such check\), now not run/);
  });

  it('the markdown leads with the findings', () => {
    const markdown = renderVerdicts('demo', verdicts, { profile: 'quick', date: '2026-12-01' });
    assert.match(markdown, /Checks: \*\*1 met, 1 not met\*\*, 1 not judged .*, 2 not run/);
    assert.ok(markdown.indexOf('## Findings') < markdown.indexOf('## Saturation'));
    assert.match(markdown, /\| Refused with 503 \| it is refused with 503 \| status of the answer \(500 after 1015 ms\)/);
  });
});
