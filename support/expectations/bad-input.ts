import { expect } from 'chai';
import { AuthClient, TEST_USER } from '../clients/auth-client';
import { BAD_FRAMES, BAD_HTTP_REQUESTS } from '../clients/bad-input-catalogue';
import { poolLimitsOf, type PoolLimits, type Problem } from '../clients/contract';
import { describeOutcome, type Outcome } from '../clients/outcome';
import { sendRaw } from '../clients/raw-http';
import { sessionsOf } from '../clients/sessions';
import { WebSocketClient, type AnswerFrame } from '../clients/websocket-client';
import { WAIT, eventually } from '../eventually';
import type { ServiceName } from '../system-under-test';
import type { PoolWorld } from '../world';
import { PerScenario } from '../per-scenario';

/** An error frame for a bad frame comes at once: no database is involved. */
const FRAME_ANSWER_WITHIN_MS = 5_000;
/** The code the backend closes a socket with after a frame over its limit (RFC 6455: message too big). */
const MESSAGE_TOO_BIG = 1009;

/** What a service process said when it refused to start. */
interface StartRefusal {
  service: ServiceName;
  variable: string;
  value: string;
  exitCode: number | null | undefined;
  line: string;
  ms: number;
}

/** What one bad-input scenario sent and got back, per World (a WeakMap, so the World stays small). */
interface BadInputEvidence {
  /** The service the bad input went to. */
  target?: ServiceName;
  /** Its pool limits just before. */
  limitsBefore?: PoolLimits;
  refusal?: Outcome;
  startRefusal?: StartRefusal;
  /** A process that started although it should not have: its URL and what it was given. */
  startedAnyway?: string;
  frameAnswer?: AnswerFrame | undefined;
  /** The catalogue's request id of the bad frame, when it had one. */
  frameId?: string | null;
  flood?: { ids: string[]; answers: AnswerFrame[] };
}

const evidenceOf = new PerScenario<BadInputEvidence>('no bad input', () => ({}));

function evidence(world: PoolWorld): BadInputEvidence {
  return evidenceOf.of(world);
}

async function rememberLimits(world: PoolWorld, service: ServiceName): Promise<void> {
  const record = evidence(world);
  record.target = service;
  record.limitsBefore = poolLimitsOf((await world.client(service).poolSnapshot()).config);
}

// ---- HTTP ----------------------------------------------------------------------------------

/** Sends a malformed request from the catalogue exactly as written (tracked, so the After hook and the 500 check see it). */
export async function sendBadRequest(world: PoolWorld, phrase: string): Promise<Outcome> {
  const bad = BAD_HTTP_REQUESTS[phrase];
  if (!bad) throw new Error(`no bad request is called "${phrase}"`);
  await rememberLimits(world, bad.service);
  const { baseUrl } = world.client(bad.service);
  const headers = { ...bad.request.headers, ...(bad.admin ? { authorization: `Bearer ${world.system.deployment.adminToken}` } : {}) };
  const refusal = await world.operations.start('bad input', () => sendRaw(baseUrl, { ...bad.request, headers })).result;
  evidence(world).refusal = refusal;
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
  await rememberLimits(world, service);
  const client = world.client(service);
  const refusal = await world.operations.start('bad input', () => client.configurePool({ [setting]: value })).result;
  evidence(world).refusal = refusal;
  return refusal;
}

/** Refused with the status, as problem+json whose detail contains `says`; a 4xx, never a 5xx. */
export function expectRefusedWith(world: PoolWorld, status: number, says: string): Problem {
  const outcome = evidence(world).refusal;
  expect(outcome, 'a bad request was sent in this scenario').to.not.equal(undefined);
  const answer = `${describeOutcome(outcome!)}: ${JSON.stringify(outcome!.body)}`;
  expect(outcome!.status, answer).to.equal(status);
  expect(outcome!.status, 'bad input is the client\'s error: a 4xx').to.be.within(400, 499);
  expect(outcome!.headers['content-type'], 'content type').to.match(/^application\/problem\+json/);
  const problem = outcome!.body as Problem;
  expect(problem.status, 'problem status').to.equal(status);
  expect(problem.title, 'problem title').to.be.a('string').and.not.equal('');
  expect(problem.detail, 'the problem says what was wrong').to.be.a('string').and.include(says);
  return problem;
}

