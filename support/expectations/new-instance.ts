import { expect } from 'chai';
import type { Outcome } from '../clients/outcome';
import type { RefusalRules } from '../targets/refusal-rules';
import type { ScenarioSettings } from '../targets/settings';
import type { NewInstance } from '../tasks/new-instance';
import { expectBackpressure, type JudgedRefusal } from './backpressure';

/** The instance the scenario started is still running (never restarted, never crashed). */
export function expectRunning({ service, instance }: NewInstance): void {
  expect(instance.isRunning, `the new ${service} instance is running:\n${instance.recentOutput()}`).to.equal(true);
}

/** A database operation refused at once with backpressure and a Retry-After hint. */
export function expectRefusedForMissingDatabase(outcome: Outcome, rules: RefusalRules, settings: ScenarioSettings): JudgedRefusal {
  return expectBackpressure(outcome, 'databaseDown', rules, settings);
}

/** It ended on SIGTERM with exit code 0: a graceful close. */
export function expectExitedCleanly({ instance }: NewInstance): void {
  expect(instance.exitedWith, `the new instance's exit code after SIGTERM:\n${instance.recentOutput()}`).to.equal(0);
}
