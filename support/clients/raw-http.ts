import { request } from 'undici';
import { REQUEST } from '../timeouts';
import type { Outcome } from './outcome';

/** A request exactly as it goes on the wire: the body is sent as given, with only the headers named here. */
export interface RawRequest {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** Path and query, sent as written (no encoding, no parameters added). */
  path: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
}


/**
 * Sends a malformed request as it is. axios would fix one up for us (serialize an object,
 * add a content type, refuse an over-long body); undici's request() sends bytes and headers
 * untouched and reads any answer. Never throws: no answer comes back as status 0.
 */
export async function sendRaw(baseUrl: string, raw: RawRequest, timeoutMs: number = REQUEST.rawHttp): Promise<Outcome> {
  const startedAt = Date.now();
  const started = performance.now();
  const finish = (status: number, headers: Record<string, string>, body: unknown, error: string | undefined): Outcome => {
    const ms = performance.now() - started;
    return { status, headers, body, startedAt, finishedAt: startedAt + ms, ms, error };
  };
  try {
    const response = await request(new URL(raw.path, baseUrl), {
      method: raw.method,
      headers: raw.headers ?? {},
      body: raw.body,
      // One connection per request: a service that closes it after refusing a body cannot break the next one.
      reset: true,
      headersTimeout: timeoutMs,
      bodyTimeout: timeoutMs,
    });
    const headers = Object.fromEntries(Object.entries(response.headers).map(([name, value]) => [name, String(value)]));
    const text = await response.body.text();
    return finish(response.statusCode, headers, parseIfJson(text, headers['content-type']), undefined);
  } catch (error) {
    return finish(0, {}, undefined, `${(error as { code?: string }).code ?? ''} ${(error as Error).message}`.trim());
  }
}

function parseIfJson(text: string, contentType: string | undefined): unknown {
  if (!contentType || !/[/+]json\b/.test(contentType)) return text;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}
