import { classify, type Outcome, type OutcomeClass } from '../clients/outcome';

export interface TrackedOperation {
  readonly label: string;
  readonly startedAt: number;
  readonly result: Promise<Outcome>;
  outcome: Outcome | undefined;
}

/**
 * The requests a scenario has in flight in the background (holders, the extra request, ...).
 * Nothing is fire-and-forget: the After hook waits for every one, and the accounting sees them all.
 */
export class Operations {
  private readonly tracked: TrackedOperation[] = [];

  start(label: string, run: () => Promise<Outcome>): TrackedOperation {
    const operation: TrackedOperation = { label, startedAt: Date.now(), result: run(), outcome: undefined };
    void operation.result.then((outcome) => {
      operation.outcome = outcome;
    });
    this.tracked.push(operation);
    return operation;
  }

  labelled(label: string): TrackedOperation[] {
    return this.tracked.filter((op) => op.label === label);
  }

  latest(label: string): TrackedOperation {
    const operation = this.labelled(label).at(-1);
    if (!operation) throw new Error(`no "${label}" operation was started in this scenario`);
    return operation;
  }

  /** Waits until every operation started so far has its answer. */
  async settled(label?: string): Promise<Outcome[]> {
    return Promise.all((label ? this.labelled(label) : this.tracked).map((op) => op.result));
  }

  /** Every operation answered so far, with its label. */
  answered(): Array<{ label: string; outcome: Outcome }> {
    return this.tracked.flatMap((op) => (op.outcome ? [{ label: op.label, outcome: op.outcome }] : []));
  }

  get pending(): number {
    return this.tracked.filter((op) => op.outcome === undefined).length;
  }

  /** sent = 2xx + 429 + 503 + other, for everything answered so far. */
  accounting(): Record<OutcomeClass, number> & { sent: number; others: string[] } {
    const counts = { sent: 0, '2xx': 0, '429': 0, '503': 0, other: 0, others: [] as string[] };
    for (const op of this.tracked) {
      if (!op.outcome) continue;
      counts.sent++;
      const kind = classify(op.outcome);
      counts[kind]++;
      if (kind === 'other') counts.others.push(`${op.label}: ${op.outcome.status || op.outcome.error}`);
    }
    return counts;
  }
}
