import { expect } from 'chai';
import { describeAnswer, type Outcome } from '../clients/outcome';
import { valueAt } from '../targets/json-path';
import type { RefusalRules } from '../targets/refusal-rules';
import type { ScenarioSettings } from '../targets/settings';
import type { TokenRefusalRules } from '../targets/token-maker';
import { refusalKindOf } from './accounting';
import { expectBackpressure } from './backpressure';

/** Every login got a token (where the service's answer keeps it), or backpressure with Retry-After — nothing else; at least one got through. */
export function expectLoginsAnswered(outcomes: Outcome[], tokenOf: (login: Outcome) => string | undefined, rules: RefusalRules, settings: ScenarioSettings): { succeeded: number; refused: number } {
  let succeeded = 0;
  for (const outcome of outcomes) {
    if (outcome.status >= 200 && outcome.status < 300 && !outcome.failed) {
      expect(tokenOf(outcome), `the token in a successful login (${describeAnswer(outcome)})`).to.be.a('string');
      succeeded++;
    } else {
      const kind = refusalKindOf(outcome, rules, settings);
      expect(kind, `login answer: neither a token nor backpressure: ${describeAnswer(outcome)}`).to.not.equal(undefined);
      expectBackpressure(outcome, kind!, rules, settings);
    }
  }
  expect(succeeded, 'logins that succeeded').to.be.at.least(1);
  return { succeeded, refused: outcomes.length - succeeded };
}

/** Each login asked the auth pool for a connection exactly once (admitted, refused or timed out). */
export function expectEachLoginReachedPool(admissionsBefore: number, admissionsAfter: number, logins: number): void {
  expect(admissionsAfter - admissionsBefore, 'auth pool admissions (acquired + rejected + timed out) during the storm').to.equal(logins);
}

/**
 * Refused as unauthorized over HTTP (RFC 6750 §3.1: 401 for an invalid or missing token; 403 is
 * what some frameworks answer): a status the service uses for it, the WWW-Authenticate header every
 * 401 must carry (RFC 9110 §15.5.2), and its own headers and problem type where it declares them.
 */
export function expectHttpUnauthorized(outcome: Outcome, rules: TokenRefusalRules): void {
  expect(outcome.status, `the token check's answer: ${describeAnswer(outcome)}`).to.be.oneOf([...rules.statuses]);
  if (outcome.status === 401) expect(outcome.headers['www-authenticate'], 'WWW-Authenticate on a 401 (RFC 9110 §15.5.2)').to.be.a('string');
  for (const [name, value] of Object.entries(rules.headers)) expect(outcome.headers[name.toLowerCase()], `${name} header`).to.equal(value);
  if (rules.type) expect(valueAt(outcome.body, 'type'), 'problem type').to.equal(rules.type);
}
