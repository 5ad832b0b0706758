import { expect } from 'chai';
import { AuthClient, TEST_USER } from '../clients/auth-client';
import type { Outcome } from '../clients/outcome';
import { sendRaw } from '../clients/raw-http';
import type { HealthAnswer } from '../clients/service-client';
import { WebSocketClient, type AnswerFrame } from '../clients/websocket-client';
import type { Duration } from '../duration';
import { eventually } from '../eventually';
import { shapeOf, type PoolShape } from '../pool-shape';
import { ScenarioState } from '../scenario-state';
import type { ServiceName } from '../system-under-test';
import { FRAME_ANSWER_WITHIN_MS, WAIT } from '../timeouts';
import type { PoolWorld } from '../world';
import { BAD_FRAMES, BAD_HTTP_REQUESTS } from './bad-input-catalogue';
import { webSocketsOf } from './websocket-sessions';

/** What a service process said when it refused to start. */
export interface StartRefusal {
  service: ServiceName;
  variable: string;
  value: string;
  exitCode: number | null | undefined;
  line: string;
  ms: number;
}

/** What one bad-input scenario sent and got back. */
export interface BadInputEvidence {
  /** The service the bad input went to. */
  target?: ServiceName;
  /** Its pool shape just before. */
  shapeBefore?: PoolShape;
  refusal?: Outcome;
  startRefusal?: StartRefusal;
  /** A process that started although it should not have: its URL and what it was given. */
  startedAnyway?: string;
  frameAnswer?: AnswerFrame | undefined;
  /** The catalogue's request id of the bad frame, when it had one. */
  frameId?: string | null;
  closed?: { code: number; reason: string } | undefined;
  flood?: { ids: string[]; answers: AnswerFrame[] };
}

const evidence = new ScenarioState<BadInputEvidence>('no bad input', () => ({}));

export function badInputOf(world: PoolWorld): BadInputEvidence {
  return evidence.of(world);
}

async function rememberShape(world: PoolWorld, service: ServiceName): Promise<void> {
  const record = badInputOf(world);
  record.target = service;
  record.shapeBefore = shapeOf((await world.testApi(service).poolSnapshot()).config);
}

/** The pool shape a service reports now (to compare with the one before the bad input). */
export async function currentShape(world: PoolWorld, service: ServiceName): Promise<PoolShape> {
  return shapeOf((await world.testApi(service).poolSnapshot()).config);
}

// ---- HTTP ----------------------------------------------------------------------------------

/** Sends a malformed request from the catalogue exactly as written (tracked, so the After hook and the 500 check see it). */
export async function sendBadRequest(world: PoolWorld, phrase: string): Promise<Outcome> {
  const bad = BAD_HTTP_REQUESTS[phrase];
  if (!bad) throw new Error(`no bad request is called "${phrase}"`);
  await rememberShape(world, bad.service);
  const { baseUrl } = world.testApi(bad.service);
  const headers = { ...bad.request.headers, ...(bad.admin ? { authorization: `Bearer ${world.system.deployment.adminToken}` } : {}) };
  const refusal = await world.operations.start('bad input', () => sendRaw(baseUrl, { ...bad.request, headers })).result;
  badInputOf(world).refusal = refusal;
  return refusal;
}

/** One pool setting set to a value (JSON as written in the table: 0, 1.5, "ten", null) through the admin API. */
export async function setPoolSetting(world: PoolWorld, service: ServiceName, setting: string, valueJson: string): Promise<Outcome> {
  let value: unknown;
  try {
    value = JSON.parse(valueJson);
  } catch {
    throw new Error(`the value ${valueJson} in the table is not JSON (quote strings: "ten")`);
  }
  await rememberShape(world, service);
  const client = world.testApi(service);
  const refusal = await world.operations.start('bad input', () => client.sendPoolChange({ [setting]: value })).result;
  badInputOf(world).refusal = refusal;
  return refusal;
}

