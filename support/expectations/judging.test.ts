/**
 * The checks judge the plan's words and the standards' detail, never one service's style. Each test
 * here is a false alarm the suite once raised on a careful service that was not ours (a FastAPI +
 * SQLAlchemy one): it goes red if the over-fit comes back. And each house rule still holds where a
 * description declares it (ours: targets/ours.yaml).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodeProtectedHeader, jwtVerify, SignJWT } from 'jose';
import type { Outcome } from '../clients/outcome';
import { WebSocketRefused } from '../clients/websocket-client';
import { Duration } from '../duration';
import { mapHealth } from '../targets/health-reader';
import { refusalRulesOf } from '../targets/refusal-rules';
import type { RefusalsDescription } from '../targets/schema';
import { planSettings, settingsFrom } from '../targets/settings';
import { TokenMaker } from '../targets/token-maker';
import { webSocketRulesOf } from '../targets/websocket-speaker';
import { refusalKindOf } from './accounting';
import { expectHttpUnauthorized, expectLoginsAnswered } from './auth';
import { expectBackpressure, expectOneFormat, expectTimedOutAtPoolTimeout, retryAfterSeconds } from './backpressure';
import { expectUpgradeRefused } from './websocket';
import { valueAt } from '../targets/json-path';

const answer = (status: number, headers: Record<string, string>, body: unknown, ms = 5): Outcome => ({ status, headers, body, startedAt: 0, finishedAt: ms, ms, error: undefined });
const settings = settingsFrom({ poolSize: 2, maxOverflow: 1, poolTimeout: '2 seconds', maxQueue: 2 });
/** What a description that says nothing about refusals gets: the plan's standard alone. */
const DEFAULTS: RefusalsDescription = { format: 'any', fields: [], timedOut: { fields: {} }, queueFull: { fields: {} }, breakerOpen: { fields: {} }, databaseDown: { fields: {} }, namesDatabaseCause: false };
/** A FastAPI service's RFC 9457 refusals: snake_case, its own type URIs, no prose about retrying. */
const fastApiProblem = (status: number) =>
  answer(status, { 'content-type': 'application/problem+json', 'retry-after': '2' }, { type: 'https://example.test/errors/db-pool', title: 'Database busy', status, detail: 'All database connections are in use.', retry_after: 2 }, status === 503 ? 2010 : 3);
/** Our services' house rules, as targets/ours.yaml declares them. */
const OURS: RefusalsDescription = {
  ...DEFAULTS,
  format: 'problem+json',
  message: 'detail',
  retryAfter: 'retryAfterSeconds',
  fields: ['pool.active', 'pool.waiting'],
  timedOut: { status: 503, type: '/problems/pool-timeout', fields: { 'pool.poolTimeoutSeconds': '{{poolTimeoutSeconds}}' } },
  queueFull: { status: 429, type: '/problems/pool-queue-full', fields: { 'pool.maxQueue': '{{maxQueue}}' } },
};

