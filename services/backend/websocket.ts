import type { IncomingMessage } from 'node:http';
import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { WebSocket, WebSocketServer, type RawData } from 'ws';
import { z } from 'zod';
import type { TokenClaims } from '../auth/token-claims';
import { TokenRejectedError } from '../auth/tokens';
import { bearerTokenOf, invalidTokenProblem } from '../common/bearer';
import { problemFor, type PoolState, type Problem } from '../common/problem';
import type { DatabaseConnectionManager } from '../pool';
import type { TokenVerifier } from './token-verifier';
import { FAST_READ, HOLD } from './queries';

export const WS_PATH = '/ws';
/** Larger frames are refused by closing with 1009 (message too big); ws enforces it while reading. */
export const MAX_FRAME_BYTES = 16 * 1024;
/** Messages one socket may have running at once; more get a TOO_MANY_IN_FLIGHT error frame. */
export const MAX_IN_FLIGHT = 8;
/** How long sockets get to answer the close handshake at shutdown before they are cut. */
const CLOSE_GRACE_MS = 1_000;

const MessageId = z.union([z.string().min(1).max(64), z.number().int()]);
const Message = z.discriminatedUnion('op', [
  z.object({ id: MessageId, op: z.literal('fast') }).strict(),
  z.object({ id: MessageId, op: z.literal('hold'), seconds: z.number().gt(0).max(300) }).strict(),
]);
type Message = z.infer<typeof Message>;

export interface ErrorFrame {
  id: string | number | null;
  ok: false;
  error: { code: string; status: number; message: string; retryAfterSeconds?: number; pool?: PoolState };
}

/** Stable codes for the problems an operation can end in; clients switch on these, not on text. */
const CODE_OF_PROBLEM: Record<string, string> = {
  '/problems/pool-timeout': 'POOL_EXHAUSTED',
  '/problems/pool-queue-full': 'POOL_QUEUE_FULL',
  '/problems/database-unavailable': 'DATABASE_UNAVAILABLE',
  '/problems/operation-cancelled': 'OPERATION_CANCELLED',
  '/problems/circuit-open': 'CIRCUIT_OPEN',
  '/problems/pool-reset': 'POOL_RESET',
  '/problems/database-operation-failed': 'OPERATION_FAILED',
};

function errorFrame(id: ErrorFrame['id'], problem: Problem, code = CODE_OF_PROBLEM[problem.type] ?? 'INTERNAL_ERROR'): ErrorFrame {
  const { status, detail, retryAfterSeconds, pool } = problem;
  return { id, ok: false, error: { code, status, message: detail, ...(retryAfterSeconds !== undefined && { retryAfterSeconds }), ...(pool && { pool }) } };
}

function badRequest(id: ErrorFrame['id'], message: string): ErrorFrame {
  return { id, ok: false, error: { code: 'BAD_REQUEST', status: 400, message } };
}

/** Token from `Authorization: Bearer …` or, for browsers (which cannot set headers), `?token=…`. */
function tokenOf(request: IncomingMessage, url: URL): string {
  return bearerTokenOf(request.headers.authorization) ?? url.searchParams.get('token') ?? '';
}

