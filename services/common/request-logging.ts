import type { FastifyRequest } from 'fastify';

/**
 * Query parameters that carry credentials: the WebSocket accepts `?token=` (browsers cannot set
 * headers), and a client may send one to any route. Their values never reach a log.
 */
const CREDENTIAL_PARAMETER = /^(token|access_token|password|admin_token)$/i;

/** The URL with the value of every credential parameter replaced; the rest left as it came. */
export function redactCredentials(url: string): string {
  const queryAt = url.indexOf('?');
  if (queryAt < 0) return url;
  const pairs = url.slice(queryAt + 1).split('&').map((pair) => {
    const key = pair.split('=', 1)[0]!;
    let name = key;
    try {
      name = decodeURIComponent(key.replaceAll('+', ' '));
    } catch {
      // A malformed escape: judge the raw key.
    }
    return CREDENTIAL_PARAMETER.test(name) ? `${key}=[redacted]` : pair;
  });
  return `${url.slice(0, queryAt)}?${pairs.join('&')}`;
}

/**
 * Fastify logger options for every service: the level (LOG_LEVEL), and fastify's own request
 * serializer with credential query values redacted (it logs the URL of every request otherwise).
 */
export function loggerOptions(level: string) {
  return {
    level,
    serializers: {
      req: (request: FastifyRequest) => ({
        method: request.method,
        url: redactCredentials(request.url),
        version: [request.headers['accept-version']].flat().join(',') || undefined,
        host: request.host,
        remoteAddress: request.ip,
        remotePort: request.socket?.remotePort,
      }),
    },
  };
}
