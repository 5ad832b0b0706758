import WebSocket from 'ws';
import { REQUEST } from '../timeouts';
import type { Problem } from './contract';
import type { Outcome } from './outcome';

/** How a service's own messages are read: which request a message answers, and what it says. */
export interface MessageReader {
  /** The id of the request this message answers (undefined: it answers none). */
  idOf(message: unknown): string | number | undefined;
  /** The message as an answer: its status (200 for success), and its error code when it is one. */
  outcomeOf(message: unknown, ms: number): { status: number; error: string | undefined };
}

/** How a service's WebSocket is spoken: how its messages are read, and the message that asks for data ({{id}} filled in). */
export interface MessageProtocol extends MessageReader {
  dataRequest(id: string): string;
}

/** Our services' frames ({"id","ok","error":{"code","status",…}}): the reader the house protocol (feature 09) uses. */
export const HOUSE_FRAMES: MessageProtocol = {
  dataRequest: (id) => JSON.stringify({ id, op: 'fast' }),
  idOf: (message) => (message as { id?: string | number } | undefined)?.id ?? undefined,
  outcomeOf: (message) => {
    const frame = message as { ok?: boolean; error?: { code?: string; status?: number } } | undefined;
    return frame?.ok ? { status: 200, error: undefined } : { status: frame?.error?.status ?? 0, error: frame?.error?.code ?? 'UNREADABLE_FRAME' };
  },
};

/** A frame of our services' house protocol, as feature 09 inspects it. */
export interface AnswerFrame {
  id: string | number | null;
  ok: boolean;
  op?: string;
  error?: { code: string; status: number; message: string; retryAfterSeconds?: number; pool?: Problem['pool'] };
}

/** The upgrade was answered with an HTTP status instead of a WebSocket (e.g. 401 or 403 for a bad token). */
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
 * A client for a service's WebSocket. Every request resolves with the message whose id matches (as
 * the service's reader finds it), or as "no answer" (status 0) if the socket closes or nothing
 * comes in time; it never throws, so each request can be accounted for like an HTTP one.
 */
export class WebSocketClient {
  /** Every message received, parsed as JSON where it is (text otherwise). */
  readonly messages: unknown[] = [];
  private readonly listeners = new Set<(message: unknown) => void>();
  private closeInfo: { code: number; reason: string } | undefined;
  readonly closed: Promise<{ code: number; reason: string }>;

  private constructor(
    private readonly socket: WebSocket,
    private readonly protocol: MessageProtocol,
  ) {
    socket.on('message', (data) => {
      let message: unknown;
      try {
        message = JSON.parse(String(data));
      } catch {
        message = String(data).slice(0, 2000);
      }
      this.messages.push(message);
      for (const listener of this.listeners) listener(message);
    });
    this.closed = new Promise((resolve) =>
      socket.once('close', (code, reason) => {
        this.closeInfo = { code, reason: String(reason) };
        resolve(this.closeInfo);
      }),
    );
    socket.on('error', () => undefined); // the close that follows carries what matters
  }

  /** Opens `url` with `headers`; rejects with WebSocketRefused when the upgrade is answered with an HTTP status. */
  static connect(url: URL, headers: Record<string, string>, protocol: MessageProtocol): Promise<WebSocketClient> {
    const socket = new WebSocket(url, { headers, handshakeTimeout: REQUEST.webSocketConnect });
    return new Promise((resolve, reject) => {
      socket.once('open', () => resolve(new WebSocketClient(socket, protocol)));
      socket.once('unexpected-response', (_request, response) => {
        let body = '';
        response.on('data', (chunk: Buffer) => (body += chunk));
        response.on('end', () => {
          const answerHeaders = Object.fromEntries(Object.entries(response.headers).map(([k, v]) => [k, String(v)]));
          let parsed: unknown = body;
          try {
            parsed = JSON.parse(body);
          } catch {
            // not JSON: keep the text
          }
          reject(new WebSocketRefused(response.statusCode ?? 0, answerHeaders, parsed));
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

  /** Asks for data that needs the database, in the service's own message, tracked by `id`. */
  askForData(id: string): Promise<Outcome> {
    return this.request(id, this.protocol.dataRequest(id));
  }

  /** Sends a request message and resolves with its answer as an Outcome (status 200 for success, the error's status otherwise). */
  request(id: string, text: string): Promise<Outcome> {
    const startedAt = Date.now();
    const started = performance.now();
    const outcome = (status: number, body: unknown, error: string | undefined): Outcome => {
      const ms = performance.now() - started;
      return { status, headers: {}, body, startedAt, finishedAt: startedAt + ms, ms, error, channel: 'websocket' };
    };
    return new Promise<Outcome>((resolve) => {
      const done = (result: Outcome): void => {
        this.listeners.delete(listener);
        clearTimeout(timer);
        resolve(result);
      };
      const listener = (message: unknown): void => {
        if (String(this.protocol.idOf(message)) !== id) return;
        const read = this.protocol.outcomeOf(message, performance.now() - started);
        done(outcome(read.status, message, read.error));
      };
      const timer = setTimeout(() => done(outcome(0, undefined, `no answer message within ${REQUEST.webSocketAnswer} ms`)), REQUEST.webSocketAnswer);
      this.listeners.add(listener);
      void this.closed.then(({ code }) => done(outcome(0, undefined, `socket closed (${code}) before the answer`)));
      this.sendRaw(text);
    });
  }

  /** Sends text or bytes as they are (for malformed and oversized frames). */
  sendRaw(data: string | Buffer): void {
    if (this.isOpen) this.socket.send(data);
  }

  /** The next message that matches `predicate`, or undefined after `within` ms. */
  nextMessage(predicate: (message: unknown) => boolean, within: number): Promise<unknown> {
    return new Promise((resolve) => {
      const listener = (message: unknown): void => {
        if (!predicate(message)) return;
        this.listeners.delete(listener);
        clearTimeout(timer);
        resolve(message);
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
