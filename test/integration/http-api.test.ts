import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JobwatchClient } from '../../src/client/jobwatch-client.ts';
import { findResult } from '../../src/db/results.ts';
import { listen } from '../../src/http/listen.ts';
import { createHttpApp } from '../../src/http/server.ts';
import type { RunningServer } from '../../src/wiring/start-server.ts';
import { createLogger } from '../../src/logging/logger.ts';
import { createMetrics } from '../../src/metrics/metrics.ts';
import { openQueues } from '../../src/queue/queues.ts';
import { createRedis } from '../../src/redis/connection.ts';
import type { WorkerProcess } from '../../src/wiring/worker-process.ts';
import { request, startServerWithoutPostgres, startTestServer } from '../helpers/http.ts';
import { createIsolation, type Isolated } from '../helpers/isolation.ts';
import { startStatusServer, type StatusServer } from '../helpers/status-server.ts';
import { waitFor } from '../helpers/wait.ts';
import { runCli, startTestWorker } from '../helpers/workers.ts';

const MAX_BODY_BYTES = 2_048;

let iso: Isolated;
let status: StatusServer;
let server: RunningServer;
let worker: WorkerProcess;
const api = (path: string) => `${server.url}/api${path}`;

beforeAll(async () => {
  iso = await createIsolation();
  status = await startStatusServer();
  server = await startTestServer(iso, { JOBWATCH_MAX_BODY_BYTES: String(MAX_BODY_BYTES) });
  worker = await startTestWorker(iso);
});

afterAll(async () => {
  await worker?.close(5_000);
  await server?.close();
  await status?.close();
  await iso?.cleanup();
});