/** Answers a refused upgrade with a plain HTTP problem+json response, then closes the socket. */
function refuseUpgrade(socket: Duplex, status: number, problem: Omit<Problem, 'status'>): void {
  const body = JSON.stringify({ ...problem, status, instance: WS_PATH });
  const headers = [
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}`,
    'Content-Type: application/problem+json',
    `Content-Length: ${Buffer.byteLength(body)}`,
    'Connection: close',
    ...(status === 401 ? ['WWW-Authenticate: Bearer'] : []),
    ...(problem.retryAfterSeconds ? [`Retry-After: ${problem.retryAfterSeconds}`] : []),
  ];
  socket.end(`${headers.join('\r\n')}\r\n\r\n${body}`);
}

/**
 * The backend's WebSocket at /ws: authenticated at the upgrade with a token from the auth
 * service, then JSON requests that need the database. Pool pressure answers an error frame with a
 * stable code and a retry hint; the socket stays open and keeps answering pings. Bad frames get an
 * error frame, oversized ones a 1009 close: never a crash. Sockets close (1001) when the app closes.
 */
export function attachWebSocket(app: FastifyInstance, manager: DatabaseConnectionManager, verifier: TokenVerifier): void {
  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_FRAME_BYTES, perMessageDeflate: false });
  let closing = false;

  const operations: Record<Message['op'], (message: Message) => Promise<Record<string, unknown>>> = {
    fast: async () => {
      const started = performance.now();
      await manager.withConnection((connection) => connection.query(FAST_READ));
      return { durationMs: performance.now() - started };
    },
    hold: async (message) => {
      const started = performance.now();
      const seconds = message.op === 'hold' ? message.seconds : 0;
      await manager.withConnection((connection) => connection.query(HOLD, [seconds]));
      return { heldSeconds: seconds, durationMs: performance.now() - started };
    },
  };

  function send(socket: WebSocket, frame: object): void {
    if (socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify(frame));
  }

  async function answer(socket: WebSocket, data: RawData, isBinary: boolean, inFlight: { count: number }): Promise<void> {
    if (isBinary) return send(socket, badRequest(null, 'frames must be JSON text, not binary'));
    let parsed: unknown;
    try {
      parsed = JSON.parse(data.toString());
    } catch {
      return send(socket, badRequest(null, 'the frame is not valid JSON'));
    }
    const id = MessageId.safeParse((parsed as { id?: unknown } | null)?.id).data ?? null;
    const message = Message.safeParse(parsed);
    if (!message.success) {
      const issues = message.error.issues.map((issue) => `${issue.path.join('.') || 'frame'}: ${issue.message}`).join('; ');
      return send(socket, badRequest(id, `expected {"id","op":"fast"} or {"id","op":"hold","seconds"}: ${issues}`));
    }
    if (inFlight.count >= MAX_IN_FLIGHT) {
      return send(socket, { id, ok: false, error: { code: 'TOO_MANY_IN_FLIGHT', status: 429, message: `at most ${MAX_IN_FLIGHT} requests per socket at once`, retryAfterSeconds: 1 } });
    }
    inFlight.count++;
    try {
      const result = await operations[message.data.op](message.data);
      send(socket, { id, ok: true, op: message.data.op, ...result });
    } catch (error) {
      const problem = problemFor(error, () => manager.liveState());
      if (problem.status >= 500 && !problem.retryAfterSeconds) app.log.error({ err: error }, 'websocket operation failed');
      send(socket, errorFrame(id, problem));
    } finally {
      inFlight.count--;
    }
  }

  function serve(socket: WebSocket, claims: TokenClaims): void {
    const inFlight = { count: 0 };
    // The socket lives no longer than its token: policy close (1008) when it expires.
    const expiry = setTimeout(() => socket.close(1008, 'token expired'), Math.min(2 ** 31 - 1, Math.max(0, claims.expiresAt.getTime() - Date.now())));
    expiry.unref();
    socket.on('close', () => clearTimeout(expiry));
    // ws reports an oversized or broken frame here, then closes (1009 / 1002): logged, never thrown.
    socket.on('error', (error) => app.log.warn({ code: (error as { code?: string }).code, reason: error.message }, 'websocket frame refused'));
    socket.on('message', (data, isBinary) => {
      answer(socket, data, isBinary, inFlight).catch((error: unknown) => app.log.error({ err: error }, 'websocket answer failed'));
    });
  }

  async function upgrade(request: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    socket.on('error', () => socket.destroy()); // a client that resets mid-handshake must not crash us
    const url = new URL(request.url ?? '/', 'http://backend');
    if (url.pathname !== WS_PATH) {
      return refuseUpgrade(socket, 404, { type: '/problems/not-found', title: 'Not found', detail: `No WebSocket endpoint at ${url.pathname}; use ${WS_PATH}.` });
    }
    if (closing) {
      return refuseUpgrade(socket, 503, { type: '/problems/shutting-down', title: 'Shutting down', detail: 'The service is shutting down. Please retry after 1 second(s).', retryAfterSeconds: 1 });
    }
    let claims: TokenClaims;
    try {
      claims = await verifier.verify(tokenOf(request, url));
    } catch (error) {
      const reason = error instanceof TokenRejectedError ? error.reason : 'the token could not be verified';
      const { status, ...problem } = invalidTokenProblem(reason);
      return refuseUpgrade(socket, status, problem);
    }
    wss.handleUpgrade(request, socket, head, (ws) => serve(ws, claims));
  }

  app.server.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    upgrade(request, socket, head).catch((error: unknown) => {
      app.log.error({ err: error }, 'websocket upgrade failed');
      socket.destroy();
    });
  });

  // preClose: open sockets would keep the HTTP server from closing.
  app.addHook('preClose', async () => {
    closing = true;
    const sockets = [...wss.clients];
    await Promise.all(
      sockets.map(
        (socket) =>
          new Promise<void>((resolve) => {
            const cut = setTimeout(() => socket.terminate(), CLOSE_GRACE_MS);
            socket.once('close', () => {
              clearTimeout(cut);
              resolve();
            });
            socket.close(1001, 'server shutting down');
          }),
      ),
    );
    await new Promise<void>((resolve) => wss.close(() => resolve()));
  });
}
