import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
const { applyPlan, markCheckVerdicts, markNotOffered } = require('./allure-plan.js');

interface Step {
  name: string;
  status: string;
  statusDetails?: { message?: string };
  steps?: Step[];
}

/** A check step as allure-cucumberjs writes it: passed, with the verdict step lifecycle.ts logged inside. */
const check = (name: string, inner: Step[] = []): Step => ({ name, status: 'passed', steps: inner });

describe('the report shows each check with its own verdict', () => {
  it('a check not met is failed, saying what the service did', () => {
    const result = { steps: [check('Then the request is refused', [{ name: 'not met: 200 after 3099 ms', status: 'failed' }])] };
    markCheckVerdicts(result);
    assert.equal(result.steps[0]!.status, 'failed');
    assert.equal(result.steps[0]!.statusDetails?.message, 'not met: 200 after 3099 ms');
  });

  it('a check not judged is skipped, naming what it needs — not a green tick', () => {
    const result = { steps: [check('Then the breaker is open', [{ name: 'not judged: needs the ability recovery-report', status: 'skipped' }])] };
    markCheckVerdicts(result);
    assert.equal(result.steps[0]!.status, 'skipped');
    assert.equal(result.steps[0]!.statusDetails?.message, 'not judged: needs the ability recovery-report');
  });

  it('a met check, and an action, stay as cucumber reported them', () => {
    const result = { steps: [check('Then the pool is full', [{ name: 'evidence', status: 'passed' }]), { name: 'When a request waits', status: 'failed', steps: [] }] };
    markCheckVerdicts(result);
    assert.deepEqual(result.steps.map((s) => s.status), ['passed', 'failed']);
  });
});

describe('a scenario the target could not fully judge', () => {
  it('is skipped with the reasons, not passed', () => {
    const result = { status: 'passed', labels: [{ name: 'notOffered', value: 'not judged: the breaker is open (needs recovery-report)' }], steps: [] as Step[] };
    markNotOffered(result);
    assert.equal(result.status, 'skipped');
    assert.match((result as { statusDetails?: { message: string } }).statusDetails!.message, /needs recovery-report/);
  });

  it('stays failed when a check was not met as well', () => {
    const result = { status: 'failed', labels: [{ name: 'notOffered', value: 'not judged: x (needs y)' }], steps: [] as Step[] };
    markNotOffered(result);
    assert.equal(result.status, 'failed');
  });
});

describe('the plan in the report', () => {
  it('names the phase and the test case, links the plan, and sets the severity from the plan', () => {
    const result = { labels: [{ name: 'epic', value: '@phase1' }, { name: 'story', value: '@tc2' }, { name: 'feature', value: 'Connection queue management' }], links: [] as Array<{ url: string }> };
    applyPlan(result);
    const label = (name: string) => result.labels.find((l) => l.name === name)?.value;
    assert.equal(label('epic'), 'Phase 1: core pool exhaustion detection');
    assert.equal(label('feature'), 'Test Case 2: Connection Queue Management Under Load');
    assert.equal(label('story'), 'Connection queue management');
    assert.equal(label('severity'), 'critical');
    assert.match(result.links[0]!.url, /#test-case-2-connection-queue-management-under-load$/);
  });
});
