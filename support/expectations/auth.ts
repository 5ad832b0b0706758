import { expect } from 'chai';
import { describeOutcome, type Outcome } from '../clients/outcome';
import { expectBackpressure } from './backpressure';

/** Every login got a token, or backpressure (429/503 with Retry-After) — nothing else. */
export function expectLoginsAnswered(outcomes: Outcome[]): { succeeded: number; refused: number } {
  let succeeded = 0;
  for (const outcome of outcomes) {
    expect(outcome.status, `login answer: ${describeOutcome(outcome)} ${JSON.stringify(outcome.body)}`).to.be.oneOf([200, 429, 503]);
    if (outcome.status === 200) {
      expect((outcome.body as { accessToken?: unknown }).accessToken, 'access token').to.be.a('string');
      succeeded++;
    } else {
      expectBackpressure(outcome, outcome.status as 429 | 503);
    }
  }
  expect(succeeded, 'logins that succeeded').to.be.at.least(1);
  return { succeeded, refused: outcomes.length - succeeded };
}

/** Each login asked the auth pool for a connection exactly once (admitted, refused or timed out). */
export function expectEachLoginReachedPool(admissionsBefore: number, admissionsAfter: number, logins: number): void {
  expect(admissionsAfter - admissionsBefore, 'auth pool admissions (acquired + rejected + timed out) during the storm').to.equal(logins);
}

/** Refused over HTTP with 401 and a problem naming why. */
export function expectHttpUnauthorized(outcome: Outcome, reason: string): void {
  expect(outcome.status, `${describeOutcome(outcome)}: ${JSON.stringify(outcome.body)}`).to.equal(401);
  expect(outcome.headers['www-authenticate'], 'WWW-Authenticate').to.equal('Bearer');
  const problem = outcome.body as { type?: string; detail?: string };
  expect(problem.type, 'problem type').to.equal('/problems/invalid-token');
  expect(problem.detail, 'the refusal names why').to.include(reason);
}
