import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JobwatchClient } from '../../src/client/jobwatch-client.ts';
import { findResult } from '../../src/db/results.ts';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startFakeJobService, type FakeConvention, type FakeJobService } from '../helpers/fake-job-services.ts';
import { createIsolation, type Isolated } from '../helpers/isolation.ts';
import { waitFor } from '../helpers/wait.ts';
import { runCli, spawnWorker, stopChild, testClient } from '../helpers/workers.ts';

/**
 * Named sources, end to end: a sources file as a user writes it, monitors started by name and
 * params (library, CLI), and `jobwatch worker` processes that read real fake job services with the
 * credentials the file points at, until the convention or mapping ends the job.
 */

const TOKEN = 'tok-src-5c1e0b9a77';
const KEY = 'key-src-0d93aa';
const ENV = { JOBWATCH_RETRY_BASE: '20ms', JOBWATCH_RETRY_MAX: '100ms', JOBWATCH_STATUS_TIMEOUT: '2s', JOBWATCH_MAX_STATUS_FAILURES: '3', JOBWATCH_MIN_INTERVAL: '100ms' };
const SECRETS = { SRC_TOKEN: TOKEN, SRC_KEY: KEY, SRC_WRONG: 'not-the-token' };

let iso: Isolated;
let dir: string;
let sourcesPath: string;
let client: JobwatchClient;
let worker: ReturnType<typeof spawnWorker>;
const fakes = new Map<FakeConvention, FakeJobService>();
/** A fake of its own for the rotated token: switching its credential must not touch the others. */
let rotating: FakeJobService;
const ROTATED = 'tok-rotated-41e7c2d9';
let mapped: { server: Server; url: string; hits: number };
/** A batch endpoint: POST {"ids": [...]} with the bearer token; each job is `{ "state": ... }`, `gone-*` left out. */
let batchServer: Server;
let batchUrl: string;
const batchRequests: { path: string; ids: string[] }[] = [];

async function startBatchService(): Promise<void> {
  batchServer = createServer((request, response) => {
    let text = '';
    request.on('data', (chunk) => (text += chunk));
    request.on('end', () => {
      if (request.method !== 'POST' || request.headers.authorization !== `Bearer ${TOKEN}`) return void response.writeHead(401).end();
      const { ids } = JSON.parse(text) as { ids: string[] };
      batchRequests.push({ path: request.url!, ids });
      const answer = Object.fromEntries(ids.filter((id) => !id.startsWith('gone')).map((id) => [id, { state: id.startsWith('bad') ? 'ERROR' : 'DONE' }]));
      response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(answer));
    });
  });
  await new Promise<void>((resolve) => batchServer.listen(0, '127.0.0.1', resolve));
  batchUrl = `http://127.0.0.1:${(batchServer.address() as AddressInfo).port}`;
}

