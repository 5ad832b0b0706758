import { expect } from 'chai';
import type { Outcome } from '../clients/outcome';
import type { NewInstance } from '../tasks/new-instance';
import { expectBackpressure } from './backpressure';

/** The instance the scenario started is still running (never restarted, never crashed). */
export function expectRunning({ process, client }: NewInstance): void {
  expect(process.isRunning, `the new ${client.service} instance is running:\n${process.recentOutput()}`).to.equal(true);
}

/** A database operation refused at once with 503, Retry-After and the database's absence as the reason. */
export function expectRefusedForMissingDatabase(outcome: Outcome): void {
  const problem = expectBackpressure(outcome, 503);
  expect(problem.type, 'why a database operation on the new instance was refused').to.equal('/problems/database-unavailable');
}

/** It ended on SIGTERM with exit code 0: a graceful close. */
export function expectExitedCleanly({ process }: NewInstance): void {
  expect(process.exitedWith, `the new instance's exit code after SIGTERM:\n${process.recentOutput()}`).to.equal(0);
}
