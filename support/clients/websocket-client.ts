import WebSocket from 'ws';
import { REQUEST } from '../timeouts';
import type { Problem } from './contract';
import type { Outcome } from './outcome';

/** A request frame as the backend's /ws takes it (README "WebSocket"). */
export type RequestFrame = { id: string; op: 'fast' } | { id: string; op: 'hold'; seconds: number };

export interface AnswerFrame {
  id: string | number | null;
  ok: boolean;
  op?: string;
  error?: { code: string; status: number; message: string; retryAfterSeconds?: number; pool?: Problem['pool'] };
}

/** The upgrade was answered with an HTTP status instead of a WebSocket (e.g. 401 for a bad token). */
export class WebSocketRefused extends Error {
  constructor(
    readonly status: number,
    readonly headers: Record<string, string>,
    readonly body: unknown,
  ) {
    super(`WebSocket upgrade refused with ${status}: ${JSON.stringify(body)}`);
  }
}


/**
 * A typed client for the backend's WebSocket. Every request resolves with the answer frame whose
 * id matches, or as "no answer" (status 0) if the socket closes or nothing comes in time; it never
 * throws, so each request can be accounted for like an HTTP one.
 */
export class WebSocketClient {
  readonly frames: AnswerFrame[] = [];
  private readonly listeners = new Set<(frame: AnswerFrame) => void>();
  private closeInfo: { code: number; reason: string } | undefined;
  readonly closed: Promise<{ code: number; reason: string }>;

  private constructor(private readonly socket: WebSocket) {
    socket.on('message', (data) => {
      let frame: AnswerFrame;
      try {
        frame = JSON.parse(String(data)) as AnswerFrame;
      } catch {
        frame = { id: null, ok: false, error: { code: 'UNREADABLE_FRAME', status: 0, message: String(data).slice(0, 200) } };
      }
      this.frames.push(frame);
      for (const listener of this.listeners) listener(frame);
    });
    this.closed = new Promise((resolve) =>
      socket.once('close', (code, reason) => {
        this.closeInfo = { code, reason: String(reason) };
        resolve(this.closeInfo);
      }),
    );
    socket.on('error', () => undefined); // the close that follows carries what matters
  }

  /** Opens `path` (/ws) on `baseUrl` with the token in an Authorization header (or `?token=`); rejects with WebSocketRefused. */
  static connect(baseUrl: string, token: string | undefined, via: 'header' | 'query' = 'header', path = '/ws'): Promise<WebSocketClient> {
    const url = new URL(path, baseUrl.replace(/^http/, 'ws'));
    if (token && via === 'query') url.searchParams.set('token', token);
    const headers = token && via === 'header' ? { Authorization: `Bearer ${token}` } : {};
    const socket = new WebSocket(url, { headers, handshakeTimeout: REQUEST.webSocketConnect });
    return new Promise((resolve, reject) => {
      socket.once('open', () => resolve(new WebSocketClient(socket)));
      socket.once('unexpected-response', (_request, response) => {
        let body = '';
        response.on('data', (chunk: Buffer) => (body += chunk));
        response.on('end', () => {
          const headers = Object.fromEntries(Object.entries(response.headers).map(([k, v]) => [k, String(v)]));
          let parsed: unknown = body;
          try {
            parsed = JSON.parse(body);
          } catch {
            // not JSON: keep the text
          }
          reject(new WebSocketRefused(response.statusCode ?? 0, headers, parsed));
          socket.terminate();
        });
      });
      socket.once('error', (error) => reject(error));
    });
  }

  get isOpen(): boolean {
    return this.socket.readyState === WebSocket.OPEN;
  }

  get closeCode(): number | undefined {
    return this.closeInfo?.code;
  }

  /** Sends a request and resolves with its answer, as an Outcome: status 200 for ok, the error's status otherwise. */
  request(frame: RequestFrame): Promise<Outcome> {
    const startedAt = Date.now();
    const started = performance.now();
    const outcome = (status: number, body: unknown, error: string | undefined): Outcome => {
      const ms = performance.now() - started;
      return { status, headers: {}, body, startedAt, finishedAt: startedAt + ms, ms, error };
    };
    return new Promise<Outcome>((resolve) => {
      const done = (result: Outcome): void => {
        this.listeners.delete(listener);
        clearTimeout(timer);
        resolve(result);
      };
      const listener = (answer: AnswerFrame): void => {
        if (answer.id !== frame.id) return;
        done(outcome(answer.ok ? 200 : (answer.error?.status ?? 0), answer, answer.ok ? undefined : answer.error?.code));
      };
      const timer = setTimeout(() => done(outcome(0, undefined, `no answer frame within ${REQUEST.webSocketAnswer} ms`)), REQUEST.webSocketAnswer);
      this.listeners.add(listener);
      void this.closed.then(({ code }) => done(outcome(0, undefined, `socket closed (${code}) before the answer`)));
      this.sendRaw(JSON.stringify(frame));
    });
  }

  /** Sends text or bytes as they are (for malformed and oversized frames). */
  sendRaw(data: string | Buffer): void {
    if (this.isOpen) this.socket.send(data);
  }

  /** The next frame that matches `predicate`, or undefined after `within` ms. */
  nextFrame(predicate: (frame: AnswerFrame) => boolean, within: number): Promise<AnswerFrame | undefined> {
    return new Promise((resolve) => {
      const listener = (frame: AnswerFrame): void => {
        if (!predicate(frame)) return;
        this.listeners.delete(listener);
        clearTimeout(timer);
        resolve(frame);
      };
      const timer = setTimeout(() => {
        this.listeners.delete(listener);
        resolve(undefined);
      }, within);
      this.listeners.add(listener);
    });
  }

  /** A protocol ping; resolves with the round trip in ms, or undefined when no pong came within `within`. */
  ping(within: number): Promise<number | undefined> {
    const started = performance.now();
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.socket.off('pong', onPong);
        resolve(undefined);
      }, within);
      const onPong = (): void => {
        clearTimeout(timer);
        resolve(performance.now() - started);
      };
      this.socket.once('pong', onPong);
      this.socket.ping();
    });
  }

  /** Closes normally and waits for the close (cut after a second). */
  async close(): Promise<void> {
    if (this.closeInfo) return;
    this.socket.close(1000, 'done');
    const cut = setTimeout(() => this.socket.terminate(), 1_000);
    await this.closed;
    clearTimeout(cut);
  }
}
