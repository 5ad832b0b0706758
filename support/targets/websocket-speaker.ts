import { HOUSE_FRAMES, WebSocketClient, type MessageProtocol } from '../clients/websocket-client';
import { valueAt } from './json-path';
import type { WebSocketDescription } from './schema';
import type { ScenarioSettings } from './settings';
import { fillTemplate } from './templates';

/** The pool timeout's early tolerance: an error message this close to it is a timed-out wait. */
const TIMER_GRANULARITY_MS = 100;

/**
 * A described service's WebSocket, spoken in its own messages: the request message its
 * description gives ({{id}} filled in), and its answers read where the description says the id,
 * the data and the error's code, status, retry hint and message are. An error without a status is
 * given the one its code stands for (the codes the description names), or else the one its timing
 * says: at the pool timeout, a timed-out wait (503); earlier, a refusal at once (429).
 */
export function protocolOf(description: WebSocketDescription, settings: () => ScenarioSettings): MessageProtocol {
  const { answer, codes } = description;
  return {
    dataRequest: (id) => fillTemplate(description.request, { id }, 'websocket.request'),
    idOf: (message) => {
      const id = valueAt(message, answer.id);
      return typeof id === 'string' || typeof id === 'number' ? id : undefined;
    },
    outcomeOf: (message, ms) => {
      const error = valueAt(message, answer.error);
      const ok = answer.ok ? valueAt(message, answer.ok) === true : error === undefined || error === null;
      if (ok) return { status: 200, error: undefined };
      const code = answer.code ? valueAt(message, answer.code) : undefined;
      const status = answer.status ? valueAt(message, answer.status) : undefined;
      if (typeof status === 'number') return { status, error: String(code ?? 'error') };
      const byCode = code === codes.timedOut ? 503 : code === codes.queueFull ? 429 : undefined;
      const byTiming = ms >= settings().poolTimeout.ms - TIMER_GRANULARITY_MS ? 503 : 429;
      return { status: byCode ?? byTiming, error: String(code ?? 'error') };
    },
  };
}

/** Opens the service's WebSocket with a token, where its description says the token goes. */
export function openWebSocket(baseUrl: string, description: WebSocketDescription, token: string | undefined, protocol: MessageProtocol): Promise<WebSocketClient> {
  const url = new URL(description.path, baseUrl.replace(/^http/, 'ws'));
  const headers: Record<string, string> = {};
  if (token && description.token === 'header') headers.Authorization = `Bearer ${token}`;
  if (token && typeof description.token === 'object') url.searchParams.set(description.token.query, token);
  return WebSocketClient.connect(url, headers, protocol);
}

/** Our services' own frame protocol, spoken for the bad-frame scenarios (feature 09). */
export function openHouseWebSocket(baseUrl: string, description: WebSocketDescription, token: string | undefined): Promise<WebSocketClient> {
  return openWebSocket(baseUrl, description, token, HOUSE_FRAMES);
}

/** What a service's WebSocket messages and refusals must look like: the plan's standard, with what it chose and its house rules. */
export interface WebSocketRules {
  /** Where its error messages keep the retry hint and the human message (undefined: not said). */
  retryAfter: string | undefined;
  message: string | undefined;
  code: string | undefined;
  /** The codes it uses for a timed-out wait and a full queue (house rule). */
  codes: { timedOut?: string | undefined; queueFull?: string | undefined };
  /** Fields every error carries, relative to the error (house rule). */
  errorFields: readonly string[];
  /** Where the error is in a message. */
  error: string;
  /** How a bad token is refused: upgrade statuses (RFC 6455: any 4xx) or an accepted socket closed with one of these codes. */
  refusal: { statuses: readonly number[]; closeCodes: readonly number[]; headers: Readonly<Record<string, string>>; type: string | undefined; reason: string | undefined };
}

export function webSocketRulesOf(description: WebSocketDescription): WebSocketRules {
  const { answer, refusal } = description;
  return {
    retryAfter: answer.retryAfter,
    message: answer.message,
    code: answer.code,
    codes: description.codes,
    errorFields: description.errorFields,
    error: answer.error,
    refusal: { statuses: refusal.status, closeCodes: refusal.closeCodes, headers: refusal.headers, type: refusal.type, reason: refusal.reason },
  };
}