/** Another client of the service: the backend does a normal database operation, the auth service signs the test user in. */
export async function serveAnotherClient(world: PoolWorld, service: ServiceName): Promise<{ served: Outcome; health: HealthAnswer }> {
  const client = world.testApi(service);
  const served = await world.operations.start('another client', () =>
    service === 'backend' ? client.work('fast') : new AuthClient(client).login(TEST_USER.email, TEST_USER.password),
  ).result;
  return { served, health: await client.health() };
}

/** A second signed-in WebSocket client asks for a normal database operation. */
export async function serveAnotherWebSocketClient(world: PoolWorld): Promise<Outcome> {
  const token = await new AuthClient(world.testApi('auth')).token();
  const other = await WebSocketClient.connect(world.system.deployment.backendUrl, token);
  world.onCleanup(() => other.close());
  const answer = await world.operations.start('another WebSocket client', () => other.request({ id: 'another-client', op: 'fast' })).result;
  await other.close();
  return answer;
}

// ---- Configuration through the environment -------------------------------------------------

/**
 * Starts one more process of the service with one variable changed, the rest as the suite's own
 * instance has them. A process that starts listening anyway is stopped at once (the row fails later).
 */
export async function startServiceWith(world: PoolWorld, service: ServiceName, variable: string, value: string): Promise<void> {
  const spawn = world.system.deployment.spawnService;
  if (!spawn) throw new Error('this deployment does not let the suite start service processes (@needs-local-services)');
  const record = badInputOf(world);
  record.target = service;
  const started = performance.now();
  try {
    const instance = await spawn(service, { [variable]: value });
    record.startedAnyway = `${instance.url} with ${variable}=${JSON.stringify(value)}`;
    await instance.stop();
  } catch (error) {
    const { exitCode } = error as { exitCode?: number | null };
    record.startRefusal = { service, variable, value, exitCode, line: (error as Error).message, ms: Math.round(performance.now() - started) };
  }
}

// ---- WebSocket -----------------------------------------------------------------------------

/** Sends a bad frame from the catalogue on the scenario's socket and waits for the frame that answers it. */
export async function sendBadFrame(world: PoolWorld, phrase: string): Promise<void> {
  const bad = BAD_FRAMES[phrase];
  if (!bad) throw new Error(`no bad frame is called "${phrase}"`);
  const socket = webSocketsOf(world).webSocket;
  const record = badInputOf(world);
  record.target = 'backend';
  record.frameId = bad.id;
  const answer = socket.nextFrame(() => true, FRAME_ANSWER_WITHIN_MS);
  socket.sendRaw(bad.data);
  record.frameAnswer = await answer;
}

/** Sends one text frame of `kib` KiB on the scenario's socket. */
export function sendFrameOfSize(world: PoolWorld, kib: number): void {
  badInputOf(world).target = 'backend';
  webSocketsOf(world).webSocket.sendRaw(JSON.stringify({ id: 'big', op: 'fast', padding: 'x'.repeat(kib * 1024) }));
}

/** Waits (bounded) for the scenario's socket to be closed by the backend, and records how. */
export async function awaitSocketClose(world: PoolWorld): Promise<void> {
  const socket = webSocketsOf(world).webSocket;
  badInputOf(world).closed = await Promise.race([socket.closed, new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), FRAME_ANSWER_WITHIN_MS).unref())]);
}

/** Sends `count` hold requests on the scenario's socket at once and waits until each has an answer. */
export async function floodWithHolds(world: PoolWorld, count: number, hold: Duration): Promise<void> {
  const socket = webSocketsOf(world).webSocket;
  badInputOf(world).target = 'backend';
  const firstFrame = socket.frames.length;
  const ids = Array.from({ length: count }, (_, index) => `flood-${index + 1}`);
  for (const id of ids) socket.sendRaw(JSON.stringify({ id, op: 'hold', seconds: hold.seconds }));
  const flood = { ids, answers: [] as AnswerFrame[] };
  badInputOf(world).flood = flood;
  await eventually(() => {
    flood.answers = socket.frames.slice(firstFrame);
    const answered = new Set(flood.answers.map((frame) => frame.id));
    expect(ids.filter((id) => !answered.has(id)).length, `flood requests without an answer (socket open: ${socket.isOpen})`).to.equal(0);
  }, { within: hold.ms + WAIT.shortly });
}
