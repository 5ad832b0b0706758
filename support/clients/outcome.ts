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
  /** Why no answer came, when status is 0; why it is not a success, when `failed` is set. */
  error: string | undefined;
  /**
   * Set when the target's own success rule says no although the status looks fine: PostGraphile
   * answers a failed query with 200 and an `errors` array. Such an answer is an error, not a success.
   */
  failed?: true;
  /** Where the answer came: an HTTP answer (the default) or a WebSocket message. */
  channel?: 'http' | 'websocket';
}

export type OutcomeClass = '2xx' | '429' | '503' | 'other';

export function statusClass(status: number): OutcomeClass {
  if (status >= 200 && status < 300) return '2xx';
  if (status === 429) return '429';
  if (status === 503) return '503';
  return 'other';
}

export function classify(outcome: Outcome): OutcomeClass {
  return outcome.failed ? 'other' : statusClass(outcome.status);
}

/** How many answers came with each status (0: no answer). */
export function countByStatus(outcomes: readonly Outcome[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const { status } of outcomes) counts[status] = (counts[status] ?? 0) + 1;
  return counts;
}

export function describeOutcome(outcome: Outcome): string {
  if (outcome.status === 0) return `no answer (${outcome.error})`;
  return `${outcome.status}${outcome.failed ? ` (${outcome.error})` : ''} after ${Math.round(outcome.ms)} ms`;
}

/** What a client saw of an answer, for a reader: status and time, the headers that matter, a body excerpt. */
export function describeAnswer(outcome: Outcome): string {
  if (outcome.status === 0) return describeOutcome(outcome);
  const headers = ['retry-after', 'content-type', 'www-authenticate'].filter((name) => outcome.headers[name] !== undefined).map((name) => `${name}: ${outcome.headers[name]}`);
  const body = typeof outcome.body === 'string' ? outcome.body : JSON.stringify(outcome.body);
  return [describeOutcome(outcome), ...headers, body ? `body ${body.length > 240 ? `${body.slice(0, 240)}…` : body}` : 'no body'].join(', ');
}
