import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import WebSocket from 'ws';
import { TokenIssuer } from '../auth/tokens';
import { DatabaseConnectionManager } from '../pool';
import { TestDatabase } from '../testing/test-database';
import { buildBackendApp } from './app';
import { MAX_FRAME_BYTES } from './websocket';

const ADMIN_TOKEN = 'test-admin-token-0123456789'; // local test default
let db: TestDatabase;
let manager: DatabaseConnectionManager;
let issuer: TokenIssuer;
let app: FastifyInstance;
let wsUrl: string;
let token: string;

before(async () => {
  db = await TestDatabase.start();
  manager = new DatabaseConnectionManager('backend', db.config({ poolSize: 1, maxOverflow: 0, poolTimeoutSeconds: 0.3, maxQueue: 1 }));
  await manager.start();
  issuer = await TokenIssuer.create(60);
  token = (await issuer.issue('1', 'qa@example.test')).token;
  app = buildBackendApp({ http: { host: '127.0.0.1', port: 0, adminToken: ADMIN_TOKEN, logLevel: 'warn' }, database: db.config(), faultInjection: false }, manager, {
    tokenVerifier: { verify: (t) => issuer.verify(t) },
  });
  wsUrl = (await app.listen({ host: '127.0.0.1', port: 0 })).replace(/^http/, 'ws') + '/ws';
});
after(async () => {
  await app.close();
  await manager.close();
  await db.stop();
});

/** Opens a socket; resolves with it, or with the HTTP status the upgrade was refused with. */
function open(headers: Record<string, string> = { authorization: `Bearer ${token}` }, url = wsUrl): Promise<WebSocket | number> {
  const socket = new WebSocket(url, { headers });
  return new Promise((resolve, reject) => {
    socket.once('open', () => resolve(socket));
    socket.once('unexpected-response', (_request, response) => {
      resolve(response.statusCode ?? 0);
      socket.terminate();
    });
    socket.once('error', reject);
  });
}

async function openSocket(): Promise<WebSocket> {
  const socket = await open();
  assert.ok(socket instanceof WebSocket, `upgrade refused with ${String(socket)}`);
  return socket;
}

function nextFrame(socket: WebSocket): Promise<Record<string, any>> {
  return new Promise((resolve) => socket.once('message', (data) => resolve(JSON.parse(String(data)))));
}

async function ask(socket: WebSocket, frame: unknown): Promise<Record<string, any>> {
  const answer = nextFrame(socket);
  socket.send(typeof frame === 'string' ? frame : JSON.stringify(frame));
  return answer;
}

const closed = (socket: WebSocket) => new Promise<number>((resolve) => socket.once('close', (code) => resolve(code)));

describe('backend WebSocket', () => {
  it('refuses an upgrade without a valid token with 401', async () => {
    assert.equal(await open({}), 401);
    assert.equal(await open({ authorization: 'Bearer not.a.token' }), 401);
    const expired = (await issuer.issue('1', 'qa@example.test', -5)).token;
    assert.equal(await open({ authorization: `Bearer ${expired}` }), 401);
    const other = await TokenIssuer.create(60);
    assert.equal(await open({ authorization: `Bearer ${(await other.issue('1', 'qa@example.test')).token}` }), 401);
  });

  it('accepts the token as ?token= too, and answers a request that needs the database', async () => {
    const socket = await open({}, `${wsUrl}?token=${token}`);
    assert.ok(socket instanceof WebSocket);
    const answer = await ask(socket, { id: 'a', op: 'fast' });
    assert.equal(answer.ok, true);
    assert.equal(answer.id, 'a');
    socket.close();
  });

  it('answers pool pressure with error frames, stays open and answers pings', async () => {
    const socket = await openSocket();
    const held = await manager.pool.acquire();
    try {
      const timedOut = await ask(socket, { id: '1', op: 'fast' });
      assert.equal(timedOut.ok, false);
      assert.equal(timedOut.error.code, 'POOL_EXHAUSTED');
      assert.equal(timedOut.error.status, 503);
      assert.equal(timedOut.error.retryAfterSeconds, 1);
      assert.equal(timedOut.error.pool.poolTimeoutSeconds, 0.3);
      // One waits (queue of one), the next is refused at once.
      const waiting = new Promise<Record<string, any>>((resolve) => {
        const onMessage = (data: WebSocket.RawData) => {
          const frame = JSON.parse(String(data));
          if (frame.id === '2') resolve(frame);
        };
        socket.on('message', onMessage);
      });
      socket.send(JSON.stringify({ id: '2', op: 'fast' }));
      while (manager.pool.waitingCount < 1) await new Promise((resolve) => setImmediate(resolve));
      const refused = await ask(socket, { id: '3', op: 'fast' });
      assert.equal(refused.error.code, 'POOL_QUEUE_FULL');
      assert.equal(refused.error.status, 429);
      assert.equal(refused.error.pool.maxQueue, 1);
      assert.equal((await waiting).error.code, 'POOL_EXHAUSTED');
      const pong = new Promise((resolve) => socket.once('pong', resolve));
      socket.ping();
      await pong;
      assert.equal(socket.readyState, WebSocket.OPEN);
    } finally {
      held.release();
    }
    assert.equal((await ask(socket, { id: '4', op: 'fast' })).ok, true);
    socket.close();
  });

  it('answers malformed frames with BAD_REQUEST and closes on oversized ones with 1009, never crashing', async () => {
    const socket = await openSocket();
    assert.equal((await ask(socket, '{not json')).error.code, 'BAD_REQUEST');
    assert.equal((await ask(socket, { id: 'x', op: 'drop-tables' })).error.code, 'BAD_REQUEST');
    assert.equal((await ask(socket, { id: 'y', op: 'hold', seconds: -1 })).id, 'y');
    const binary = nextFrame(socket);
    socket.send(Buffer.from([1, 2, 3]));
    assert.equal((await binary).error.code, 'BAD_REQUEST');
    const code = closed(socket);
    socket.send('x'.repeat(MAX_FRAME_BYTES + 1));
    assert.equal(await code, 1009);
    const again = await openSocket();
    assert.equal((await ask(again, { id: 'z', op: 'fast' })).ok, true);
    again.close();
  });
});

describe('backend WebSocket at shutdown', () => {
  it('closes open sockets with 1001 and lets the app close promptly', async () => {
    const socket = await openSocket();
    const code = closed(socket);
    const started = Date.now();
    await app.close();
    assert.equal(await code, 1001);
    assert.ok(Date.now() - started < 3000, `closed in ${Date.now() - started} ms`);
  });
});
