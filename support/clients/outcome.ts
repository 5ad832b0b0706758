/** One answered (or failed) request, as the suite accounts for it. */
export interface Outcome {
  /** HTTP status; 0 when no answer came (connection refused or reset, client timeout). */
  status: number;
  headers: Record<string, string>;
  body: unknown;
  /** Milliseconds since the epoch, on the suite's clock. */
  startedAt: number;
  finishedAt: number;
  ms: number;
  /** Why no answer came, when status is 0. */
  error: string | undefined;
}

export type OutcomeClass = '2xx' | '429' | '503' | 'other';

export function statusClass(status: number): OutcomeClass {
  if (status >= 200 && status < 300) return '2xx';
  if (status === 429) return '429';
  if (status === 503) return '503';
  return 'other';
}

export function classify(outcome: Outcome): OutcomeClass {
  return statusClass(outcome.status);
}

/** How many answers came with each status (0: no answer). */
export function countByStatus(outcomes: readonly Outcome[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const { status } of outcomes) counts[status] = (counts[status] ?? 0) + 1;
  return counts;
}

export function describeOutcome(outcome: Outcome): string {
  return outcome.status === 0 ? `no answer (${outcome.error})` : `${outcome.status} after ${Math.round(outcome.ms)} ms`;
}
