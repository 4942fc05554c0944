import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeSourcesFile, type SourcesFile } from '../helpers/sources-file.ts';
import type { RunningServer } from '../../src/wiring/start-server.ts';
import type { WorkerProcess } from '../../src/wiring/worker-process.ts';
import { request, startServerWithoutPostgres, startTestServer } from '../helpers/http.ts';
import { createIsolation, type Isolated } from '../helpers/isolation.ts';
import { OpenApiChecker } from '../helpers/openapi-check.ts';
import { startStatusServer, type StatusServer } from '../helpers/status-server.ts';
import { waitFor } from '../helpers/wait.ts';
import { startTestWorker } from '../helpers/workers.ts';
import { callbackUrl as makeCallbackUrl } from '../../src/client/callback-url.ts';

// Real requests to a real server, each request and answer checked against the document that
// server serves at /api/openapi.json: what the document says is what the API does.

const TOKEN = 'openapi-test-token-0123456789';
const MAX_BODY_BYTES = 2_048;
const CALLBACK_SECRET = 'openapi-callback-secret-0123456789';
const callbackUrlOf = (monitorId: string) => makeCallbackUrl('http://127.0.0.1', CALLBACK_SECRET, monitorId);

let iso: Isolated;
let status: StatusServer;
let server: RunningServer;
let worker: WorkerProcess;
let api: OpenApiChecker;
const call = (method: string, path: string, options: { body?: unknown; token?: string } = {}) =>
  api.call(server.url, method, path, { token: TOKEN, ...options });

let sourcesFile: SourcesFile | undefined;

beforeAll(async () => {
  iso = await createIsolation();
  status = await startStatusServer();
  // One source, a mapping of the scripted status server, for /api/sources.
  sourcesFile = writeSourcesFile({ scripted: { url: status.template }, started: { start: { url: `${status.url}/jobs/started` }, convention: 'http-202' } });
  const sourcesPath = sourcesFile.path;
  server = await startTestServer(iso, {
    JOBWATCH_API_TOKEN: TOKEN, JOBWATCH_MAX_BODY_BYTES: String(MAX_BODY_BYTES), JOBWATCH_CALLBACK_SECRET: CALLBACK_SECRET, JOBWATCH_SOURCES: sourcesPath,
    JOBWATCH_NAMESPACE_QUOTAS: '{"team-a": {"runningMonitors": 5, "earlyPushes": "off"}}',
  });
  worker = await startTestWorker(iso);
  const served = await request(`${server.url}/api/openapi.json`, { token: TOKEN });
  expect(served.status).toBe(200);
  api = new OpenApiChecker(served.json);
});

afterAll(async () => {
  sourcesFile?.remove();
  await worker?.close(5_000);
  await server?.close();
  await status?.close();
  await iso?.cleanup();
});

