/**
 * The target cannot give what a step needs: a knob it does not have, evidence it does not expose, a
 * test endpoint it lacks. Never a failure of the service under test and never a pass: a step that
 * acts is skipped (and the rest of its scenario with it), a step that checks is "not judged" — both
 * visibly, naming what was needed and why this target cannot give it.
 */
export class NotOffered extends Error {
  override readonly name = 'NotOffered';
  constructor(
    /** What the step needed, in a reader's words: "the number of waiting requests". */
    readonly need: string,
    /** Why this target cannot give it: "postgraphile exposes no pool metrics; pg_stat_activity cannot see requests waiting for a connection". */
    readonly why: string,
  ) {
    super(`needs ${need}: ${why}`);
  }
}

/** The value, or NotOffered naming it when the target cannot give it. */
export function required<T>(value: T | undefined, need: string, why: string): T {
  if (value === undefined) throw new NotOffered(need, why);
  return value;
}
