/**
 * What a scenario's steps leave for its report, step by step: the evidence each check used, the
 * steps the target could not run or judge (and why), and the checks that were not met. A check that
 * is not met does not end its scenario: the checks after it are still judged, and the scenario
 * fails at its end, listing every one (support/lifecycle.ts).
 */

/** A step this target could not run or judge, and why. */
export interface NotOfferedStep {
  step: string;
  /** A check (Then) was not judged; an action (Given/When) was skipped with the rest of the scenario. */
  kind: 'not judged' | 'skipped';
  need: string;
  why: string;
}

/** A check whose evidence was gathered and that the service did not meet. */
export interface UnmetCheck {
  /** The check as the feature states it: what the plan expects. */
  check: string;
  /** What the service did instead, in the assertion's words. */
  observed: string;
  /** The assertion's stack, for the suite's developers (an attachment, never the headline). */
  trace: string;
}

export class Journal {
  /** The evidence the current step used (its pool readings, health checks, PostgreSQL's view): attached after it. */
  readonly stepEvidence = new Set<string>();
  readonly notOffered: NotOfferedStep[] = [];
  readonly unmet: UnmetCheck[] = [];

  note(evidence: string): void {
    this.stepEvidence.add(evidence);
  }

  /** The current step's evidence, emptied for the next step. */
  takeStepEvidence(): string[] {
    const notes = [...this.stepEvidence];
    this.stepEvidence.clear();
    return notes;
  }

  /** A check was not judged: the scenario ends skipped rather than passed. */
  get anyNotJudged(): boolean {
    return this.notOffered.some((step) => step.kind === 'not judged');
  }
}

/** An assertion's message without the polling prefix: what the service did, in one paragraph. */
export function observedOf(error: Error): string {
  return error.message.replace(/^still failing after \d+ ms: /, '').trim();
}
