import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AFTER_THE_SCENARIO, differencesFromTruth, renderVerdicts, verdictMap, verdictsFromReport, type GroundTruth } from './verdicts';

/* How a cucumber JSON report becomes verdicts, and how a run is compared with a target's ground truth. */
const text = (data: string) => ({ mime_type: 'text/plain', data: Buffer.from(data).toString('base64') });
const step = (keyword: string, name: string, status: string, extra: { error_message?: string } = {}) => ({ keyword, name, result: { status, ...extra } });
const notMet = (check: string, did: string) => text(`not met: "${check}"\nthe plan expects: ${check}\nthe service did: ${did}`);

const report = [
  {
    name: 'Saturation',
    uri: 'features/01.feature',
    elements: [
      {
        type: 'scenario',
        name: 'Refused at the pool timeout',
        steps: [
          step('Given ', 'a full pool', 'passed'),
          { keyword: 'Then ', name: 'it is refused with backpressure', result: { status: 'passed' }, embeddings: [notMet('it is refused with backpressure', 'status of the refusal (500 after 1015 ms): expected 500 to be one of [ 503, 429 ]')] },
          step('And ', 'nothing answered 500', 'passed'),
          { keyword: 'After', hidden: true, result: { status: 'failed', error_message: 'one check not met or failed:\n- not met: it is refused with backpressure\n    the service did: …\n- leak audit: backend: pg_stat_activity shows connections still busy: expected 1 to equal 0' } },
        ],
      },
      {
        type: 'scenario',
        name: 'Health',
        steps: [
          step('Given ', 'a full pool', 'passed'),
          { keyword: 'Then ', name: 'health is critical', result: { status: 'passed' }, embeddings: [text('not judged: "health is critical": needs a health check; it has none')] },
          step('And ', 'no connection is left', 'failed', { error_message: "TypeError: Cannot read properties of undefined (reading 'x')\n    at y" }),
        ],
      },
      {
        type: 'scenario',
        name: 'Leak',
        steps: [
          { keyword: 'Before', hidden: true, result: { status: 'skipped' }, embeddings: [text('not run on TARGET=demo, TEST_ENV=embedded: @needs-leak-on-command: needs the ability leakOnCommand')] },
          step('Given ', 'a leaked connection', 'skipped'),
          step('Then ', 'it is reclaimed', 'skipped'),
        ],
      },
    ],
  },
];

describe('verdicts from a cucumber report', () => {
  const verdicts = verdictsFromReport(report);

  it('every check has its own verdict: met, not met (with what the service did), not judged, not run (with why); a check that threw is the suite\'s error', () => {
    assert.deepEqual(verdictMap(verdicts), {
      'Saturation / Refused at the pool timeout': { 'it is refused with backpressure': 'not met', 'nothing answered 500': 'met', [AFTER_THE_SCENARIO]: 'not met' },
      'Saturation / Health': { 'health is critical': 'not judged', 'no connection is left': 'error', [AFTER_THE_SCENARIO]: 'met' },
      'Saturation / Leak': { 'it is reclaimed': 'not run', [AFTER_THE_SCENARIO]: 'not run' },
    });
    const [refused, health, leak] = verdicts;
    assert.equal(refused!.checks[0]!.detail, 'status of the refusal (500 after 1015 ms): expected 500 to be one of [ 503, 429 ]');
    assert.match(refused!.checks[2]!.detail!, /^leak audit: backend: pg_stat_activity shows connections still busy/);
    assert.equal(health!.checks[0]!.detail, 'needs a health check; it has none');
    assert.match(health!.checks[1]!.detail!, /^the check itself failed: TypeError/);
    assert.match(leak!.checks[0]!.detail!, /@needs-leak-on-command: needs the ability leakOnCommand/);
  });

  it('a run is compared with the ground truth: every difference named, with the truth\'s reason and what the run said', () => {
    const truth: GroundTruth = {
      'Saturation / Refused at the pool timeout': {
        'it is refused with backpressure': ['not met', 'app.py lets sqlalchemy.exc.TimeoutError escape: FastAPI answers 500'],
        'nothing answered 500': ['not met', 'the timeout above is a 500'],
        [AFTER_THE_SCENARIO]: ['not met', 'the 500 leaves its connection checked out'],
      },
      'Saturation / Health': { 'health is critical': ['not judged', 'no health endpoint'], 'no connection is left': ['met', 'connections are returned'], [AFTER_THE_SCENARIO]: ['met', 'nothing leaks'] },
      'Saturation / Leak': { 'it is reclaimed': ['not run', 'no leak on command'], [AFTER_THE_SCENARIO]: ['not run', 'skipped'] },
    };
    assert.deepEqual(differencesFromTruth(truth, verdicts), [
      'Saturation / Refused at the pool timeout / nothing answered 500: the ground truth says not met (the timeout above is a 500); the run said met',
      "Saturation / Health / no connection is left: the ground truth says met (connections are returned); the run said error (the check itself failed: TypeError: Cannot read properties of undefined (reading 'x'))",
    ]);
    delete truth['Saturation / Leak'];
    assert.match(differencesFromTruth(truth, verdicts).at(-1)!, /Saturation \/ Leak \/ .*: the ground truth says \(no such check in the ground truth\); the run said not run/);
  });

  it('the markdown leads with the findings and says how the run compares with the ground truth', () => {
    const markdown = renderVerdicts('demo', verdicts, { profile: 'quick', date: '2026-12-06', truth: '8 of 8 checks agree' });
    assert.match(markdown, /Checks: \*\*2 met, 2 not met\*\*, 1 not judged .*, 2 not run .*, \*\*1 errors of the suite itself\*\*/);
    assert.match(markdown, /written before the run\): 8 of 8 checks agree/);
    assert.ok(markdown.indexOf('## Findings') < markdown.indexOf('## Saturation'));
  });
});