describe('POST /api/monitors', () => {
  it('201 with the monitor and its Location; GET then shows what `jobwatch status` shows', async () => {
    status.script('api-1', [{ status: 'Processing' }]);
    const created = await request(api('/monitors'), {
      method: 'POST', body: { jobId: 'api-1', statusUrl: status.template, interval: '1m', metadata: { team: 'video' } },
    });
    expect(created.status).toBe(201);
    expect(created.headers.get('location')).toBe('/api/monitors/api-1');
    expect(created.json).toMatchObject({ monitorId: 'api-1', jobId: 'api-1', state: 'scheduled', intervalMs: 60_000, metadata: { team: 'video' } });

    await waitFor(async () => (await request(api('/monitors/api-1'))).json.polls === 1, { what: 'first poll' });
    const [viaHttp, viaCli] = await Promise.all([request(api('/monitors/api-1')), runCli(['status', 'api-1'], iso.env())]);
    expect(viaHttp.status).toBe(200);
    expect(viaHttp.json).toEqual(JSON.parse(viaCli.stdout));
    expect(viaHttp.json).toMatchObject({ state: 'scheduled', polls: 1, lastStatus: 'Processing' });
  });

  it('200 with the existing monitor for the same id and job; nothing new is started', async () => {
    const input = { jobId: 'api-2', statusUrl: status.template, interval: '1m' };
    status.script('api-2', [{ status: 'Processing' }]);
    const first = await request(api('/monitors'), { method: 'POST', body: input });
    expect(first.status).toBe(201);
    await waitFor(async () => (await request(api('/monitors/api-2'))).json.polls === 1, { what: 'first poll' });
    const again = await request(api('/monitors'), { method: 'POST', body: { ...input, interval: '2m' } });
    expect(again.status).toBe(200);
    // The monitor as it was: same start, its poll kept, the first interval; not a fresh one.
    expect(again.json).toMatchObject({ monitorId: 'api-2', jobId: 'api-2', startedAt: first.json.startedAt, polls: 1, intervalMs: 60_000 });
    expect(status.calls('api-2')).toBe(1);
  });

  it('409 when the monitor id belongs to another job', async () => {
    const reply = await request(api('/monitors'), { method: 'POST', body: { jobId: 'other-job', monitorId: 'api-2', statusUrl: status.template } });
    expect(reply.status).toBe(409);
    expect(reply.json.error).toMatch(/monitor api-2 already exists for job api-2, not other-job/);
  });

  it.each([
    ['a body that is not JSON', '{"jobId": ', 'body'],
    ['an empty body', '', 'body'],
    ['no jobId', { statusUrl: 'http://127.0.0.1:1/x' }, 'jobId'],
    ['a status URL that is not http', { jobId: 'b', statusUrl: 'file:///etc/passwd' }, 'statusUrl'],
    ['neither statusUrl nor statusHook', { jobId: 'b' }, 'statusUrl'],
    ['a bad interval', { jobId: 'b', statusUrl: 'http://127.0.0.1:1/x', interval: 'often' }, 'interval'],
    ['an interval under the floor', { jobId: 'b', statusUrl: 'http://127.0.0.1:1/x', interval: 5 }, 'interval'],
    ['an unknown field', { jobId: 'b', statusUrl: 'http://127.0.0.1:1/x', colour: 'red' }, 'monitor'],
    ['metadata that is not an object', { jobId: 'b', statusUrl: 'http://127.0.0.1:1/x', metadata: [1] }, 'metadata'],
    ['a JSON array', [1, 2], 'monitor'],
  ])('400 naming the field for %s; nothing is enqueued', async (_name, body, field) => {
    const keysBefore = await iso.redisKeys();
    const reply = await request(api('/monitors'), { method: 'POST', body });
    expect(reply.status).toBe(400);
    expect(reply.json.field).toBe(field);
    expect(reply.json.error).toMatch(new RegExp(`^${field}: `));
    expect(await iso.redisKeys()).toEqual(keysBefore);
  });

  it('413 for a body over the limit, with or without a Content-Length', async () => {
    const big = { jobId: 'big', statusUrl: 'http://127.0.0.1:1/x', metadata: { blob: 'x'.repeat(MAX_BODY_BYTES) } };
    const sized = await request(api('/monitors'), { method: 'POST', body: big });
    expect(sized.status).toBe(413);
    expect(sized.json.error).toMatch(/larger than 2048 bytes \(JOBWATCH_MAX_BODY_BYTES\)/);

    const chunks = Readable.from([JSON.stringify(big).slice(0, 1_500), JSON.stringify(big).slice(1_500)]);
    const streamed = await fetch(api('/monitors'), {
      method: 'POST', body: Readable.toWeb(chunks) as ReadableStream, headers: { 'content-type': 'application/json' }, duplex: 'half',
    } as RequestInit);
    expect(streamed.status).toBe(413);
    expect(await findResult(iso.database.db, 'big')).toBeUndefined();
  });
});

