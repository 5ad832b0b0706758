import { expect } from 'chai';
import { describeAnswer, type Outcome } from '../clients/outcome';
import type { LedgerEntry, TrackedOperation } from '../load/operations';
import type { RefusalRules } from '../targets/refusal-rules';
import type { ScenarioSettings } from '../targets/settings';
import type { ServiceTarget } from '../targets/service-target';
import { NotOffered } from '../targets/not-offered';
import type { ServiceName } from '../targets/service-target';
import type { Accounts, AdmissionCounts } from '../tasks/service-counts';

/*
 * Every request accounted for (DESIGN §5): sent = succeeded + refused because the queue was full +
 * refused at the pool timeout + other, each matched by the id it was sent with, and — where the
 * service counts them itself — agreeing with its own counts.
 */

/** How a request was answered, in the plan's words. */
export type AnswerKind = 'succeeded' | 'queueFull' | 'timedOut' | 'other';

/**
 * Why a refusal came (429 or 503): told by its status where the service uses one for each kind (its
 * description says which), by its timing where it uses either: refused before half the pool
 * timeout had passed is "at once, the queue was full", after it "the wait timed out".
 */
export function refusalKindOf(outcome: Outcome, rules: RefusalRules, settings: ScenarioSettings): 'queueFull' | 'timedOut' | undefined {
  if (outcome.failed || (outcome.status !== 429 && outcome.status !== 503)) return undefined;
  const timedOut = rules.kinds.timedOut.statuses.includes(outcome.status);
  const queueFull = rules.kinds.queueFull.statuses.includes(outcome.status);
  if (timedOut !== queueFull) return timedOut ? 'timedOut' : 'queueFull';
  if (!timedOut) return undefined;
  return settings.poolTimeout.isBounded && outcome.ms >= settings.poolTimeout.ms / 2 ? 'timedOut' : 'queueFull';
}

export function kindOfAnswer(outcome: Outcome, target: Pick<ServiceTarget, 'refusals' | 'settings'>): AnswerKind {
  if (outcome.failed || outcome.status === 0) return 'other';
  if (outcome.status >= 200 && outcome.status < 300) return 'succeeded';
  return refusalKindOf(outcome, target.refusals, target.settings) ?? 'other';
}

export interface AnswerSplit {
  succeeded: number;
  queueFull: number;
  timedOut: number;
  unexplained: string[];
}

/**
 * Every request the scenario sent got exactly one answer (a recorded no-answer counts as one: it
 * then shows as unexplained), matched by the id it was sent with: none missing, none answered twice,
 * no answer for a request never sent, none that threw instead of answering.
 */
export function expectEveryRequestAnswered(sent: readonly TrackedOperation[], ledger: readonly LedgerEntry[]): void {
  const answersById = new Map<number, LedgerEntry[]>();
  for (const entry of ledger) answersById.set(entry.id, [...(answersById.get(entry.id) ?? []), entry]);
  const problems: string[] = [];
  for (const op of sent) {
    const answers = answersById.get(op.id) ?? [];
    answersById.delete(op.id);
    if (answers.length === 0) problems.push(`#${op.id} ${op.label}: sent, but neither an answer nor a no-answer was recorded`);
    else if (answers.length > 1) problems.push(`#${op.id} ${op.label}: ${answers.length} answers recorded`);
    for (const answer of answers) if (answer.threw !== undefined) problems.push(`#${op.id} ${op.label}: threw instead of answering: ${answer.threw}`);
  }
  for (const [id] of answersById) problems.push(`#${id}: an answer was recorded for a request that was never sent`);
  expect(problems, `${sent.length} requests sent vs ${ledger.length} answers recorded, matched by id`).to.deep.equal([]);
}

/** The requests by how they were answered, with none unexplained (no other answer, none without an answer). */
export function expectAnswerSplit(sent: readonly TrackedOperation[], kindOf: (op: TrackedOperation) => AnswerKind, expected?: Omit<AnswerSplit, 'unexplained'>): AnswerSplit {
  const split: AnswerSplit = { succeeded: 0, queueFull: 0, timedOut: 0, unexplained: [] };
  for (const op of sent) {
    const kind = kindOf(op);
    if (kind === 'other') split.unexplained.push(`#${op.id} ${op.label}: ${describeAnswer(op.outcome!)}`);
    else split[kind]++;
  }
  expect(split.unexplained, 'answers that are neither a success nor backpressure (no answer included)').to.deep.equal([]);
  if (expected) {
    expect({ succeeded: split.succeeded, queueFull: split.queueFull, timedOut: split.timedOut }, 'requests by how they were answered (succeeded, refused because the queue was full, refused at the pool timeout)').to.deep.equal(expected);
  }
  return split;
}

/**
 * The service's own counts agree with the answers its requests got: each success was handed a
 * connection, each refusal at once was refused by its pool, each refusal at the timeout timed out
 * in its queue — nothing more (a request the scenario did not send, one served twice) and nothing
 * less (a refusal the pool did not count).
 */
export function expectServiceCounted(service: string, operations: readonly TrackedOperation[], kindOf: (op: TrackedOperation) => AnswerKind, counted: AdmissionCounts): void {
  const kinds = operations.map(kindOf);
  const count = (kind: AnswerKind) => kinds.filter((k) => k === kind).length;
  expect(
    { acquired: counted.acquired, rejected: counted.rejected, timeouts: counted.timeouts },
    `${service}'s own counts since the scenario set its pool (connections handed out, refused at once, timed out) vs its ${operations.length} answers`,
  ).to.deep.equal({ acquired: count('succeeded'), rejected: count('queueFull'), timeouts: count('timedOut') });
}

/** The requests of the scenario per service they were sent to; one that names no service is a defect of the suite. */
export function operationsByService(operations: readonly TrackedOperation[]): Map<string, TrackedOperation[]> {
  const unnamed = operations.filter((op) => op.service === undefined).map((op) => `#${op.id} ${op.label}`);
  if (unnamed.length > 0) throw new Error(`unexpected condition: requests sent without naming their service cannot be matched with its counts: ${unnamed.join(', ')}`);
  const byService = new Map<string, TrackedOperation[]>();
  for (const op of operations) byService.set(op.service!, [...(byService.get(op.service!) ?? []), op]);
  return byService;
}

/**
 * Every request sent got exactly one answer, matched by id; the answers split as expected with none
 * unexplained; and each service's own counts agree with the answers its requests got (where it
 * reports them: otherwise that part alone is not judged, after the rest was). Answers what each
 * service counted, for the report.
 */
export function expectAccounted(accounts: Accounts, targetOf: (service: string) => Pick<ServiceTarget, 'refusals' | 'settings'>, expected?: Omit<AnswerSplit, 'unexplained'>): string[] {
  const kindOf = (op: TrackedOperation) => kindOfAnswer(op.outcome!, targetOf(op.service!));
  expectEveryRequestAnswered(accounts.sent, accounts.ledger);
  expectAnswerSplit(accounts.sent, kindOf, expected);
  const notOffered: NotOffered[] = [];
  const said: string[] = [];
  for (const [service, operations] of operationsByService(accounts.sent)) {
    const counted = accounts.counted.get(service as ServiceName);
    if (counted === undefined || counted instanceof NotOffered) {
      if (counted) notOffered.push(counted);
      continue;
    }
    expectServiceCounted(service, operations, kindOf, counted.counted);
    said.push(`${service} counted ${JSON.stringify(counted.counted)} (from ${counted.evidence}) for its ${operations.length} requests`);
  }
  if (notOffered[0]) throw notOffered[0];
  return said;
}
