import type { ChildProcess } from 'node:child_process';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { JobwatchClient } from '../../src/client/jobwatch-client.ts';
import { findResult } from '../../src/db/results.ts';
import type { RunningServer } from '../../src/wiring/start-server.ts';
import { request, startTestServer } from '../helpers/http.ts';
import { createIsolation, type Isolated } from '../helpers/isolation.ts';
import { METADATA_ORIGIN, startOperationServices, type OperationServices } from '../helpers/operation-services.ts';
import { writeSourcesFile, type SourcesFile } from '../helpers/sources-file.ts';
import { waitFor } from '../helpers/wait.ts';
import { exited, spawnWorker, testClient } from '../helpers/workers.ts';

/**
 * Operations through real `jobwatch worker` processes, against fake job services written from
 * their specifications (test/helpers/operation-services.ts): jobwatch sends the start request with
 * an idempotency key, reads what each style answers, and watches it to the end.
 */
let services: OperationServices;
let sources: SourcesFile;

function sourcesOf(fakes: OperationServices): Record<string, unknown> {
  return {
    'render-202': { start: { url: fakes.http202.startUrl }, convention: 'http-202' },
    'azure-op': { start: { url: fakes.azure.startUrl }, convention: 'azure-operation' },
    'body-id': {
      start: { url: fakes.bodyId.startUrl, jobIdPath: 'id' }, url: fakes.bodyId.pollTemplate,
      statusPath: 'status', running: ['Processing'], completed: ['Completed'], failed: ['Failed'],
    },
    'sync': { start: { url: fakes.sync.startUrl }, convention: 'http-202' },
  };
}

beforeAll(async () => {
  services = await startOperationServices({ retryAfter: null, runningPolls: 1 });
  sources = writeSourcesFile(sourcesOf(services));
});

afterAll(async () => {
  await services?.close();
  sources?.remove();
});

describe('operations, with two workers', () => {
  let iso: Isolated;
  let client: JobwatchClient;
  let workers: ChildProcess[] = [];
  let server: RunningServer;
  const env = () => ({ JOBWATCH_SOURCES: sources.path });

  beforeAll(async () => {
    iso = await createIsolation();
    workers = [spawnWorker(iso.env(env())), spawnWorker(iso.env(env()))];
    client = testClient(iso, env());
    server = await startTestServer(iso, env());
  });

  afterAll(async () => {
    await client?.close();
    await server?.close();
    for (const worker of workers) {
      worker.kill('SIGTERM');
      await exited(worker);
    }
    await iso?.cleanup();
  });

  const row = (monitorId: string) => waitFor(() => findResult(iso.database.db, monitorId), { what: `the row of ${monitorId}` });

  it('a 202 with Location (http-202): started once with an Idempotency-Key, watched at the Location, completed', async () => {
    const { monitor, created } = await client.startOperation({ source: 'render-202', monitorId: 'op-202', request: { body: { scene: 7 } }, interval: 100 });
    expect(created).toBe(true);
    expect(monitor).toMatchObject({ monitorId: 'op-202', jobId: null, state: 'starting' });
    const record = await row('op-202');
    expect(record).toMatchObject({ outcome: 'completed', jobId: null, source: 'render-202' });
    expect(record.operation).toMatchObject({ answer: { status: 202, watching: expect.stringMatching(/\/async\/jobs\/job-\d+\/status$/) } });
    const [start] = services.http202.starts();
    expect(services.http202.startCount()).toBe(1);
    expect(start!.key).toMatch(/^jobwatch-[0-9a-f]{40}$/);
    expect(JSON.parse(start!.body)).toEqual({ scene: 7 });
  });

  it('an Azure Operation-Location: watched with the query it carries, Succeeded', async () => {
    await client.startOperation({ source: 'azure-op', monitorId: 'op-azure', interval: 100 });
    const record = await row('op-azure');
    expect(record.outcome).toBe('completed');
    expect((record.operation as { answer: { watching: string } }).answer.watching).toContain('api-version=');
    expect(services.azure.startCount()).toBe(1);
  });

  it('a 201 with the job id in its body: polled at the source URL with that id', async () => {
    await client.startOperation({ source: 'body-id', monitorId: 'op-body', interval: 100 });
    const record = await row('op-body');
    expect(record).toMatchObject({ outcome: 'completed', jobId: expect.stringMatching(/^job-\d+$/) });
    expect(services.bodyId.polls(record.jobId!)).toBeGreaterThanOrEqual(2);
  });

  it('a synchronous 200: completed at once, with the body as its output, and never polled', async () => {
    await client.startOperation({ source: 'sync', monitorId: 'op-sync' });
    const record = await row('op-sync');
    expect(record).toMatchObject({ outcome: 'completed', jobId: null, polls: 1 });
    expect(record.detail).toMatchObject({ via: 'start', output: { result: expect.anything() } });
    expect(services.sync.polls()).toBe(0);
  });

  it('a Location of another origin, or of the metadata address, fails the operation and is never requested', async () => {
    services.http202.locationOrigin(services.otherOrigin.url);
    try {
      await client.startOperation({ source: 'render-202', monitorId: 'op-elsewhere', interval: 100 });
      const record = await row('op-elsewhere');
      expect(record.outcome).toBe('failed');
      expect(record.jobId).toBeNull();
      expect((record.detail as { start: { reason: string } }).start.reason).toMatch(/neither the start URL's origin nor in the source's allowedOrigins/);
      expect(services.otherOrigin.count()).toBe(0);
      services.http202.locationOrigin(METADATA_ORIGIN);
      await client.startOperation({ source: 'render-202', monitorId: 'op-metadata', interval: 100 });
      expect((await row('op-metadata')).outcome).toBe('failed');
    } finally {
      services.http202.locationOrigin(null);
    }
  });

  it('a 4xx start fails the operation with detail.start; a 5xx is retried with the same key until it is taken', async () => {
    services.bodyId.failStarts(1, 400, { body: { error: 'scene is missing' } });
    await client.startOperation({ source: 'body-id', monitorId: 'op-400', interval: 100 });
    const refused = await row('op-400');
    expect(refused).toMatchObject({ outcome: 'failed', jobId: null });
    expect(refused.detail).toMatchObject({ start: { status: 400, body: { error: 'scene is missing' }, reason: expect.stringMatching(/refused/) } });

    const before = services.azure.startCount();
    services.azure.failStarts(2, 503);
    await client.startOperation({ source: 'azure-op', monitorId: 'op-503', interval: 100 });
    expect((await row('op-503')).outcome).toBe('completed');
    const tries = services.azure.starts().slice(before);
    expect(tries.map((start) => start.status)).toEqual([503, 503, 202]);
    expect(new Set(tries.map((start) => start.key)).size).toBe(1);
    expect(services.azure.jobsCreated()).toBe(services.azure.starts().filter((start) => start.outcome === 'created').length);
  });

  it('an operation id used again: the same request answers the operation and sends nothing; another request is a 409 naming nothing of it', async () => {
    const api = (body: unknown) => request(`${server.url}/api/operations`, { method: 'POST', body });
    const first = await api({ source: 'sync', monitorId: 'op-again', request: { body: { a: 1, b: 2 } } });
    expect(first.status).toBe(201);
    await row('op-again');
    const starts = services.sync.startCount();
    const same = await api({ source: 'sync', monitorId: 'op-again', request: { body: { b: 2, a: 1 } } });
    expect(same.status).toBe(200);
    expect(same.json).toMatchObject({ monitorId: 'op-again', state: 'ended' });
    const other = await api({ source: 'sync', monitorId: 'op-again', request: { body: { a: 1, b: 3 } } });
    expect(other.status).toBe(409);
    expect(other.json).toEqual({ error: 'operation op-again exists already for another request; choose another id' });
    expect(services.sync.startCount()).toBe(starts);
  });

  it('bad input: a source without a start request, params it does not take, a jobId', async () => {
    const api = (body: unknown) => request(`${server.url}/api/operations`, { method: 'POST', body });
    expect((await api({ source: 'nowhere' })).json).toMatchObject({ field: 'source' });
    expect((await api({ source: 'sync', request: { params: { colour: 'red' } } })).json).toMatchObject({ field: 'request.params.colour' });
    expect((await api({ source: 'sync', jobId: 'j-1' })).json).toMatchObject({ field: 'jobId' });
  });
});