describe('backpressure is judged by the plan and RFC 9110 / 9457, not by our services\' style', () => {
  it('a refusal whose body has no prose about retrying, in its own field names, but a correct Retry-After: met', () => {
    const rules = refusalRulesOf({ ...DEFAULTS, format: 'problem+json' });
    assert.equal(expectBackpressure(fastApiProblem(429), 'queueFull', rules, settings).retryAfterSeconds, 2);
    expectTimedOutAtPoolTimeout(fastApiProblem(503), rules, settings, { earlyMs: 100, lateMs: 1500 });
  });

  it('a refusal in any body (framework defaults) is judged on its status and Retry-After only; its format check is not judged', () => {
    const rules = refusalRulesOf(DEFAULTS);
    expectBackpressure(answer(503, { 'retry-after': '1', 'content-type': 'text/plain' }, 'busy'), 'timedOut', rules, settings);
    assert.throws(() => expectOneFormat([fastApiProblem(503), fastApiProblem(429)], () => 'timedOut', rules, settings), { name: 'NotOffered' });
  });

  it('Retry-After as an HTTP-date (RFC 9110 §10.2.3) counts, measured from the answer\'s Date', () => {
    const date = 'Sun, 06 Dec 2026 20:00:00 GMT';
    assert.equal(retryAfterSeconds(answer(503, { 'retry-after': 'Sun, 06 Dec 2026 20:00:03 GMT', date }, undefined)), 3);
    assert.equal(retryAfterSeconds(answer(503, { 'retry-after': 'soon' }, undefined)), undefined);
  });

  it('still fails what the plan forbids: no Retry-After, a 500, a stack trace for a message', () => {
    const rules = refusalRulesOf({ ...DEFAULTS, format: 'problem+json' });
    assert.throws(() => expectBackpressure(answer(503, { 'content-type': 'application/problem+json' }, { title: 'x', detail: 'All connections are busy.' }), 'timedOut', rules, settings), /Retry-After/);
    assert.throws(() => expectBackpressure(answer(500, { 'retry-after': '1' }, 'Internal Server Error'), 'timedOut', rules, settings), /status of the refusal/);
    const traced = answer(503, { 'content-type': 'application/problem+json', 'retry-after': '1' }, { detail: 'Traceback (most recent call last):\n  File "app.py", line 3' });
    assert.throws(() => expectBackpressure(traced, 'timedOut', rules, settings), /stack trace/);
  });

  it('a service that declares which status it uses for what is held to it; one that does not may use either', () => {
    assert.throws(() => expectBackpressure(fastApiProblem(503), 'queueFull', refusalRulesOf(OURS), settings), /status of the refusal/);
    expectBackpressure(fastApiProblem(503), 'queueFull', refusalRulesOf({ ...DEFAULTS, format: 'problem+json' }), settings);
  });

  it('tells a full queue from a timed-out wait by status where the service uses one for each, by timing where it uses either', () => {
    const ours = refusalRulesOf(OURS);
    const either = refusalRulesOf(DEFAULTS);
    assert.equal(refusalKindOf(answer(503, {}, undefined, 3), ours, settings), 'timedOut');
    assert.equal(refusalKindOf(answer(503, {}, undefined, 3), either, settings), 'queueFull');
    assert.equal(refusalKindOf(answer(503, {}, undefined, 2005), either, settings), 'timedOut');
    assert.equal(refusalKindOf(answer(500, {}, undefined, 2005), either, settings), undefined);
  });

  it('our house rules still hold where targets/ours.yaml declares them: the type, the fields and their values', () => {
    const rules = refusalRulesOf(OURS);
    const ours = answer(503, { 'content-type': 'application/problem+json', 'retry-after': '2' }, { type: '/problems/pool-timeout', title: 't', status: 503, detail: 'No connection became free.', retryAfterSeconds: 2, pool: { active: 3, waiting: 0, poolTimeoutSeconds: 2 } }, 2010);
    expectTimedOutAtPoolTimeout(ours, rules, settings, { earlyMs: 100, lateMs: 1500 });
    assert.throws(() => expectTimedOutAtPoolTimeout({ ...ours, body: { ...(ours.body as object), pool: { active: 3, waiting: 0, poolTimeoutSeconds: 30 } } }, rules, settings, { earlyMs: 100, lateMs: 1500 }), /pool\.poolTimeoutSeconds/);
    assert.throws(() => expectBackpressure(fastApiProblem(503), 'timedOut', rules, settings), /retryAfterSeconds|problem type/);
  });
});