describe('the served OpenAPI document, checked against real exchanges', () => {
  it('the document itself is served as documented', async () => {
    expect((await call('GET', '/api/openapi.json')).json.openapi).toBe('3.1.0');
  });

  it('POST /api/monitors: 201, then 200 for the same monitor, 409 for another job; request and answers fit', async () => {
    status.script('oa-1', [{ status: 'Processing' }]);
    const input = { jobId: 'oa-1', statusUrl: status.template, interval: '1m', expireIn: '2h', statusField: 'status', metadata: { team: 'video' } };
    const created = await call('POST', '/api/monitors', { body: input });
    expect(created.status).toBe(201);
    expect(created.requestValid).toBe(true);
    expect(created.json).toMatchObject({ monitorId: 'oa-1', state: 'scheduled' });

    const again = await call('POST', '/api/monitors', { body: { ...input, expireAt: new Date(Date.now() + 60_000).toISOString(), expireIn: undefined } });
    expect(again.status).toBe(200);
    const conflict = await call('POST', '/api/monitors', { body: { jobId: 'another', monitorId: 'oa-1', statusHook: true } });
    expect(conflict.status).toBe(409);
    expect(conflict.requestValid).toBe(true);
  });

  it.each([
    ['an unknown field', { jobId: 'b', statusUrl: 'http://127.0.0.1:1/x', colour: 'red' }, false],
    ['no jobId', { statusUrl: 'http://127.0.0.1:1/x' }, false],
    ['metadata that is not an object', { jobId: 'b', statusUrl: 'http://127.0.0.1:1/x', metadata: [1] }, false],
    ['a dotted path with a gap', { jobId: 'b', statusUrl: 'http://127.0.0.1:1/x', statusField: 'a..b' }, false],
    // Rules the JSON Schema cannot say (a duration's range, one of two fields) are the server's alone.
    ['an interval under the floor', { jobId: 'b', statusUrl: 'http://127.0.0.1:1/x', interval: '10ms' }, true],
    ['neither statusUrl nor statusHook', { jobId: 'b' }, true],
    ['a notifyUrl outside the allowed prefixes', { jobId: 'b', statusHook: true, notifyUrl: 'https://example.com/hook' }, true],
  ])('POST /api/monitors with %s: 400 with field and reason', async (_name, body, fitsDocument) => {
    const reply = await call('POST', '/api/monitors', { body });
    expect(reply.status).toBe(400);
    expect(reply.requestValid).toBe(fitsDocument);
    expect(reply.json.error).toBe(`${reply.json.field}: ${reply.json.reason}`);
  });

  it('POST /api/monitors: 400 for a body that is not JSON, 413 for one over the limit', async () => {
    expect((await call('POST', '/api/monitors', { body: '{nope' })).status).toBe(400);
    const big = await call('POST', '/api/monitors', { body: { jobId: 'big', statusHook: true, metadata: { blob: 'x'.repeat(MAX_BODY_BYTES) } } });
    expect(big.status).toBe(413);
  });

  it('GET and DELETE /api/monitors/{id}: running, canceled and persisted monitors, and 404', async () => {
    expect((await call('GET', '/api/monitors/oa-1')).json).toMatchObject({ state: expect.stringMatching(/^(scheduled|polling)$/) });

    status.script('oa-done', [{ status: 'Succeeded' }]);
    await call('POST', '/api/monitors', { body: { jobId: 'oa-done', statusUrl: status.template, interval: 100 } });
    const done = await waitFor(async () => {
      const reply = await call('GET', '/api/monitors/oa-done');
      return reply.json.persisted === true ? reply : undefined;
    }, { what: 'oa-done persisted' });
    expect(done.json).toMatchObject({ state: 'ended', outcome: 'completed', jobStatus: 'Succeeded' });

    const canceled = await call('DELETE', '/api/monitors/oa-1');
    expect(canceled.status).toBe(200);
    expect(canceled.json).toMatchObject({ state: 'ended', outcome: 'canceled' });
    expect((await call('DELETE', '/api/monitors/oa-done')).json).toMatchObject({ outcome: 'completed' });

    expect((await call('GET', `/api/monitors/${encodeURIComponent('no/such: id')}`)).status).toBe(404);
    expect((await call('DELETE', '/api/monitors/nobody')).status).toBe(404);
  });

  it('GET /api/monitors: pages whose query fits the document, and 400 for one that does not', async () => {
    const first = await call('GET', '/api/monitors?limit=1');
    expect(first.status).toBe(200);
    expect(first.requestValid).toBe(true);
    const second = await call('GET', `/api/monitors?limit=1&cursor=${encodeURIComponent(first.json.nextCursor)}`);
    expect(second.status).toBe(200);
    expect((await call('GET', '/api/monitors?state=completed')).json.monitors).toHaveLength(1);

    for (const query of ['state=done', 'limit=0', 'limit=ten']) {
      const reply = await call('GET', `/api/monitors?${query}`);
      expect(reply.status).toBe(400);
      expect(reply.requestValid).toBe(false);
    }
    expect((await call('GET', '/api/monitors?cursor=garbage')).status).toBe(400);
  });

  it('POST /api/monitors/{id}/status and /callbacks/{id}/{token}: 200 with accepted, 202 kept early, 400, and 404 for a wrong token', async () => {
    status.script('oa-push', [{ status: 'Processing' }]);
    const started = await call('POST', '/api/monitors', { body: { jobId: 'oa-push', statusUrl: status.template, interval: '1m' } });
    const callbackUrl = new URL(started.json.callbackUrl as string);
    expect(callbackUrl.pathname).toMatch(/^\/callbacks\/oa-push\/[\w-]{43}$/);

    const running = await call('POST', '/api/monitors/oa-push/status', { body: { status: 'Processing' } });
    expect(running).toMatchObject({ status: 200, requestValid: true, json: { lastStatus: 'Processing', accepted: true } });
    // Through the callback URL: only whether it counted and where the monitor stands, never its metadata, detail or status source.
    const stillRunning = await api.call(server.url, 'POST', callbackUrl.pathname, { body: { status: 'Processing' } });
    expect(stillRunning).toMatchObject({ status: 200, requestValid: true });
    expect(stillRunning.json).toEqual({ accepted: true, state: expect.stringMatching(/^(scheduled|polling)$/), outcome: null });
    const ended = await api.call(server.url, 'POST', callbackUrl.pathname, { body: { status: 'Completed', body: { size: 3 } } });
    expect(ended).toMatchObject({ status: 200, requestValid: true, json: { state: 'ended', outcome: 'completed', accepted: true } });
    expect(ended.json).toEqual({ accepted: true, state: 'ended', outcome: 'completed' });
    expect((await call('GET', '/api/monitors/oa-push')).json).toMatchObject({ outcome: 'completed', detail: { via: 'push', body: { size: 3 } } });
    const afterTheEnd = await api.call(server.url, 'POST', callbackUrl.pathname, { body: { status: 'Failed', body: { size: 4 } } });
    expect(afterTheEnd).toMatchObject({ status: 200, requestValid: true });
    expect(afterTheEnd.json).toEqual({ accepted: false, state: 'ended', outcome: 'completed' });
    // The API route keeps its whole answer.
    expect((await call('POST', '/api/monitors/oa-push/status', { body: { status: 'Failed' } })).json).toMatchObject({ outcome: 'completed', accepted: false, detail: { via: 'push' } });

    const early = await call('POST', '/api/monitors/oa-later/status', { body: { status: 'Failed' } });
    expect(early).toMatchObject({ status: 202, json: { monitorId: 'oa-later', state: 'not-started', accepted: true } });
    const earlyByCallback = await api.call(server.url, 'POST', new URL(callbackUrlOf('oa-sooner')).pathname, { body: { status: 'Failed' } });
    expect(earlyByCallback).toMatchObject({ status: 202, requestValid: true });
    expect(earlyByCallback.json).toEqual({ accepted: true, state: 'not-started', outcome: null });
    for (const body of [{}, { status: 7 }, { status: 'Completed', colour: 'red' }]) {
      const bad = await call('POST', '/api/monitors/oa-push/status', { body });
      expect(bad).toMatchObject({ status: 400, requestValid: false });
      expect(bad.json.error).toBe(`${bad.json.field}: ${bad.json.reason}`);
    }
    // A monitor of another namespace has its own callback route, which carries the namespace.
    // Scripted as running, so a poll that comes before the push cannot end it first.
    status.script('oa-team', [{ status: 'Processing' }]);
    const inTeam = await call('POST', '/api/monitors', { body: { namespace: 'team-oa', jobId: 'oa-team', statusUrl: status.template, interval: '1m' } });
    const teamUrl = new URL(inTeam.json.callbackUrl as string);
    expect(teamUrl.pathname).toMatch(/^\/callbacks\/team-oa\/oa-team\/[\w-]{43}$/);
    const teamPush = await api.call(server.url, 'POST', teamUrl.pathname, { body: { status: 'Completed' } });
    expect(teamPush).toMatchObject({ status: 200, requestValid: true, json: { accepted: true, state: 'ended', outcome: 'completed' } });
    const wrongToken = await api.call(server.url, 'POST', `/callbacks/oa-push/${'A'.repeat(43)}`, { body: { status: 'Completed' } });
    expect(wrongToken.status).toBe(404);
    expect((await api.call(server.url, 'POST', '/callbacks/oa-push/short', { body: { status: 'Completed' } })).json).toEqual(wrongToken.json);
  });

  it('GET /api/monitors/{id}/checks: pages of the history that fit the document, 400 and 404', async () => {
    status.script('oa-hist', [{ status: 'Processing' }, { code: 503 }, { status: 'Processing' }, { status: 'Done' }]);
    await call('POST', '/api/monitors', { body: { jobId: 'oa-hist', statusUrl: status.template, interval: 100, history: 'all', notifyUrl: 'http://127.0.0.1:1/hook' } });
    const all = await waitFor(async () => {
      const reply = await call('GET', '/api/monitors/oa-hist/checks');
      return reply.json.checks?.length === 4 ? reply : undefined;
    }, { what: 'four checks of oa-hist' });
    expect(all.json.checks.map((c: { result: string }) => c.result)).toEqual(['running', 'failed', 'running', 'terminal']);
    const first = await call('GET', '/api/monitors/oa-hist/checks?limit=3');
    expect(first.requestValid).toBe(true);
    expect(first.json.nextCursor).toBe('3');
    const rest = await call('GET', `/api/monitors/oa-hist/checks?limit=3&cursor=${first.json.nextCursor}`);
    expect(rest.json).toMatchObject({ checks: [{ seq: 4, status: 'Done' }], nextCursor: null });
    expect((await call('GET', '/api/monitors/oa-hist/checks?cursor=x')).status).toBe(400);
    expect((await call('GET', '/api/monitors/nobody/checks')).status).toBe(404);

    // This worker has no JOBWATCH_NOTIFY_SECRET: the notification is not sent unsigned, and says why.
    const ended = await waitFor(async () => {
      const reply = await call('GET', '/api/monitors/oa-hist');
      return reply.json.notifications?.[0]?.lastError ? reply : undefined;
    }, { what: "oa-hist's failed notification attempt" });
    expect(ended.json.notifications).toEqual([{
      channel: 'webhook', target: 'http://127.0.0.1:1/hook', attempts: 1, deliveredAt: null, gaveUpAt: null, lastError: expect.stringMatching(/^JOBWATCH_NOTIFY_SECRET is not set on this worker/),
    }]);
  });

  it('401 without the token, on every /api route', async () => {
    for (const [method, path] of [['GET', '/api/monitors'], ['POST', '/api/monitors'], ['GET', '/api/monitors/x'], ['GET', '/api/monitors/x/checks'], ['DELETE', '/api/monitors/x'], ['POST', '/api/monitors/x/status'], ['GET', '/api/quotas'], ['GET', '/api/openapi.json']] as const) {
      const reply = await api.call(server.url, method, path, method === 'POST' ? { body: { jobId: 'x', statusHook: true } } : {});
      expect(reply.status).toBe(401);
    }
  });

  it('/healthz: 200 here; 503 (health and API) from a server whose Postgres is unreachable', async () => {
    expect((await call('GET', '/healthz')).json).toEqual({ status: 'ok', redis: 'ok', postgres: 'ok' });

    const listening = await startServerWithoutPostgres(iso);
    try {
      const health = await api.call(listening.url, 'GET', '/healthz');
      expect(health.status).toBe(503);
      expect(health.json).toMatchObject({ status: 'down', postgres: expect.stringMatching(/^down: /) });
      expect((await api.call(listening.url, 'GET', '/api/monitors/nowhere')).status).toBe(503);
    } finally {
      await listening.close();
    }
  });

  it('GET /api/sources and POST /api/sources/{name}/try: the list, a tried check, 400 for an unknown source; a monitor of the source', async () => {
    const listed = await call('GET', '/api/sources');
    expect(listed.json).toEqual({ sources: [
      { name: 'scripted', target: 'url', reads: 'mapping status', params: [], auth: 'none', credentials: { resolved: true }, rateKey: 'scripted', starts: false },
      { name: 'started', target: 'answered', reads: 'convention http-202', params: [], auth: 'none', credentials: { resolved: true }, rateKey: 'started', starts: true },
    ] });
    status.script('oa-src', [{ status: 'Completed' }]);
    const tried = await call('POST', '/api/sources/scripted/try', { body: { jobId: 'oa-src' } });
    expect(tried.requestValid).toBe(true);
    expect(tried.json).toMatchObject({ source: 'scripted', read: 'ended', outcome: 'completed', status: 'Completed', httpStatus: 200 });
    expect((await call('POST', '/api/sources/nope/try', { body: { jobId: 'oa-src' } })).status).toBe(400);
    expect((await call('POST', '/api/sources/scripted/try', { body: { jobId: 'oa-src', extra: 1 } })).status).toBe(400);
    const started = await call('POST', '/api/monitors', { body: { jobId: 'oa-src', monitorId: 'oa-src', source: 'scripted', interval: '1m' } });
    expect(started.status).toBe(201);
    expect(started.requestValid).toBe(true);
    expect(started.json).toMatchObject({ statusSource: 'source scripted', rateKey: 'scripted' });
  });

  it('POST /api/operations: 201 started (in the starting state, with no job id), 200 for the same request again, 409 for another, 400', async () => {
    const body = { source: 'started', monitorId: 'oa-op', request: { body: { scene: 7 } }, interval: '1m' };
    const started = await call('POST', '/api/operations', { body });
    expect(started).toMatchObject({ status: 201, requestValid: true, json: { monitorId: 'oa-op', jobId: null, state: 'starting', operation: { fingerprint: expect.any(String) } } });
    expect((await call('POST', '/api/operations', { body })).status).toBe(200);
    expect((await call('POST', '/api/operations', { body: { ...body, request: { body: { scene: 8 } } } })).status).toBe(409);
    const bad = await call('POST', '/api/operations', { body: { source: 'scripted' } });
    expect(bad).toMatchObject({ status: 400, json: { field: 'source' } });
  });

  it("GET /api/quotas: each namespace's use against its quotas", async () => {
    const reply = await call('GET', '/api/quotas');
    expect(reply.status).toBe(200);
    expect(reply.json.namespaces).toEqual(expect.arrayContaining([{
      namespace: 'team-a', used: { runningMonitors: 0, startsPerSecond: 0, earlyPushes: 0, earlyPushBytes: 0 },
      limits: { runningMonitors: 5, startsPerSecond: 1_000, earlyPushes: null, earlyPushBytes: 64 * 1024 * 1024 },
    }]));
  });

  it('every documented operation was exercised, and every error status the API gives', () => {
    const exercised = new Set([...api.seen].map((entry) => entry.split(' ').slice(0, 2).join(' ')));
    expect([...exercised].sort()).toEqual(api.operations().sort());
    const statuses = new Set([...api.seen].map((entry) => entry.split(' ')[2]));
    for (const code of ['200', '201', '202', '400', '401', '404', '409', '413', '503']) expect(statuses).toContain(code);
  });
});