describe('one start, whatever crashes', () => {
  let iso: Isolated;
  let client: JobwatchClient;
  let worker: ChildProcess | undefined;
  const env = () => iso.env({ JOBWATCH_SOURCES: sources.path, JOBWATCH_LOCK_DURATION: '2s' });

  beforeAll(async () => {
    iso = await createIsolation();
    client = testClient(iso, { JOBWATCH_SOURCES: sources.path });
  });

  afterEach(async () => {
    worker?.kill('SIGTERM');
    if (worker) await exited(worker);
    worker = undefined;
  });

  afterAll(async () => {
    await client?.close();
    await iso?.cleanup();
  });

  const row = (monitorId: string) => waitFor(() => findResult(iso.database.db, monitorId), { what: `the row of ${monitorId}`, timeoutMs: 60_000 });

  it('a worker SIGKILLed after sending the start, before its answer was recorded: the next sends the same key, and one job is started', async () => {
    const fake = services.bodyId;
    const before = { starts: fake.startCount(), jobs: fake.jobsCreated() };
    fake.holdStarts();
    try {
      worker = spawnWorker(env());
      const arrived = fake.nextStartArrived();
      await client.startOperation({ source: 'body-id', monitorId: 'op-crash-before', interval: 100 });
      await arrived;
      worker.kill('SIGKILL');
      await exited(worker);
    } finally {
      fake.releaseStarts();
    }
    worker = spawnWorker(env());
    const record = await row('op-crash-before');
    expect(record.outcome).toBe('completed');
    const tries = fake.starts().slice(before.starts);
    expect(tries.length).toBe(2);
    expect(tries[0]!.key).toBe(tries[1]!.key);
    expect(tries.map((start) => start.outcome)).toEqual(['created', 'replayed']);
    expect(fake.jobsCreated() - before.jobs).toBe(1);
  });

  it('a worker SIGKILLed after the answer was recorded: no second start request', async () => {
    const fake = services.http202;
    const before = fake.startCount();
    fake.configure({ runningPolls: 1_000 });
    try {
      worker = spawnWorker(env());
      await client.startOperation({ source: 'render-202', monitorId: 'op-crash-after', interval: 100 });
      // A poll at the watched URL means the answer was recorded (it is written with the first poll's delay).
      await waitFor(() => fake.polls() > 0 && fake.jobs().at(-1)!.polls > 0, { what: 'a poll of the watched URL' });
      worker.kill('SIGKILL');
      await exited(worker);
      worker = spawnWorker(env());
      const job = fake.jobs().at(-1)!;
      const polled = job.polls;
      await waitFor(() => fake.jobs().at(-1)!.polls > polled, { what: 'the next worker polling on', timeoutMs: 30_000 });
      fake.finishJob(job.id);
    } finally {
      fake.configure({ runningPolls: 1 });
    }
    expect((await row('op-crash-after')).outcome).toBe('completed');
    expect(fake.startCount() - before).toBe(1);
  });
});
