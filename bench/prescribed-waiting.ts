/**
 * The waiting time the plan itself prescribes, computed from the features' own numbers.
 *
 * Rule (per scenario as cucumber-js ran it: outlines expanded, Background steps included):
 * - every duration in a step ("4 seconds", "2 minutes", "10-second bursts") is classified by the
 *   words around it, within its clause: "within …" is a deadline (an upper bound, not a wait),
 *   "every" a period, "longer than" / "at most" a threshold, "after" / "timeout of" / "… pool timeout" a
 *   timeout; anything else ("for 3 seconds") is an activity;
 * - a step that keeps callers busy (a load phase) blocks, so load phases add up (a step's own
 *   durations overlap — "2 minutes, spiking for 10 seconds" — so each step counts its longest once);
 * - other activities (operations holding connections) run in the background, side by side: the
 *   longest of them counts;
 * - the scenario prescribes max(sum of load phases, longest background activity); a scenario with
 *   no activity at all waits for its longest timeout.
 * The quick profile scales load phases by its loadTimeScale and leaves the rest as it is.
 */

export type DurationKind = 'activity' | 'deadline' | 'period' | 'threshold' | 'timeout';

interface StatedDuration {
  seconds: number;
  kind: DurationKind;
}

const UNIT_SECONDS: Record<string, number> = { millisecond: 0.001, second: 1, minute: 60, hour: 3600 };
const DURATION = /(\d+(?:\.\d+)?)[ -](millisecond|second|minute|hour)s?\b/gi;
const LOAD_PHASE = /\b(load|callers keep|busy)\b/i;

function kindOf(before: string, after: string): DurationKind {
  const clause = before.split(/[,;:]/).at(-1) ?? '';
  if (/\bwithin\b/i.test(clause)) return 'deadline';
  if (/\bevery\s*$/i.test(clause)) return 'period';
  if (/\b((longer|shorter|more|less) than|at (most|least))\s*$/i.test(clause)) return 'threshold';
  if (/\b(after|timeout of)\s*$/i.test(clause) || /^\s*(pool )?timeout\b/i.test(after)) return 'timeout';
  return 'activity';
}

export function statedDurations(text: string): StatedDuration[] {
  return [...text.matchAll(DURATION)].map((match) => {
    const start = match.index ?? 0;
    const unit = match[2]!.toLowerCase();
    return {
      seconds: Number(match[1]) * UNIT_SECONDS[unit]!,
      kind: kindOf(text.slice(0, start), text.slice(start + match[0].length)),
    };
  });
}

/** The waiting one scenario prescribes, given its steps' texts in order. */
export function prescribedSeconds(stepTexts: readonly string[], loadTimeScale = 1): number {
  let loadPhases = 0;
  let background = 0;
  let timeouts = 0;
  for (const text of stepTexts) {
    const durations = statedDurations(text);
    const longestActivity = Math.max(0, ...durations.filter((d) => d.kind === 'activity').map((d) => d.seconds));
    timeouts = Math.max(timeouts, ...durations.filter((d) => d.kind === 'timeout').map((d) => d.seconds));
    if (LOAD_PHASE.test(text)) loadPhases += longestActivity * loadTimeScale;
    else background = Math.max(background, longestActivity);
  }
  const activities = Math.max(loadPhases, background);
  return activities > 0 ? activities : timeouts;
}
