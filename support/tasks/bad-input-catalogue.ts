import type { RawRequest } from '../clients/raw-http';

/**
 * The bad input the features name, each under the phrase a product reader sees in the Examples
 * tables ("a hold for -1 seconds"), built here as the exact bytes a careless or hostile client
 * would send. The phrases are parameter types, so a row naming something missing here is an
 * undefined step in the dry run, not a silent skip.
 */

export interface BadHttpRequest {
  service: 'backend' | 'auth';
  /** Sent with the admin token: the refusal must come from validation, not from the auth guard. */
  admin: boolean;
  request: RawRequest;
}

const JSON_TYPE = { 'content-type': 'application/json' };
const hold = (query: string): BadHttpRequest => ({ service: 'backend', admin: false, request: { method: 'GET', path: `/api/work/hold${query}` } });
const login = (body: string, headers: Record<string, string> = JSON_TYPE): BadHttpRequest => ({ service: 'auth', admin: false, request: { method: 'POST', path: '/auth/login', headers, body } });
const poolChange = (body: string | undefined, headers: Record<string, string> = JSON_TYPE): BadHttpRequest => ({
  service: 'backend',
  admin: true,
  request: { method: 'PUT', path: '/admin/pool/config', headers, ...(body === undefined ? {} : { body }) },
});
/** Over the backend's 64 KiB and the auth service's 16 KiB body limits. */
const OVERSIZED_PADDING = 'x'.repeat(100 * 1024);

export const BAD_HTTP_REQUESTS: Readonly<Record<string, BadHttpRequest>> = {
  'a hold for -1 seconds': hold('?seconds=-1'),
  'a hold for 1e9 seconds': hold('?seconds=1e9'),
  'a hold for abc seconds': hold('?seconds=abc'),
  'a hold for an empty number of seconds': hold('?seconds='),
  'a hold that does not say for how long': hold(''),

  'a login whose body is not JSON': login('{"email": "qa@example.test", "password": '),
  'a login with an empty body': login(''),
  'a login sent as a form': login('email=qa%40example.test&password=x', { 'content-type': 'application/x-www-form-urlencoded' }),
  'a login without a password': login('{"email": "qa@example.test"}'),
  'a login larger than the body limit': login(JSON.stringify({ email: 'qa@example.test', password: OVERSIZED_PADDING })),

  'a pool change whose body is not JSON': poolChange('{"poolSize": '),
  'a pool change with an empty body': poolChange(''),
  'a pool change with no body at all': poolChange(undefined, {}),
  'a pool change that is a list': poolChange('[{"poolSize": 5}]'),
  'a pool change sent as a form': poolChange('poolSize=5', { 'content-type': 'application/x-www-form-urlencoded' }),
  'a pool change larger than the body limit': poolChange(JSON.stringify({ poolSize: 5, note: OVERSIZED_PADDING })),
  'a pool change with one good and one bad setting': poolChange('{"poolSize": 7, "maxOverflow": -1}'),
  'a pool change that smuggles a __proto__ key': poolChange('{"poolSize": 5, "__proto__": {"isAdmin": true}}'),
};

/** A WebSocket frame as sent: text, or bytes for a binary frame. `id` is the request id the answer must carry, if any. */
export interface BadFrame {
  data: string | Buffer;
  id: string | null;
}

export const BAD_FRAMES: Readonly<Record<string, BadFrame>> = {
  'a frame that is not JSON': { data: '{"id": "bad-1", "op": ', id: null },
  'a JSON number instead of a request': { data: '42', id: null },
  'a request for an unknown operation': { data: JSON.stringify({ id: 'bad-2', op: 'drop-tables' }), id: 'bad-2' },
  'a hold for -1 seconds': { data: JSON.stringify({ id: 'bad-3', op: 'hold', seconds: -1 }), id: 'bad-3' },
  'a hold for "abc" seconds': { data: JSON.stringify({ id: 'bad-4', op: 'hold', seconds: 'abc' }), id: 'bad-4' },
  'a request with a field it does not know': { data: JSON.stringify({ id: 'bad-5', op: 'fast', sql: 'DROP TABLE work_items' }), id: 'bad-5' },
  'a request without an id': { data: JSON.stringify({ op: 'fast' }), id: null },
  'a binary frame': { data: Buffer.from([0x7b, 0x00, 0xff, 0x01]), id: null },
};

/** The phrases as a parameter type's pattern: every key, escaped, longest first (so no phrase stops at a shorter one). */
export function phrasePattern(catalogue: Readonly<Record<string, unknown>>): RegExp {
  const escaped = Object.keys(catalogue)
    .sort((a, b) => b.length - a.length)
    .map((phrase) => phrase.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
  return new RegExp(escaped.join('|'));
}