/** The refused change left every limit as it was (a partly applied change would show here). */
export async function expectLimitsUnchanged(world: PoolWorld, service: ServiceName): Promise<void> {
  const { limitsBefore, target } = evidence(world);
  expect(target, 'the service the bad input went to').to.equal(service);
  const now = poolLimitsOf((await world.client(service).poolSnapshot()).config);
  expect(now, `${service} pool limits after the refused change`).to.deep.equal(limitsBefore);
}

/**
 * Another client is served right after, and nothing in the scenario was answered with a 5xx:
 * the backend does a normal database operation, the auth service signs the test user in.
 */
export async function expectKeepsServing(world: PoolWorld, service: ServiceName): Promise<void> {
  const { target } = evidence(world);
  if (target) expect(target, 'the service the bad input went to').to.equal(service);
  const client = world.client(service);
  const served = await world.operations.start('another client', () =>
    service === 'backend' ? client.work('fast') : new AuthClient(client).login(TEST_USER.email, TEST_USER.password),
  ).result;
  expect(served.status, `another ${service} client: ${describeOutcome(served)} ${JSON.stringify(served.body)}`).to.equal(200);
  const health = await client.health();
  expect(health.status, `${service} /health: ${describeOutcome(health)}`).to.equal(200);
  // Stricter than the backpressure features' check: here not even a 503 is expected.
  const fiveHundreds = world.operations.answered().filter(({ outcome }) => outcome.status >= 500);
  expect(fiveHundreds.map(({ label, outcome }) => `${label}: ${outcome.status}`), 'answers with a 5xx').to.deep.equal([]);
}

// ---- Configuration through the environment -------------------------------------------------

/**
 * Starts one more process of the service with one variable changed, the rest as the suite's own
 * instance has them. A process that starts listening anyway is stopped at once (the row fails later).
 */
export async function startServiceWith(world: PoolWorld, service: ServiceName, variable: string, value: string): Promise<void> {
  const spawn = world.system.deployment.spawnService;
  if (!spawn) throw new Error('this deployment does not let the suite start service processes (@needs-local-services)');
  const record = evidence(world);
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

/**
 * Exit code 2 before listening, and one line: `<service>: invalid configuration: VARIABLE=…` with
 * what is allowed. A secret's value never appears in it; any other value does, so the operator sees it.
 */
export function expectStartRefused(world: PoolWorld, variable: string, allowed: string, secret: boolean): StartRefusal {
  const { startRefusal, startedAnyway } = evidence(world);
  expect(startedAnyway, 'a process that should have refused to start listened at').to.equal(undefined);
  expect(startRefusal, 'the process refused to start').to.not.equal(undefined);
  const { service, exitCode, line, value } = startRefusal!;
  expect(startRefusal!.variable, 'the variable that was set').to.equal(variable);
  expect(exitCode, `exit code (its last line: ${line})`).to.equal(2);
  expect(line, 'a single line').to.not.include('\n');
  expect(line, 'the line names the service and the variable').to.match(new RegExp(`^${service}: invalid configuration: ${variable}=`));
  expect(line, 'the line says what is allowed').to.include(allowed);
  if (secret) expect(line, 'the line never repeats a secret').to.not.include(value);
  else expect(line, 'the line shows the value refused').to.include(JSON.stringify(value));
  return { ...startRefusal!, value: secret ? '<not shown>' : value };
}

// ---- WebSocket -----------------------------------------------------------------------------

/** Sends a bad frame from the catalogue on the scenario's socket and waits for the frame that answers it. */
export async function sendBadFrame(world: PoolWorld, phrase: string): Promise<void> {
  const bad = BAD_FRAMES[phrase];
  if (!bad) throw new Error(`no bad frame is called "${phrase}"`);
  const socket = sessionsOf(world).webSocket;
  const record = evidence(world);
  record.target = 'backend';
  record.frameId = bad.id;
  const answer = socket.nextFrame(() => true, FRAME_ANSWER_WITHIN_MS);
  socket.sendRaw(bad.data);
  record.frameAnswer = await answer;
}

/** The bad frame was answered with an error frame: the code, the status, a message naming the problem, its id when it had one. */
export function expectErrorFrameSaying(world: PoolWorld, code: string, status: number, says: string): AnswerFrame {
  const { frameAnswer, frameId } = evidence(world);
  expect(frameAnswer, `an answer frame within ${FRAME_ANSWER_WITHIN_MS} ms`).to.not.equal(undefined);
  const frame = `frame ${JSON.stringify(frameAnswer)}`;
  expect(frameAnswer!.ok, frame).to.equal(false);
  expect(frameAnswer!.error?.code, frame).to.equal(code);
  expect(frameAnswer!.error?.status, frame).to.equal(status);
  expect(frameAnswer!.error?.message, `${frame}: says what was wrong`).to.be.a('string').and.include(says);
  expect(frameAnswer!.id, `${frame}: answers the request it refused`).to.equal(frameId ?? null);
  return frameAnswer!;
}

/** Sends one text frame of `kib` KiB on the scenario's socket. */
export function sendFrameOfSize(world: PoolWorld, kib: number): void {
  evidence(world).target = 'backend';
  sessionsOf(world).webSocket.sendRaw(JSON.stringify({ id: 'big', op: 'fast', padding: 'x'.repeat(kib * 1024) }));
}

/** The backend closed that socket with 1009 (message too big), by design. */
export async function expectClosedAsTooBig(world: PoolWorld): Promise<number> {
  const socket = sessionsOf(world).webSocket;
  const closed = await Promise.race([socket.closed, new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), FRAME_ANSWER_WITHIN_MS).unref())]);
  expect(closed, `the socket closed within ${FRAME_ANSWER_WITHIN_MS} ms`).to.not.equal(undefined);
  expect(closed!.code, `close code (reason "${closed!.reason}")`).to.equal(MESSAGE_TOO_BIG);
  return closed!.code;
}

