import { describeOutcome, type Outcome } from '../clients/outcome';
import type { RequestDescription, SettingsHowDescription } from './schema';
import { SETTING_GROUPS, planSettings, settingValues, startSettingsOf, type Knobs, type ScenarioSettings, type SettingGroup, type SettingName } from './settings';
import type { TemplateValues } from './target-http';

/** What the gate needs from the service's runtime: a restart with new settings, or an admin request sent. */
export interface GateRuntime {
  restart(settings: ScenarioSettings): Promise<void>;
  send(request: RequestDescription, values: TemplateValues, field: string): Promise<Outcome>;
}

/**
 * The one gate every action on a service goes through: before the service is used, it runs with
 * the settings the scenario asked for. An admin-API service is changed group by group (only the
 * groups that differ); a restart service is restarted (before the scenario first uses it, and
 * whenever it asks for other settings); a fixed one runs as it is (other values were refused when
 * asked). Requests sent at once share one change.
 */
export class SettingsGate {
  private wanted: ScenarioSettings;
  /** What the service runs with now (restart), or what each group was last set to (admin API). */
  private applied: Partial<Record<SettingGroup, string>> = {};
  private running: ScenarioSettings | undefined;
  /** A restart target is restarted before a scenario first uses it: nothing one scenario left reaches the next. */
  private fresh = true;
  private applying: Promise<void> | undefined;
  private readonly restarts: Array<{ from: number; to: number }> = [];
  private afterRestart: (() => Promise<void>) | undefined;

  constructor(
    private readonly target: string,
    private readonly how: SettingsHowDescription,
    private readonly knobs: Knobs,
    private readonly runtime: GateRuntime,
  ) {
    this.wanted = this.startWith;
    this.running = how.how === 'restart' ? this.wanted : undefined;
  }

  private get startWith(): ScenarioSettings {
    return startSettingsOf(this.how);
  }

  /** The settings the scenario asked for, as far as the service takes them. */
  get settings(): ScenarioSettings {
    return this.wanted;
  }

  /** A scenario begins from the start-up settings; `afterRestart` runs whenever the gate restarts the service in it. */
  begin(afterRestart?: () => Promise<void>): void {
    this.wanted = this.startWith;
    this.afterRestart = afterRestart;
    if (this.how.how === 'restart') this.fresh = false;
    // An admin API is set again in full: the service may have been changed by hand, or by a scenario that failed half-way.
    this.applied = {};
  }

  /** Asks for settings; answers the departures (bounds the service lacks), in words. Applied by the next `apply`. */
  change(change: Partial<ScenarioSettings>): string[] {
    const { next, departures } = planSettings(this.target, this.knobs, this.wanted, change);
    this.wanted = next;
    return departures;
  }

  /** The gate: the service runs with the wanted settings when this resolves. */
  async apply(): Promise<void> {
    while (this.applying) await this.applying;
    const work = this.how.how === 'restart' ? this.restartIfNeeded() : this.how.how === 'admin-api' ? this.changeGroups(this.how) : undefined;
    if (!work) return;
    this.applying = work;
    try {
      await work;
    } finally {
      this.applying = undefined;
    }
  }

  restartedBetween(from: number, to: number): boolean {
    return this.restarts.some((window) => window.from <= to && window.to >= from);
  }

  /** What a restart would start the service with: the settings it takes (a lacking one changes nothing, so it costs no restart). */
  private taken(settings: ScenarioSettings): string {
    return JSON.stringify((Object.keys(this.knobs.of) as SettingName[]).filter((name) => this.knobs.of[name].kind !== 'lacking').map((name) => String(settings[name])));
  }

  private restartIfNeeded(): Promise<void> | undefined {
    const wanted = this.wanted;
    if (this.fresh && this.running && this.taken(wanted) === this.taken(this.running)) return undefined;
    return (async () => {
      const window = { from: Date.now(), to: Number.POSITIVE_INFINITY };
      this.restarts.push(window);
      try {
        await this.runtime.restart(wanted);
        this.running = wanted;
        this.fresh = true;
      } finally {
        window.to = Date.now();
      }
      await this.afterRestart?.();
    })();
  }

  private changeGroups(how: Extract<SettingsHowDescription, { how: 'admin-api' }>): Promise<void> | undefined {
    const values = settingValues(this.wanted);
    const due = (Object.keys(SETTING_GROUPS) as SettingGroup[]).filter((group) => how.change[group] && this.applied[group] !== this.groupKey(group));
    if (due.length === 0) return undefined;
    return (async () => {
      for (const group of due) {
        const answer = await this.runtime.send(how.change[group]!, values, `settings.change.${group}`);
        if (!how.success.includes(answer.status)) {
          throw new Error(`${this.target}: settings.change.${group} answered ${describeOutcome(answer)} (expected ${how.success.join(' or ')}): ${JSON.stringify(answer.body)?.slice(0, 300)}`);
        }
        this.applied[group] = this.groupKey(group);
      }
    })();
  }

  private groupKey(group: SettingGroup): string {
    return JSON.stringify(SETTING_GROUPS[group].map((name) => String(this.wanted[name])));
  }
}
