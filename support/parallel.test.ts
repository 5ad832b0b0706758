import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, it } from 'node:test';
import type * as messages from '@cucumber/messages';
import { loadSuiteSettings } from './suite-settings';
import { canRunBeside, parallelWorker, refusalToRunInParallel, RUNS_ALONE, workerDbPrefix } from './parallel';
import { loadTargetDescription } from './targets/description';
import { TargetDescriptionSchema } from './targets/schema';

const pickle = (name: string, ...tags: string[]) => ({ name, tags: tags.map((tag) => ({ name: tag, astNodeId: '' })) }) as unknown as messages.Pickle;
const alone = pickle('alone', '@tc5', RUNS_ALONE);
const other = pickle('other', '@tc1');
const worker = (id: string, total: number) => ({ CUCUMBER_PARALLEL: 'true', CUCUMBER_WORKER_ID: id, CUCUMBER_TOTAL_WORKERS: String(total) });

describe('parallel runs: who runs beside whom', () => {
  it('starts anything on an idle machine', () => {
    assert.equal(canRunBeside(alone, []), true);
    assert.equal(canRunBeside(other, []), true);
  });

  it('starts nothing beside a @runs-alone scenario, and no @runs-alone scenario beside another', () => {
    assert.equal(canRunBeside(other, [alone]), false);
    assert.equal(canRunBeside(alone, [other]), false);
    assert.equal(canRunBeside(alone, [alone]), false);
  });

  it('runs the others side by side', () => {
    assert.equal(canRunBeside(other, [pickle('a', '@tc2'), pickle('b', '@tc3')]), true);
  });
});

describe('parallel runs: a system per worker', () => {
  it('knows a worker from the variables cucumber gives it', () => {
    assert.deepEqual(parallelWorker(worker('1', 3)), { id: '1', total: 3 });
    assert.equal(parallelWorker({}), undefined);
  });

  it('gives each worker its own roles and databases on a shared server, and leaves the names alone elsewhere', () => {
    assert.equal(workerDbPrefix('poolsuite_', 'external', { id: '1', total: 2 }), 'poolsuite_w1_');
    assert.equal(workerDbPrefix('poolsuite_', 'embedded', { id: '1', total: 2 }), 'poolsuite_');
    assert.equal(workerDbPrefix('poolsuite_', 'external', { id: '0', total: 1 }), 'poolsuite_');
    assert.equal(workerDbPrefix('poolsuite_', 'external', undefined), 'poolsuite_');
    assert.equal(loadSuiteSettings({ TEST_ENV: 'external', DB_PREFIX: 'qa_', ...worker('0', 2) }).dbPrefix, 'qa_w0_');
  });

  it('refuses remote, where every worker would drive one deployment', () => {
    assert.match(refusalToRunInParallel({ id: '0', total: 2 }, 'remote') ?? '', /^TEST_ENV=remote cannot run in parallel: .*one deployment that all 2 workers would drive/);
    assert.equal(refusalToRunInParallel({ id: '0', total: 1 }, 'remote'), undefined);
    assert.equal(refusalToRunInParallel(undefined, 'remote'), undefined);
    for (const testEnv of ['embedded', 'external', 'docker']) assert.equal(refusalToRunInParallel({ id: '0', total: 2 }, testEnv), undefined, testEnv);
  });

  it('runs a described target on embedded (a PostgreSQL per worker); on one shared server only with roles of its own per worker ({{prefix}})', () => {
    const root = path.resolve(__dirname, '..');
    const { description } = loadTargetDescription('postgraphile', root);
    assert.equal(refusalToRunInParallel({ id: '0', total: 2 }, 'embedded', description), undefined);
    assert.match(refusalToRunInParallel({ id: '0', total: 2 }, 'external', description) ?? '', /^TARGET=postgraphile cannot run in parallel on TEST_ENV=external: its backend service's role \(pgl_app\) is one name/);
    assert.equal(refusalToRunInParallel({ id: '0', total: 2 }, 'external', loadTargetDescription('ours', root).description), undefined);
  });

  it('refuses a described target with a service already running, or a database of its own', () => {
    const { description } = loadTargetDescription('postgraphile', path.resolve(__dirname, '..'));
    const running = TargetDescriptionSchema.parse({ ...description, services: { backend: { ...description.services.backend, start: undefined, url: 'http://10.0.0.1:8080' } } });
    assert.match(refusalToRunInParallel({ id: '0', total: 2 }, 'embedded', running) ?? '', /its backend service is already running \(http:\/\/10\.0\.0\.1:8080\)/);
    const ownDatabase = TargetDescriptionSchema.parse({
      ...description,
      services: { backend: { ...description.services.backend, database: { ...description.services.backend.database, adminUrl: 'postgresql://x@db/postgres' } } },
    });
    assert.match(refusalToRunInParallel({ id: '0', total: 2 }, 'embedded', ownDatabase) ?? '', /its backend service's database is one the file names/);
  });
});
