import type { HealthStatus } from '../clients/contract';
import type { Outcome } from '../clients/outcome';
import { REQUEST } from '../timeouts';
import { valueAt } from './json-path';
import type { HealthDescription, RequestDescription } from './schema';
import type { HealthReading } from './service-target';
import type { TargetHttp } from './target-http';

const WORDS: readonly HealthStatus[] = ['healthy', 'warning', 'critical'];

/** The request a health description names (a request, or just a path). */
export function healthRequest(health: HealthDescription): RequestDescription {
  return health.request ?? { method: 'GET', path: health.path ?? '/health', headers: {} };
}

/**
 * A health answer in the plan's words, by the description's mapping: a JSON field's values, or the
 * HTTP status alone. A service whose health only ever says ok maps to healthy and nothing else — its
 * checks of warning and critical are then judged, and not met. Where the service declares its own
 * convention (the HTTP status per word, a content type), an answer that breaks it maps to nothing.
 */
export function mapHealth(health: HealthDescription, answer: Outcome): Omit<HealthReading, 'answer'> {
  if ('byStatus' in health) {
    const status = WORDS.find((word) => health.byStatus[word].includes(answer.status));
    return { status, expectedHttpStatus: status ? answer.status : undefined };
  }
  const value = valueAt(answer.body, health.field);
  let status = WORDS.find((word) => value !== undefined && health[word].includes(String(value)));
  const convention = health.convention;
  if (convention?.contentType && !(answer.headers['content-type'] ?? '').startsWith(convention.contentType)) status = undefined;
  return { status, expectedHttpStatus: status && convention?.httpStatus ? convention.httpStatus[status] : undefined };
}

/** GET its health, bounded like a liveness probe: a live service answers it at once. */
export async function readHealth(http: TargetHttp, health: HealthDescription): Promise<HealthReading> {
  const answer = await http.send(healthRequest(health), {}, { field: 'health', timeoutMs: REQUEST.livenessProbe });
  return { answer, ...mapHealth(health, answer) };
}