/** A service of its own kind: `{ "job": { "phase": ... } }`, an API key in X-Api-Key. */
async function startMappedService(): Promise<typeof mapped> {
  const state = { hits: 0 };
  const server = createServer((request, response) => {
    state.hits++;
    if (request.headers['x-api-key'] !== KEY) return void response.writeHead(401).end();
    const id = decodeURIComponent(request.url!.split('/').pop()!);
    const phase = id.startsWith('nophase') ? undefined : state.hits < 2 ? 'WORKING' : id.startsWith('bad') ? 'BROKEN' : 'FINISHED';
    response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ job: { id, ...(phase ? { phase } : {}), out: { rows: 7 } } }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const result = { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, get hits() { return state.hits; } };
  return result;
}

function writeSources(extra: Record<string, unknown> = {}): void {
  const bearer = { bearer: { env: 'SRC_TOKEN' } };
  const sources = {
    runs: { url: fakes.get('github-actions-run')!.template, params: ['owner', 'repo'], convention: 'github-actions-run', auth: bearer },
    ops: { url: fakes.get('google-operation')!.template, params: ['project', 'location'], convention: 'google-operation', auth: bearer },
    k8s: { url: fakes.get('kubernetes-job')!.template, params: ['namespace'], convention: 'kubernetes-job', auth: { bearer: { file: join(dir, 'k8s-token') } } },
    tasks: { url: fakes.get('http-202')!.template, convention: 'http-202', auth: { header: { name: 'X-Api-Key', env: 'SRC_KEY' } } },
    azure: { url: fakes.get('azure-operation')!.template, params: ['apiVersion'], convention: 'azure-operation', auth: bearer },
    arm: { url: fakes.get('azure-arm')!.template, params: ['subscription'], convention: 'azure-arm', auth: bearer },
    batches: { url: fakes.get('openai-batch')!.template, convention: 'openai-batch', auth: bearer },
    rotating: { url: rotating.template, params: ['owner', 'repo'], convention: 'github-actions-run', auth: { bearer: { file: join(dir, 'rotating-token') } } },
    wrong: { url: fakes.get('github-actions-run')!.template, params: ['owner', 'repo'], convention: 'github-actions-run', auth: { bearer: { env: 'SRC_WRONG' } } },
    unset: { url: fakes.get('github-actions-run')!.template, params: ['owner', 'repo'], convention: 'github-actions-run', auth: { bearer: { env: 'SRC_NEVER_SET' } } },
    render: {
      url: `${mapped.url}/v2/renders/{jobId}`, statusPath: 'job.phase', running: ['WORKING'], completed: ['FINISHED'], failed: ['BROKEN'],
      outputPath: 'job.out', headers: { Accept: 'application/json' }, auth: { header: { name: 'X-Api-Key', env: 'SRC_KEY' } },
    },
    fleet: { batch: `${batchUrl}/v1/{region}/statuses`, params: ['region'], statusPath: 'state', completed: ['DONE'], failed: ['ERROR'], auth: bearer },
    ...extra,
  };
  writeFileSync(sourcesPath, JSON.stringify({ sources }, null, 2));
}

const env = (extra: Record<string, string> = {}) => iso.env({ ...ENV, ...SECRETS, JOBWATCH_SOURCES: sourcesPath, ...extra });
const row = (monitorId: string) => waitFor(() => findResult(iso.database.db, monitorId), { what: `result of ${monitorId}`, timeoutMs: 30_000 });

async function restartWorker(extra: Record<string, string> = {}): Promise<void> {
  await stopChild(worker);
  worker = spawnWorker(env(extra));
}

beforeAll(async () => {
  iso = await createIsolation();
  dir = mkdtempSync(join(tmpdir(), 'jobwatch-sources-'));
  sourcesPath = join(dir, 'jobwatch.sources.json');
  writeFileSync(join(dir, 'k8s-token'), `${TOKEN}\n`);
  writeFileSync(join(dir, 'rotating-token'), `${TOKEN}\n`);
  for (const convention of ['github-actions-run', 'google-operation', 'kubernetes-job', 'azure-operation', 'azure-arm', 'openai-batch'] as const) {
    fakes.set(convention, await startFakeJobService(convention, { bearer: TOKEN }));
  }
  rotating = await startFakeJobService('github-actions-run', { bearer: TOKEN });
  fakes.set('http-202', await startFakeJobService('http-202', { header: { name: 'X-Api-Key', value: KEY } }));
  mapped = await startMappedService();
  await startBatchService();
  writeSources();
  worker = spawnWorker(env());
  client = testClient(iso, { JOBWATCH_SOURCES: sourcesPath });
});

afterAll(async () => {
  if (dir) rmSync(dir, { recursive: true, force: true });
  await client?.close();
  await stopChild(worker);
  for (const fake of fakes.values()) await fake.close();
  await rotating?.close();
  await new Promise((resolve) => mapped?.server.close(resolve));
  await new Promise((resolve) => batchServer?.close(resolve));
  await iso?.cleanup();
});

describe('a monitor of a named source, polled by a jobwatch worker', () => {
  it('github-actions-run with params and a bearer token: the conclusion decides (failure is failed)', async () => {
    const fake = fakes.get('github-actions-run')!;
    const jobId = fake.createJob('failure');
    await client.startMonitor({ monitorId: 'gh-failure', jobId, source: 'runs', params: fake.params, interval: '100ms' });
    const result = await row('gh-failure');
    expect(result).toMatchObject({ outcome: 'failed', jobStatus: 'failure', polls: 3 });
    expect(result.detail).toMatchObject({ decidedBy: { source: 'runs', convention: 'github-actions-run' }, status: 'failure', error: { conclusion: 'failure' } });
    expect(fake.requestsTo('/repos/acme/web/actions/runs/')).toBeGreaterThanOrEqual(3);
  });

  it('google-operation: done with an error of code 1 is canceled, the rpc status kept', async () => {
    const fake = fakes.get('google-operation')!;
    const jobId = fake.createJob('cancelled');
    await client.startMonitor({ monitorId: 'op-cancel', jobId, source: 'ops', params: fake.params, interval: '100ms' });
    expect(await row('op-cancel')).toMatchObject({ outcome: 'canceled', jobStatus: 'CANCELLED', detail: { error: { code: 1 } } });
  });

  it('kubernetes-job with a token from a file: the interim condition is not the end; Complete is', async () => {
    const fake = fakes.get('kubernetes-job')!;
    const jobId = fake.createJob('Complete');
    await client.startMonitor({ monitorId: 'k8s-complete', jobId, source: 'k8s', params: fake.params, interval: '100ms' });
    expect(await row('k8s-complete')).toMatchObject({ outcome: 'completed', jobStatus: 'Complete', polls: 3, detail: { output: { succeeded: 1 } } });
  });

  it('http-202 with an API key header: a 302 is done, its Location kept and not fetched', async () => {
    const fake = fakes.get('http-202')!;
    const jobId = fake.createJob('found');
    await client.startMonitor({ monitorId: 'task-found', jobId, source: 'tasks', interval: '100ms' });
    const result = await row('task-found');
    expect(result).toMatchObject({ outcome: 'completed', jobStatus: 'Found', detail: { httpStatus: 302, output: { location: expect.stringContaining(`/v1/results/${jobId}`) } } });
    expect(fake.requestsTo('/v1/results/')).toBe(0);
  });

  it('azure-operation: a 200 with Running is not done; Succeeded keeps the result', async () => {
    const fake = fakes.get('azure-operation')!;
    const jobId = fake.createJob('Succeeded', { runningPolls: 2 });
    // The fake asks for Retry-After: 3 while it runs; the convention honours it, so this takes two waits.
    await client.startMonitor({ monitorId: 'az-ok', jobId, source: 'azure', params: fake.params, interval: '100ms' });
    expect(await row('az-ok')).toMatchObject({ outcome: 'completed', jobStatus: 'Succeeded', polls: 3, detail: { output: { modelId: `m-${jobId}` } } });
  });

  it('openai-batch: validating, in_progress, finalizing run; each end keeps its file ids; expired is failed, cancelled canceled', async () => {
    const fake = fakes.get('openai-batch')!;
    const ends = [
      ['completed', 3, { outcome: 'completed', jobStatus: 'completed', polls: 4, detail: { output: { output_file_id: expect.stringMatching(/^file-out-/), error_file_id: expect.stringMatching(/^file-err-/) } } }],
      ['expired', 2, { outcome: 'failed', jobStatus: 'expired', polls: 3, detail: { output: { output_file_id: expect.stringMatching(/^file-part-/) } } }],
      ['cancelled', 3, { outcome: 'canceled', jobStatus: 'cancelled', polls: 4, detail: { output: { error_file_id: expect.stringMatching(/^file-err-/) } } }],
    ] as const;
    const started = await Promise.all(ends.map(async ([ending, runningPolls]) => {
      const jobId = fake.createJob(ending, { runningPolls });
      await client.startMonitor({ monitorId: `batch-${ending}`, jobId, source: 'batches', interval: '100ms' });
      return jobId;
    }));
    for (const [index, [ending, , expected]] of ends.entries()) {
      const result = await row(`batch-${ending}`);
      expect(result).toMatchObject(expected);
      expect(result.detail).toMatchObject({ decidedBy: { source: 'batches', convention: 'openai-batch' }, status: ending, httpStatus: 200 });
      expect(fake.requestsTo(`/v1/batches/${started[index]}`)).toBe(expected.polls);
    }
  });

  it('azure-arm: 202 with a Location runs, then provisioningState Succeeded; an async operation Failed or Canceled', async () => {
    const fake = fakes.get('azure-arm')!;
    // One running answer each: the fake's Retry-After (3s) is honoured, so each waits once.
    const ends = [
      ['Succeeded', { outcome: 'completed', jobStatus: 'Succeeded', detail: { output: { provisioningState: 'Succeeded', sku: 'S1' } } }],
      ['Failed', { outcome: 'failed', jobStatus: 'Failed', detail: { error: { code: 'QuotaExceeded', message: 'no cores left' } } }],
      ['Canceled', { outcome: 'canceled', jobStatus: 'Canceled' }],
    ] as const;
    await Promise.all(ends.map(([ending]) => client.startMonitor({ monitorId: `arm-${ending}`, jobId: fake.createJob(ending, { runningPolls: 1 }), source: 'arm', params: fake.params, interval: '100ms' })));
    for (const [ending, expected] of ends) {
      const result = await row(`arm-${ending}`);
      expect(result).toMatchObject({ ...expected, polls: 2 });
      expect(result.detail).toMatchObject({ decidedBy: { source: 'arm', convention: 'azure-arm' }, status: ending, httpStatus: 200 });
    }
  });

  it('a token file rewritten while a monitor runs: the next request carries the new token, no restart', async () => {
    const jobId = rotating.createJob('success', { runningPolls: 1_000 });
    const path = `/repos/acme/web/actions/runs/${jobId}`;
    const pid = worker.pid;
    await client.startMonitor({ monitorId: 'rotated', jobId, source: 'rotating', params: rotating.params, interval: '100ms' });
    await waitFor(() => rotating.requestsTo(path) >= 2 || undefined, { what: 'two running answers with the first token' });
    // Together, in one turn of the test's event loop: the fake never sees the file half-rotated.
    writeFileSync(join(dir, 'rotating-token'), `${ROTATED}\n`);
    rotating.setAuth({ bearer: ROTATED });
    rotating.finishJob(jobId);
    const result = await row('rotated');
    expect(result).toMatchObject({ outcome: 'completed', jobStatus: 'success' });
    expect(result.polls).toBeGreaterThanOrEqual(3);
    expect(worker.pid).toBe(pid);
    expect(worker.exitCode).toBeNull();
  });

  it('a mapping with a custom header: its lists decide, its output path is kept', async () => {
    await client.startMonitor({ monitorId: 'render-bad', jobId: 'bad-1', source: 'render', interval: '100ms' });
    expect(await row('render-bad')).toMatchObject({ outcome: 'failed', jobStatus: 'BROKEN', detail: { decidedBy: { mapping: 'job.phase' }, output: { rows: 7 } } });
  });

  it('a batch source: its monitors are asked for by POST with the credentials, each read by the mapping', async () => {
    const ids = ['ok-b1', 'bad-b2', 'gone-b3'];
    await client.startMonitors(ids.map((jobId) => ({ monitorId: `fleet-${jobId}`, jobId, source: 'fleet', params: { region: 'eu' }, interval: '100ms' })));
    expect(await row('fleet-ok-b1')).toMatchObject({ outcome: 'completed', jobStatus: 'DONE', detail: { decidedBy: { source: 'fleet', mapping: 'state' } } });
    expect(await row('fleet-bad-b2')).toMatchObject({ outcome: 'failed', jobStatus: 'ERROR' });
    expect(await row('fleet-gone-b3')).toMatchObject({ outcome: 'errored', detail: { reason: 'not-found' } });
    expect(new Set(batchRequests.map((request) => request.path))).toEqual(new Set(['/v1/eu/statuses']));
    expect(batchRequests.flatMap((request) => request.ids).sort()).toEqual(expect.arrayContaining(ids.sort()));
  });

  it('a mapping that finds no status: missing-field, retried, then errored', async () => {
    await client.startMonitor({ monitorId: 'render-nophase', jobId: 'nophase-1', source: 'render', interval: '100ms' });
    const result = await row('render-nophase');
    expect(result).toMatchObject({ outcome: 'errored', polls: 3, detail: { reason: 'missing-field', consecutiveFailures: 3 } });
    expect((result.detail as { error: string }).error).toContain('"job.phase"');
  });

  it('a wrong token: the 401 is a failed check (http-status 401) that names the credentials, then errored', async () => {
    const fake = fakes.get('github-actions-run')!;
    await client.startMonitor({ monitorId: 'gh-401', jobId: fake.createJob('success'), source: 'wrong', params: fake.params, interval: '100ms' });
    const result = await row('gh-401');
    expect(result).toMatchObject({ outcome: 'errored', polls: 3, detail: { reason: 'http-status', httpStatus: 401, consecutiveFailures: 3 } });
    expect((result.detail as { error: string }).error).toMatch(/answered 401: check the source's credentials$/);
  });

  it('a credential whose variable is unset: no request is sent; a failed check (credentials) naming the variable', async () => {
    const fake = fakes.get('github-actions-run')!;
    const jobId = fake.createJob('success');
    const before = fake.requestsTo(`/repos/acme/web/actions/runs/${jobId}`);
    await client.startMonitor({ monitorId: 'gh-unset', jobId, source: 'unset', params: fake.params, interval: '100ms' });
    const result = await row('gh-unset');
    expect(result).toMatchObject({ outcome: 'errored', detail: { reason: 'credentials', consecutiveFailures: 3 } });
    expect((result.detail as { error: string }).error).toBe('source "unset": auth.bearer: the environment variable SRC_NEVER_SET is not set');
    expect(fake.requestsTo(`/repos/acme/web/actions/runs/${jobId}`)).toBe(before);
  });

  it('an ended monitor names its source, however it ended: the record in Postgres, getMonitor, jobwatch status', async () => {
    // Decided by the convention (gh-failure) and ended by failed checks, with no decidedBy (gh-unset).
    for (const [monitorId, source] of [['gh-failure', 'runs'], ['gh-unset', 'unset']] as const) {
      expect(await row(monitorId)).toMatchObject({ source });
      expect(await client.getMonitor(monitorId)).toMatchObject({ state: 'ended', persisted: true, source });
      const status = await runCli(['status', monitorId], env());
      expect(JSON.parse(status.stdout)).toMatchObject({ state: 'ended', source });
    }
    await client.startMonitor({ monitorId: 'src-canceled', jobId: fakes.get('github-actions-run')!.createJob('success'), source: 'runs', params: { owner: 'acme', repo: 'web' }, interval: '1h' });
    await client.cancelMonitor('src-canceled');
    expect(await row('src-canceled')).toMatchObject({ outcome: 'canceled', source: 'runs' });
  });
});

describe('a source the worker does not know', () => {
  it('is a failed check (unknown-source), retried; a worker restarted with the source added picks the monitor up', async () => {
    // A budget that the retries (20-100ms apart) cannot spend while the worker restarts.
    const patient = { JOBWATCH_MAX_STATUS_FAILURES: '1000' };
    await restartWorker(patient);
    const fake = fakes.get('github-actions-run')!;
    // Done at its first answer: the minute interval leaves only the retry to end it in time.
    const jobId = fake.createJob('success', { runningPolls: 0 });
    // The producer's sources file has `later`; the running worker's does not yet.
    const producerFile = join(dir, 'producer.sources.json');
    writeFileSync(producerFile, JSON.stringify({ sources: { later: { url: fake.template, params: ['owner', 'repo'], convention: 'github-actions-run', auth: { bearer: { env: 'SRC_TOKEN' } } } } }));
    const producer = testClient(iso, { JOBWATCH_SOURCES: producerFile });
    try {
      await producer.startMonitor({ monitorId: 'later-1', jobId, source: 'later', params: fake.params, interval: '1m', expireIn: '10m' });
    } finally {
      await producer.close();
    }
    const failed = await waitFor(async () => {
      const state = await client.getMonitor('later-1');
      return state && 'lastError' in state && state.lastError ? state : undefined;
    }, { what: 'the unknown-source failure' });
    expect(failed.lastError).toBe('this worker cannot read the source "later": "later" is not a source of the sources file; it declares runs, ops, k8s, tasks, azure, arm, batches, rotating, wrong, unset, ...');
    writeSources({ later: { url: fake.template, params: ['owner', 'repo'], convention: 'github-actions-run', auth: { bearer: { env: 'SRC_TOKEN' } } } });
    await restartWorker(patient);
    // The retry is due within the backoff (20-100ms), far inside the minute interval.
    const result = await row('later-1');
    expect(result).toMatchObject({ outcome: 'completed', jobStatus: 'success' });
    expect(result.polls).toBeGreaterThanOrEqual(2);
    await restartWorker();
  });

  it('ends errored (unknown-source) after the failure budget', async () => {
    const producerFile = join(dir, 'producer2.sources.json');
    writeFileSync(producerFile, JSON.stringify({ sources: { gone: { url: 'http://127.0.0.1:1/jobs/{jobId}', convention: 'http-202' } } }));
    const producer = testClient(iso, { JOBWATCH_SOURCES: producerFile });
    try {
      await producer.startMonitor({ monitorId: 'gone-1', jobId: 'g1', source: 'gone', interval: '100ms' });
    } finally {
      await producer.close();
    }
    expect(await row('gone-1')).toMatchObject({ outcome: 'errored', polls: 3, detail: { reason: 'unknown-source', consecutiveFailures: 3 } });
  });
});

describe('start-time checks against the sources file: nothing is written', () => {
  it.each([
    ['an unknown source', { source: 'nope' }, /^source: "nope" is not a source of the sources file; it declares runs, /],
    ['a missing param', { source: 'runs', params: { owner: 'acme' } }, /^params\.repo: is required by the source's URL$/],
    ['an extra param', { source: 'tasks', params: { owner: 'acme' } }, /^params\.owner: is not a param of this source; it takes none$/],
    ['a ..%2f param', { source: 'runs', params: { owner: '..%2f', repo: 'api' } }, /^params\.owner: must not hold \/ or \\/],
    ['params without a source', { statusUrl: 'http://127.0.0.1:1/{jobId}', params: { a: 'b' } }, /^params: /],
    ['a source and a status URL', { source: 'tasks', statusUrl: 'http://127.0.0.1:1/{jobId}' }, /^statusUrl: give exactly one of/],
  ])('refuses %s', async (_name, fields, message) => {
    await expect(client.startMonitor({ jobId: 'refused-1', ...fields })).rejects.toThrow(message);
    expect(await client.getMonitor('refused-1')).toBeNull();
  });

  it('the CLI: --source and --param start one; a bad param is one line naming the flag, exit 2', async () => {
    const fake = fakes.get('github-actions-run')!;
    const jobId = fake.createJob('success');
    const ok = await runCli(['enqueue', '--job-id', jobId, '--monitor-id', 'cli-src', '--source', 'runs', '--param', 'owner=acme', '--param', 'repo=web', '--interval', '100ms'], env());
    expect(ok.stderr).toBe('');
    expect(JSON.parse(ok.stdout)).toMatchObject({ created: true, monitorId: 'cli-src', statusSource: 'source runs' });
    expect(await row('cli-src')).toMatchObject({ outcome: 'completed', jobStatus: 'success' });
    const bad = await runCli(['enqueue', '--job-id', 'cli-bad', '--source', 'runs', '--param', 'owner=..%2f', '--param', 'repo=web'], env());
    expect(bad.code).toBe(2);
    expect(bad.stderr.trim().split('\n')).toHaveLength(1);
    expect(bad.stderr).toMatch(/--param \(owner\): must not hold/);
  });

  it('a bad sources file stops start-up with one line naming the source and the field', async () => {
    const badFile = join(dir, 'bad.sources.json');
    writeFileSync(badFile, JSON.stringify({ sources: { runs: { url: 'https://api.github.com/repos/{owner}/runs/{jobId}', params: ['owner'], convention: 'github-actions-run', auth: { bearer: 'ghp_inline' } } } }));
    const result = await runCli(['worker'], iso.env({ JOBWATCH_SOURCES: badFile }));
    expect(result.code).toBe(2);
    expect(result.stderr.trim()).toBe(`jobwatch: JOBWATCH_SOURCES: ${badFile}: source "runs": auth.bearer: needs "env" or "file", e.g. { "env": "OPS_TOKEN" }; a secret is never written in the sources file`);
  });
});

describe('jobwatch sources', () => {
  it('lists each source, how it is read, its params and whether its credentials resolve, never a value', async () => {
    const listed = await runCli(['sources'], env());
    expect(listed.code).toBe(0);
    const lines = listed.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^NAME\s+READS\s+PARAMS\s+AUTH\s+CREDENTIALS$/);
    expect(lines.find((line) => line.startsWith('runs '))).toMatch(/^runs\s+convention github-actions-run\s+owner,repo\s+bearer\s+resolved$/);
    expect(lines.find((line) => line.startsWith('render '))).toMatch(/^render\s+mapping job\.phase\s+-\s+header X-Api-Key\s+resolved$/);
    expect(lines.find((line) => line.startsWith('unset '))).toMatch(/missing: auth\.bearer: the environment variable SRC_NEVER_SET is not set$/);
    expect(listed.stdout).not.toContain(TOKEN);
    expect(listed.stdout).not.toContain(KEY);
  });

  it('try: one real check, printed with how it was decided; no monitor is started', async () => {
    const fake = fakes.get('github-actions-run')!;
    const jobId = fake.createJob('success', { runningPolls: 1 });
    const tried = await runCli(['sources', 'try', 'runs', jobId, '--param', 'owner=acme', '--param', 'repo=web'], env());
    expect(tried.code).toBe(0);
    expect(JSON.parse(tried.stdout)).toEqual({
      source: 'runs', jobId, request: `GET ${fake.template.replace('{owner}', 'acme').replace('{repo}', 'web').replace('{jobId}', jobId)}`,
      read: 'running', status: 'queued', httpStatus: 200, decidedBy: { source: 'runs', convention: 'github-actions-run' },
    });
    const ended = JSON.parse((await runCli(['sources', 'try', 'runs', jobId, '--param', 'owner=acme', '--param', 'repo=web'], env())).stdout);
    expect(ended).toMatchObject({ read: 'ended', outcome: 'completed', status: 'success', output: { html_url: expect.any(String) } });
    expect(await client.getMonitor(jobId)).toBeNull();
    // A batch source is tried as a batch of one.
    const batch = await runCli(['sources', 'try', 'fleet', 'ok-try', '--param', 'region=eu'], env());
    expect(JSON.parse(batch.stdout)).toEqual({
      source: 'fleet', jobId: 'ok-try', request: `POST ${batchUrl}/v1/eu/statuses`, read: 'ended', outcome: 'completed', status: 'DONE', httpStatus: 200,
      output: { state: 'DONE' }, decidedBy: { source: 'fleet', mapping: 'state' },
    });
  });

  it('try: a failed check exits 1 with the failure; a bad param exits 2 before any request', async () => {
    const fake = fakes.get('github-actions-run')!;
    const failed = await runCli(['sources', 'try', 'wrong', fake.createJob('success'), '--param', 'owner=acme', '--param', 'repo=web'], env());
    expect(failed.code).toBe(1);
    expect(JSON.parse(failed.stdout)).toMatchObject({ read: 'failed', failure: { reason: 'http-status', httpStatus: 401 } });
    expect(failed.stdout).not.toContain(SECRETS.SRC_WRONG);
    const bad = await runCli(['sources', 'try', 'runs', 'j', '--param', 'owner=..', '--param', 'repo=web'], env());
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^jobwatch: params\.owner: must not be \. or \.\./);
  });
});
