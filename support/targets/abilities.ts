import type { HealthTransition, LeakReport, RecoveryReport } from '../clients/contract';
import { describeOutcome, type Outcome } from '../clients/outcome';
import { REQUEST } from '../timeouts';
import { valueAt } from './json-path';
import type { AbilitiesDescription, RequestDescription } from './schema';
import type { Abilities, AbilityName, Grant } from './service-target';
import type { TargetHttp } from './target-http';

/** The ability names as scenarios ask for them in tags: @needs-leak-on-command. */
export function abilityTag(name: AbilityName | string): string {
  return `@needs-${name.replace(/[A-Z]/g, (letter) => `-${letter.toLowerCase()}`)}`;
}

/**
 * The abilities a description declares, each through its own request: what only some services
 * can do (leak on command, a leak report, an emergency reset, …). The answers' formats are the
 * suite's (docs/your-own-service.md, "Abilities"); a read that does not answer 200 is a mistake in
 * the description, named with its field.
 */
export function abilitiesOf(where: string, declared: AbilitiesDescription, http: TargetHttp, beforeUse: () => Promise<void>): Abilities {
  const read = async <T>(field: string, request: RequestDescription): Promise<T> => {
    const answer = await http.send(request, {}, { field: `abilities.${field}.request`, timeoutMs: REQUEST.livenessProbe * 5 });
    if (answer.status !== 200) throw new Error(`${where}: abilities.${field}.request answered ${describeOutcome(answer)}: ${JSON.stringify(answer.body)?.slice(0, 300)}`);
    return answer.body as T;
  };
  const act = (field: string, request: RequestDescription, call: Record<string, string> = {}) => async (): Promise<Outcome> => {
    await beforeUse();
    return http.send(request, call, { field: `abilities.${field}.request` });
  };
  const abilities: Abilities = {};
  const { leakOnCommand, leakReport, collectGarbage, recoveryReport, emergencyReset, healthHistory, grantOrder } = declared;
  if (leakOnCommand) abilities.leakOnCommand = (mode) => act('leakOnCommand', leakOnCommand.request, { mode })();
  if (leakReport) abilities.leakReport = () => read<LeakReport>('leakReport', leakReport.request);
  if (collectGarbage) abilities.collectGarbage = act('collectGarbage', collectGarbage.request);
  if (recoveryReport) abilities.recoveryReport = () => read<RecoveryReport>('recoveryReport', recoveryReport.request);
  if (emergencyReset) abilities.emergencyReset = act('emergencyReset', emergencyReset.request);
  if (healthHistory) {
    abilities.healthHistory = async () => {
      const list = valueAt(await read<unknown>('healthHistory', healthHistory.request), healthHistory.list);
      if (!Array.isArray(list)) throw new Error(`${where}: abilities.healthHistory.list: ${healthHistory.list} is not a list in its answer`);
      return list as HealthTransition[];
    };
  }
  if (grantOrder) abilities.grantOrder = (outcome) => valueAt(outcome.body, grantOrder.field) as Grant | undefined;
  return abilities;
}

/**
 * Before the run: the abilities that read (reports, history) answer; one switched off on this
 * deployment (availableWhen says false) is dropped, so scenarios that need it are skipped naming it.
 */
export async function checkAbilities(where: string, declared: AbilitiesDescription, abilities: Abilities, http: TargetHttp): Promise<string[]> {
  const notes: string[] = [];
  if (abilities.leakReport) await abilities.leakReport();
  if (abilities.recoveryReport) await abilities.recoveryReport();
  if (abilities.healthHistory) await abilities.healthHistory();
  const when = declared.leakOnCommand?.availableWhen;
  if (when && abilities.leakOnCommand) {
    const answer = await http.send(when.request, {}, { field: 'abilities.leakOnCommand.availableWhen.request', timeoutMs: REQUEST.livenessProbe * 5 });
    if (answer.status !== 200) throw new Error(`${where}: abilities.leakOnCommand.availableWhen.request answered ${describeOutcome(answer)}`);
    if (valueAt(answer.body, when.field) !== true) {
      delete abilities.leakOnCommand;
      notes.push(`${where}: leak on command is switched off on this deployment (${when.field} is not true): scenarios that need it are skipped`);
    }
  }
  return notes;
}