describe('tokens and WebSocket refusals: RFC 6750 / 6455 and the service\'s own algorithm', () => {
  const secret = 'local-test-secret-of-the-python-auth';
  const hs256 = () => new SignJWT({ sub: 'qa@example.test' }).setProtectedHeader({ alg: 'HS256', typ: 'JWT' }).setIssuedAt().setExpirationTime('15m').sign(Buffer.from(secret));

  it('an HS256 service: a token signed by another key is an HS256 token the service\'s secret does not verify', async () => {
    const maker = new TokenMaker('auth (python)', { algorithm: 'HS256', refusal: { status: [401, 403], headers: {}, reasons: {} } }, () => secret, undefined);
    const other = await maker.make('a token signed by another key', hs256);
    assert.equal(decodeProtectedHeader(other).alg, 'HS256');
    await assert.rejects(jwtVerify(other, Buffer.from(secret)), /signature verification failed/);
  });

  it('an HS256 service with its secret described: an expired token is made for it, and its secret verifies all but the expiry', async () => {
    const maker = new TokenMaker('auth (python)', { algorithm: 'HS256', secret: '{{secret:jwt}}', refusal: { status: [401, 403], headers: {}, reasons: {} } }, () => secret, undefined);
    assert.equal(maker.canMakeExpired, true);
    await assert.rejects(jwtVerify(await maker.make('an expired token', hs256), Buffer.from(secret)), /"exp" claim timestamp check failed/);
  });

  it('an EdDSA service without a way to sign: an expired token cannot be made, said as such (never a crash)', async () => {
    const maker = new TokenMaker('auth (x)', { algorithm: 'EdDSA', refusal: { status: [401, 403], headers: {}, reasons: {} } }, () => undefined, undefined);
    assert.equal(maker.canMakeExpired, false);
    await assert.rejects(maker.make('an expired token', hs256), { name: 'NotOffered' });
  });

  it('a 403 refusal over HTTP is unauthorized too; a 401 must carry WWW-Authenticate (RFC 9110)', () => {
    const rules = { statuses: [401, 403], headers: {}, type: undefined, reason: undefined, reasons: {} };
    expectHttpUnauthorized(answer(403, { 'content-type': 'application/json' }, { detail: 'Not authenticated' }), rules);
    expectHttpUnauthorized(answer(401, { 'www-authenticate': 'Bearer' }, { detail: 'Could not validate credentials' }), rules);
    assert.throws(() => expectHttpUnauthorized(answer(401, {}, {}), rules), /WWW-Authenticate/);
    assert.throws(() => expectHttpUnauthorized(answer(200, {}, {}), rules), /token check's answer/);
  });

  it('a WebSocket upgrade refused with 403 and no body (Starlette closing before accept), or accepted and closed with 1008: both refusals', () => {
    const rules = webSocketRulesOf({ path: '/ws', token: 'header', request: '{"id":"{{id}}"}', answer: { id: 'request_id', error: 'error' }, codes: {}, errorFields: [], refusal: { status: [401, 403], closeCodes: [1008], headers: {} } });
    expectUpgradeRefused({ refused: new WebSocketRefused(403, {}, '') }, rules);
    expectUpgradeRefused({ opened: true, closeCode: 1008 }, rules);
    assert.throws(() => expectUpgradeRefused({ opened: true, closeCode: undefined }, rules), /accepted/);
  });

  it('a login answer that keeps its token as access_token, refused logins in the service\'s own format: judged', () => {
    const logins = [answer(200, {}, { access_token: 'a.b.c', token_type: 'bearer' }), fastApiProblem(429)];
    const rules = refusalRulesOf({ ...DEFAULTS, format: 'problem+json' });
    assert.deepEqual(expectLoginsAnswered(logins, (login) => valueAt(login.body, 'access_token') as string | undefined, rules, settings), { succeeded: 1, refused: 1 });
  });
});

describe('health by the description\'s mapping', () => {
  it('a health that only ever says ok maps to healthy, never to warning or critical: those checks are then judged, and not met', () => {
    const onlyOk = { path: '/health', byStatus: { healthy: [200], warning: [], critical: [] } };
    assert.equal(mapHealth(onlyOk, answer(200, {}, { status: 'ok' })).status, 'healthy');
    assert.equal(mapHealth(onlyOk, answer(503, {}, {})).status, undefined);
  });

  it('a field\'s words, and (a house rule) the content type and HTTP status each word comes with', () => {
    const health = { path: '/health', field: 'status', healthy: ['ok'], warning: ['warning'], critical: ['critical'], convention: { contentType: 'application/health+json', httpStatus: { healthy: 200, warning: 200, critical: 503 } } };
    assert.deepEqual(mapHealth(health, answer(503, { 'content-type': 'application/health+json' }, { status: 'critical' })), { status: 'critical', expectedHttpStatus: 503 });
    assert.equal(mapHealth(health, answer(200, { 'content-type': 'application/json' }, { status: 'ok' })).status, undefined);
    assert.equal(mapHealth({ ...health, convention: undefined }, answer(200, { 'content-type': 'application/json' }, { status: 'ok' })).status, 'healthy');
  });
});

describe('settings a scenario asks of a service that lacks them', () => {
  it('a pool without a timeout or a queue bound runs as it is, and the report says so', () => {
    const knobs = { capacityOnly: false, of: { poolSize: { kind: 'settable' }, maxOverflow: { kind: 'settable' }, poolTimeout: { kind: 'lacking', what: 'waits without bound' }, maxQueue: { kind: 'lacking', what: 'unbounded' }, leakThreshold: { kind: 'lacking', what: 'its own' }, leakReclaim: { kind: 'lacking', what: 'its own' }, traceCheckouts: { kind: 'lacking', what: 'its own' }, recoverAfter: { kind: 'lacking', what: 'its own' }, longStatementLimit: { kind: 'settable' }, breakerFailures: { kind: 'lacking', what: 'its own' }, breakerHalfOpenAfter: { kind: 'lacking', what: 'its own' } } } as const;
    const { next, departures } = planSettings('python', knobs, settings, { poolTimeout: Duration.ofSeconds(5), maxQueue: 3, longStatementLimit: Duration.ofSeconds(1), recoverAfter: Duration.ofSeconds(2) });
    assert.equal(next.poolTimeout.isBounded, false);
    assert.equal(next.longStatementLimit?.seconds, 1);
    assert.equal(departures.length, 3);
    assert.match(departures.join('\n'), /no pool timeout.*\n.*no queue limit.*\n.*no setting for a time after which a stuck pool recovers by itself/);
  });
});
