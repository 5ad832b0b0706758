import { expect } from 'chai';
import type { Outcome } from '../clients/outcome';
import { sendRaw } from '../clients/raw-http';
import type { AnswerFrame } from '../clients/websocket-client';
import type { Duration } from '../duration';
import { eventually } from '../eventually';
import { ScenarioState } from '../scenario-state';
import type { HealthReading } from '../targets/service-target';
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
  /** Its pool limits just before. */
  limitsBefore?: PoolLimitsSeen;
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

/** The pool's limits as the service reports them (its JSON or metrics): what a refused change must leave as they were. */
export interface PoolLimitsSeen {
  poolSize: number;
  capacity: number;
  maxOverflow: number | undefined;
  poolTimeoutSeconds: number | undefined;
  maxQueue: number | undefined;
}

async function rememberLimits(world: PoolWorld, service: ServiceName): Promise<void> {
  const record = badInputOf(world);
  record.target = service;
  record.limitsBefore = await currentLimits(world, service);
}

/** The pool limits a service reports now (to compare with the ones before the bad input). */
export async function currentLimits(world: PoolWorld, service: ServiceName): Promise<PoolLimitsSeen> {
  const { poolSize, capacity, maxOverflow, poolTimeoutSeconds, maxQueue } = await world.pool(service);
  return { poolSize, capacity, maxOverflow, poolTimeoutSeconds, maxQueue };
}

// ---- HTTP ----------------------------------------------------------------------------------

/** Sends a malformed request from the catalogue exactly as written (tracked, so the After hook and the 500 check see it); an administrator's through the pool-settings request. */
export async function sendBadRequest(world: PoolWorld, phrase: string): Promise<Outcome> {
  const bad = BAD_HTTP_REQUESTS[phrase];
  if (!bad) throw new Error(`no bad request is called "${phrase}"`);
  await rememberLimits(world, bad.service);
  const target = world.target(bad.service);
  const send = bad.admin ? () => world.ability(bad.service, 'poolAdmin')({ headers: bad.request.headers ?? {}, ...(bad.request.body === undefined ? {} : { body: bad.request.body }) }) : () => sendRaw(target.url, bad.request);
  const refusal = await world.operations.forService(bad.service).start('bad input', send).result;
  badInputOf(world).refusal = refusal;
  return refusal;
}

/** One pool setting set to a value (JSON as written in the table: 0, 1.5, "ten", null) through the pool-settings request. */
export async function setPoolSetting(world: PoolWorld, service: ServiceName, setting: string, valueJson: string): Promise<Outcome> {
  let value: unknown;
  try {
    value = JSON.parse(valueJson);
  } catch {
    throw new Error(`the value ${valueJson} in the table is not JSON (quote strings: "ten")`);
  }
  await rememberLimits(world, service);
  const poolAdmin = world.ability(service, 'poolAdmin');
  const refusal = await world.operations.forService(service).start('bad input', () => poolAdmin({ headers: { 'content-type': 'application/json' }, body: JSON.stringify({ [setting]: value }) })).result;
  badInputOf(world).refusal = refusal;
  return refusal;
}

/** Another client of the service: its request that needs the database, and its health check right after. */
export async function serveAnotherClient(world: PoolWorld, service: ServiceName): Promise<{ served: Outcome; health: HealthReading }> {
  const target = world.target(service);
  const served = await world.operations.forService(service).start('another client', () => target.sendRequest()).result;
  return { served, health: await target.health() };
}

/** A second signed-in WebSocket client asks for data that needs the database. */
export async function serveAnotherWebSocketClient(world: PoolWorld): Promise<Outcome> {
  const other = await world.target('backend').openWebSocket(await world.target('auth').token());
  world.onCleanup(() => other.close());
  const answer = await world.operations.forService('backend').start('another WebSocket client', () => other.askForData('another-client')).result;
  await other.close();
  return answer;
}

// ---- Configuration through the environment -------------------------------------------------

/**
 * Starts one more process of the service with one variable changed, the rest as the suite's own
 * instance has them. A process that starts listening anyway is stopped at once (the row fails later).
 */
export async function startServiceWith(world: PoolWorld, service: ServiceName, variable: string, value: string): Promise<void> {
  const spawn = world.ability(service, 'spawnInstance');
  const record = badInputOf(world);
  record.target = service;
  const started = performance.now();
  try {
    const instance = await spawn({ [variable]: value });
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
  const answer = socket.nextMessage(() => true, FRAME_ANSWER_WITHIN_MS);
  socket.sendRaw(bad.data);
  record.frameAnswer = (await answer) as AnswerFrame | undefined;
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
  const firstFrame = socket.messages.length;
  const ids = Array.from({ length: count }, (_, index) => `flood-${index + 1}`);
  for (const id of ids) socket.sendRaw(JSON.stringify({ id, op: 'hold', seconds: hold.seconds }));
  const flood = { ids, answers: [] as AnswerFrame[] };
  badInputOf(world).flood = flood;
  await eventually(() => {
    flood.answers = socket.messages.slice(firstFrame) as AnswerFrame[];
    const answered = new Set(flood.answers.map((frame) => frame.id));
    expect(ids.filter((id) => !answered.has(id)).length, `flood requests without an answer (socket open: ${socket.isOpen})`).to.equal(0);
  }, { within: hold.ms + WAIT.shortly });
}