describe('GET /api/monitors/:id and DELETE /api/monitors/:id', () => {
  it('404 for an unknown monitor, on GET and DELETE', async () => {
    const got = await request(api('/monitors/nobody'));
    expect(got.status).toBe(404);
    expect(got.json).toEqual({ error: 'no monitor with id nobody' });
    const deleted = await request(api('/monitors/nobody'), { method: 'DELETE' });
    expect(deleted.status).toBe(404);
  });

  it('ids with slashes, colons and spaces round-trip when URL-encoded', async () => {
    const monitorId = 'team/a: nightly 7';
    status.script('odd-job', [{ status: 'Processing' }]);
    const created = await request(api('/monitors'), { method: 'POST', body: { jobId: 'odd-job', monitorId, statusUrl: status.template, interval: '1m' } });
    expect(created.status).toBe(201);
    expect(created.headers.get('location')).toBe(`/api/monitors/${encodeURIComponent(monitorId)}`);
    const got = await request(`${server.url}${created.headers.get('location')}`);
    expect(got.json).toMatchObject({ monitorId, jobId: 'odd-job' });
  });

  it('DELETE cancels a running monitor: 200, ended as canceled, and the row is written', async () => {
    status.script('api-cancel', [{ status: 'Processing' }]);
    await request(api('/monitors'), { method: 'POST', body: { jobId: 'api-cancel', statusUrl: status.template, interval: '1m' } });
    const reply = await request(api('/monitors/api-cancel'), { method: 'DELETE' });
    expect(reply.status).toBe(200);
    expect(reply.json).toMatchObject({ monitorId: 'api-cancel', state: 'ended', outcome: 'canceled' });
    const row = await waitFor(() => findResult(iso.database.db, 'api-cancel'), { what: 'canceled row' });
    expect(row.outcome).toBe('canceled');
  });

  it('DELETE of a monitor that has ended: 200 with its final record, unchanged', async () => {
    status.script('api-done', [{ status: 'Succeeded' }]);
    await request(api('/monitors'), { method: 'POST', body: { jobId: 'api-done', statusUrl: status.template, interval: 100 } });
    await waitFor(() => findResult(iso.database.db, 'api-done'), { what: 'api-done row' });
    const reply = await request(api('/monitors/api-done'), { method: 'DELETE' });
    expect(reply.status).toBe(200);
    expect(reply.json).toMatchObject({ monitorId: 'api-done', state: 'ended', outcome: 'completed', jobStatus: 'Succeeded', persisted: true });
    expect((await findResult(iso.database.db, 'api-done'))?.outcome).toBe('completed');
  });
});

describe('GET /api/monitors', () => {
  it('a page of monitors, running ones first, with a cursor to the next page', async () => {
    const first = await request(api('/monitors?limit=2'));
    expect(first.status).toBe(200);
    expect(first.json.monitors).toHaveLength(2);
    expect(first.json.nextCursor).toEqual(expect.any(String));
    const second = await request(api(`/monitors?limit=2&cursor=${encodeURIComponent(first.json.nextCursor)}`));
    const ids = [...first.json.monitors, ...second.json.monitors].map((m: { monitorId: string }) => m.monitorId);
    expect(new Set(ids).size).toBe(4);

    const ended = await request(api('/monitors?state=completed'));
    expect(ended.json.monitors.map((m: { monitorId: string }) => m.monitorId)).toEqual(['api-done']);
    expect(ended.json.nextCursor).toBeNull();
  });

  it.each([
    ['state=done', 'state', /must be one of running, completed, failed, canceled, expired, errored/],
    ['limit=0', 'limit', /at least 1/],
    ['limit=5000', 'limit', /at most 1000/],
    ['limit=ten', 'limit', /whole number/],
    ['cursor=garbage', 'cursor', /not a cursor from a previous page/],
  ])('400 for %s, naming the parameter', async (query, field, message) => {
    const reply = await request(api(`/monitors?${query}`));
    expect(reply.status).toBe(400);
    expect(reply.json.field).toBe(field);
    expect(reply.json.error).toMatch(message);
  });
});