/** Sends `count` hold requests on the scenario's socket at once and waits until each has an answer. */
export async function floodWithHolds(world: PoolWorld, count: number, holdMs: number): Promise<void> {
  const socket = sessionsOf(world).webSocket;
  evidence(world).target = 'backend';
  const firstFrame = socket.frames.length;
  const ids = Array.from({ length: count }, (_, index) => `flood-${index + 1}`);
  for (const id of ids) socket.sendRaw(JSON.stringify({ id, op: 'hold', seconds: holdMs / 1000 }));
  const flood = { ids, answers: [] as AnswerFrame[] };
  evidence(world).flood = flood;
  await eventually(() => {
    flood.answers = socket.frames.slice(firstFrame);
    const answered = new Set(flood.answers.map((frame) => frame.id));
    expect(ids.filter((id) => !answered.has(id)).length, `flood requests without an answer (socket open: ${socket.isOpen})`).to.equal(0);
  }, { within: holdMs + WAIT.shortly });
}

/**
 * Exactly one answer per request; `served` ran (ok), `refused` got TOO_MANY_IN_FLIGHT with 429 and a
 * retry hint, and nothing else came back.
 */
export function expectFloodAnswered(world: PoolWorld, served: number, refused: number): Record<string, number> {
  const flood = evidence(world).flood;
  expect(flood, 'a flood was sent in this scenario').to.not.equal(undefined);
  const perId = new Map<unknown, number>();
  for (const frame of flood!.answers) perId.set(frame.id, (perId.get(frame.id) ?? 0) + 1);
  const notOnce = flood!.ids.filter((id) => perId.get(id) !== 1).map((id) => `${id}: ${perId.get(id) ?? 0}`);
  expect(notOnce, 'requests not answered exactly once').to.deep.equal([]);
  expect(flood!.answers.length, 'answer frames (none for something that was not sent)').to.equal(flood!.ids.length);
  const byKind: Record<string, number> = {};
  for (const frame of flood!.answers) {
    const kind = frame.ok ? 'served' : (frame.error?.code ?? 'no code');
    byKind[kind] = (byKind[kind] ?? 0) + 1;
    if (!frame.ok) {
      expect(frame.error?.status, `refusal ${JSON.stringify(frame)}`).to.equal(429);
      expect(frame.error?.retryAfterSeconds, `refusal ${JSON.stringify(frame)}: retry hint`).to.be.a('number').and.at.least(1);
    }
  }
  expect(byKind, 'answers by kind').to.deep.equal({ served, ...(refused > 0 ? { TOO_MANY_IN_FLIGHT: refused } : {}) });
  return byKind;
}

/** A second signed-in WebSocket client and an HTTP client are both served, and nothing answered a 5xx. */
export async function expectKeepsServingOverWebSocket(world: PoolWorld): Promise<void> {
  const token = await new AuthClient(world.client('auth')).token();
  const other = await WebSocketClient.connect(world.system.deployment.backendUrl, token);
  world.onCleanup(() => other.close());
  const answer = await world.operations.start('another WebSocket client', () => other.request({ id: 'another-client', op: 'fast' })).result;
  expect(answer.status, `another WebSocket client: ${describeOutcome(answer)} ${JSON.stringify(answer.body)}`).to.equal(200);
  await other.close();
  await expectKeepsServing(world, 'backend');
}