describe('/healthz', () => {
  it('200 when Redis and Postgres answer', async () => {
    const reply = await request(`${server.url}/healthz`);
    expect(reply.status).toBe(200);
    expect(reply.json).toEqual({ status: 'ok', redis: 'ok', postgres: 'ok' });
  });

  it('503 naming Postgres when its database is gone', async () => {
    const doomed = await createIsolation();
    const doomedServer = await startTestServer(doomed);
    try {
      expect((await request(`${doomedServer.url}/healthz`)).status).toBe(200);
      const { default: postgres } = await import('postgres');
      const admin = postgres(doomed.databaseUrl.replace(/\/[^/]+$/, '/postgres'), { max: 1, onnotice: () => {} });
      await admin.unsafe(`drop database ${new URL(doomed.databaseUrl).pathname.slice(1)} with (force)`);
      await admin.end();
      const reply = await waitFor(async () => {
        const r = await request(`${doomedServer.url}/healthz`);
        return r.status === 503 ? r : undefined;
      }, { what: '503 from /healthz' });
      expect(reply.json).toMatchObject({ status: 'down', redis: 'ok', postgres: expect.stringMatching(/^down: /) });
    } finally {
      await doomedServer.close();
      await doomed.cleanup();
    }
  });

  it('503 naming Redis when it does not answer; API requests get 503 instead of hanging', async () => {
    // The app over a Redis connection that cannot connect: the real client, queues and database otherwise.
    const logger = createLogger({ logLevel: 'silent' }, { pretty: false });
    const config = iso.config({ REDIS_URL: 'redis://127.0.0.1:1' });
    const redis = createRedis(config.redisUrl, { retryStrategy: () => 1_000 });
    redis.on('error', () => {});
    const queues = openQueues(redis, config.prefix);
    const client = new JobwatchClient({ config, database: iso.database, connection: redis });
    const app = createHttpApp({
      config, logger, client, queues, redis, database: iso.database, metrics: createMetrics({ logger }), apiTimeoutMs: 300,
    });
    const listening = await listen(app, { port: 0, host: '127.0.0.1' });
    try {
      const reply = await request(`${listening.url}/healthz`);
      expect(reply.status).toBe(503);
      expect(reply.json).toMatchObject({ status: 'down', redis: 'down: Redis did not answer within 2000ms', postgres: 'ok' });
      // The API does not hang meanwhile: it answers 503 and points at /healthz.
      const api = await request(`${listening.url}/api/monitors/any`);
      expect(api.status).toBe(503);
      expect(api.json).toEqual({ error: 'Redis or Postgres did not answer within 300ms; see /healthz' });
    } finally {
      await listening.close();
      redis.disconnect();
    }
  });
});

describe('Postgres unreachable', () => {
  it('API requests that need it get 503 naming Postgres, not 500', async () => {
    const listening = await startServerWithoutPostgres(iso);
    try {
      // An unknown id is looked for in Redis, then in Postgres.
      const reply = await request(`${listening.url}/api/monitors/nowhere`);
      expect(reply.status).toBe(503);
      expect(reply.json).toEqual({ error: 'Postgres is unreachable (ECONNREFUSED); see /healthz' });
    } finally {
      await listening.close();
    }
  });
});

describe('GET /api/openapi.json', () => {
  it('describes every API route the server serves, the callback route, and /healthz', async () => {
    const reply = await request(api('/openapi.json'));
    expect(reply.status).toBe(200);
    expect(reply.json.openapi).toBe('3.1.0');
    const documented = Object.entries(reply.json.paths as Record<string, Record<string, unknown>>)
      .flatMap(([path, methods]) => Object.keys(methods).map((method) => `${method.toUpperCase()} ${path}`));
    const served = servedApiRoutes();
    expect(served).toHaveLength(14);
    expect(documented.sort()).toEqual(served.sort());
  });
});

describe('routes that do not exist', () => {
  it('404 with a pointer to the OpenAPI document', async () => {
    const reply = await request(`${server.url}/api/nothing-here`);
    expect(reply.status).toBe(404);
    expect(reply.json.error).toMatch(/see \/api\/openapi.json/);
  });
});

/** The API routes and /healthz the Hono app registers, as `METHOD /path/{param}`, middleware left out. */
function servedApiRoutes(): string[] {
  const logger = createLogger({ logLevel: 'silent' }, { pretty: false });
  const config = iso.config();
  const redis = createRedis(config.redisUrl, { lazyConnect: true });
  const app = createHttpApp({
    config, logger, client: new JobwatchClient({ config, database: iso.database, connection: redis }),
    queues: openQueues(redis, config.prefix), redis, database: iso.database, metrics: createMetrics({ logger }),
  });
  redis.disconnect();
  const routes = app.routes
    .filter((route) => (route.path.startsWith('/api/') || route.path.startsWith('/callbacks/') || route.path === '/healthz') && route.method !== 'ALL')
    .map((route) => `${route.method} ${route.path.replace(/:(\w+)/g, '{$1}')}`);
  return [...new Set(routes)];
}
