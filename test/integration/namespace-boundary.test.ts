import type { ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findResult } from '../../src/db/results.ts';
import type { RunningServer } from '../../src/wiring/start-server.ts';
import { basicAuth, request, startTestServer, type HttpReply } from '../helpers/http.ts';
import { createIsolation, type Isolated } from '../helpers/isolation.ts';
import { writeTestKeys, type TestKeys } from '../helpers/keys.ts';
import { writeSourcesFile, type SourcesFile } from '../helpers/sources-file.ts';
import { startStatusServer, type StatusServer } from '../helpers/status-server.ts';
import { waitFor } from '../helpers/wait.ts';
import { exited, spawnWorker } from '../helpers/workers.ts';

/**
 * A namespace is a real boundary over the API: two teams' keys, each acting in its own namespace,
 * a key that reads both, and one real worker. The same id in both is two monitors; nothing one
 * team sends reads, ends or pre-empts the other's monitors; every view shows the caller's own.
 */
const EVERY = ['read', 'start', 'push', 'cancel'].join(',');

let iso: Isolated;
let keys: TestKeys;
let sources: SourcesFile;
let status: StatusServer;
let server: RunningServer;
let worker: ChildProcess;

beforeAll(async () => {
  iso = await createIsolation();
  status = await startStatusServer();
  keys = writeTestKeys([
    { name: 'team-a', scopes: EVERY, namespaces: ['team-a'] },
    { name: 'team-b', scopes: EVERY, namespaces: ['team-b'] },
    { name: 'both-readers', scopes: 'read', namespaces: ['team-a', 'team-b'] },
  ]);
  sources = writeSourcesFile({ 'a-only': { url: `${status.url}/jobs/{jobId}`, namespaces: ['team-a'] } });
  const env = { JOBWATCH_KEYS_FILE: keys.path, JOBWATCH_SOURCES: sources.path, JOBWATCH_CALLBACK_SECRET: 'a-callback-secret-of-the-test' };
  server = await startTestServer(iso, env);
  worker = spawnWorker(iso.env(env));
});

afterAll(async () => {
  await server?.close();
  if (worker) {
    worker.kill('SIGTERM');
    await exited(worker);
  }
  await status?.close();
  await iso?.cleanup();
  keys?.remove();
  sources?.remove();
});

const api = (key: string, method: string, path: string, body?: unknown): Promise<HttpReply> =>
  request(`${server.url}${path}`, { method, token: keys.key[key]!, ...(body === undefined ? {} : { body }) });
const start = (key: string, body: Record<string, unknown>) =>
  api(key, 'POST', '/api/monitors', { statusUrl: status.template, interval: 100, ...body });
const row = (namespace: string, monitorId: string) =>
  waitFor(() => findResult(iso.database.db, { namespace, monitorId }), { what: `the row of ${namespace}/${monitorId}` });

describe('the same monitor id in two namespaces', () => {
  it('is two monitors with two rows, and neither start is a 409', async () => {
    status.script('job-a-42', [{ status: 'Processing' }, { status: 'Completed' }]);
    status.script('job-b-42', [{ status: 'Processing' }, { status: 'Failed' }]);
    const a = await start('team-a', { monitorId: 'export-42', jobId: 'job-a-42' });
    const b = await start('team-b', { monitorId: 'export-42', jobId: 'job-b-42' });
    expect([a.status, b.status]).toEqual([201, 201]);
    expect(a.json).toMatchObject({ namespace: 'team-a', monitorId: 'export-42', jobId: 'job-a-42' });
    expect(b.json).toMatchObject({ namespace: 'team-b', monitorId: 'export-42', jobId: 'job-b-42' });
    expect(a.headers.get('location')).toBe('/api/monitors/export-42?namespace=team-a');
    expect((await row('team-a', 'export-42')).outcome).toBe('completed');
    expect((await row('team-b', 'export-42')).outcome).toBe('failed');
    expect((await api('team-a', 'GET', '/api/monitors/export-42')).json).toMatchObject({ namespace: 'team-a', jobId: 'job-a-42', outcome: 'completed' });
    expect((await api('team-b', 'GET', '/api/monitors/export-42')).json).toMatchObject({ namespace: 'team-b', jobId: 'job-b-42', outcome: 'failed' });
  });

  it("a 409 speaks of the caller's own monitor only", async () => {
    status.script('job-a-9', [{ status: 'Processing' }]);
    expect((await start('team-a', { monitorId: 'conflict-9', jobId: 'job-a-9', interval: '1h' })).status).toBe(201);
    const other = await start('team-b', { monitorId: 'conflict-9', jobId: 'job-b-9', interval: '1h' });
    expect(other.status).toBe(201);
    const again = await start('team-b', { monitorId: 'conflict-9', jobId: 'job-b-other', interval: '1h' });
    expect(again.status).toBe(409);
    expect(again.text).toContain('job-b-9');
    expect(again.text).not.toContain('job-a-9');
  });
});

describe("nothing one team sends reaches the other's monitors", () => {
  it("a read, a history page or a cancel of another namespace's monitor is a 404, as if it did not exist", async () => {
    status.script('job-only-a', [{ status: 'Processing' }]);
    expect((await start('team-a', { monitorId: 'only-a', jobId: 'job-only-a', interval: '1h' })).status).toBe(201);
    for (const [method, path] of [['GET', '/api/monitors/only-a'], ['GET', '/api/monitors/only-a/checks'], ['DELETE', '/api/monitors/only-a']] as const) {
      const reply = await api('team-b', method, path);
      expect(reply.status, `${method} ${path}`).toBe(404);
      expect(reply.text, `${method} ${path}`).not.toContain('job-only-a');
    }
    expect((await api('team-a', 'GET', '/api/monitors/only-a')).json).toMatchObject({ state: expect.stringMatching(/scheduled|polling/) });
  });

  it('naming another namespace is a 403 that names only that namespace, on every route that takes one', async () => {
    const routes = [
      ['GET', '/api/monitors/only-a?namespace=team-a'], ['GET', '/api/monitors/only-a/checks?namespace=team-a'],
      ['DELETE', '/api/monitors/only-a?namespace=team-a'], ['POST', '/api/monitors/only-a/status?namespace=team-a'],
      ['GET', '/api/monitors?namespace=team-a'],
    ] as const;
    for (const [method, path] of routes) {
      const reply = await api('team-b', method, path, method === 'POST' ? { status: 'Failed' } : undefined);
      expect(reply.status, `${method} ${path}`).toBe(403);
      expect(reply.json, `${method} ${path}`).toEqual({ error: 'forbidden: this key may not act in the namespace team-a' });
    }
    const started = await start('team-b', { monitorId: 'sneak', jobId: 'job-sneak', namespace: 'team-a' });
    expect(started.status).toBe(403);
    expect((await api('team-a', 'GET', '/api/monitors/sneak')).status).toBe(404);
    expect((await api('team-a', 'GET', '/api/monitors/only-a')).json).toMatchObject({ state: expect.stringMatching(/scheduled|polling/) });
  });

  it("an early push from one namespace is kept for its own future monitor and never ends or pre-empts the other's", async () => {
    const pushed = await api('team-b', 'POST', '/api/monitors/future-7/status', { status: 'Failed', body: { by: 'team-b' } });
    expect(pushed.status).toBe(202);
    expect(pushed.json).toMatchObject({ namespace: 'team-b', state: 'not-started' });
    status.script('job-future-a', [{ status: 'Processing' }, { status: 'Completed' }]);
    expect((await start('team-a', { monitorId: 'future-7', jobId: 'job-future-a' })).status).toBe(201);
    expect((await row('team-a', 'future-7')).outcome).toBe('completed');
    expect(status.calls('job-future-a')).toBe(2);
    status.script('job-future-b', [{ status: 'Processing' }]);
    expect((await start('team-b', { monitorId: 'future-7', jobId: 'job-future-b' })).status).toBe(201);
    expect((await row('team-b', 'future-7')).outcome).toBe('failed');
    expect(status.calls('job-future-b')).toBe(0);
  });

  it("a callback URL pushes to its own namespace's monitor only", async () => {
    status.script('job-cb-a', [{ status: 'Processing' }]);
    status.script('job-cb-b', [{ status: 'Processing' }]);
    const a = await start('team-a', { monitorId: 'cb-1', jobId: 'job-cb-a', interval: '1h' });
    const b = await start('team-b', { monitorId: 'cb-1', jobId: 'job-cb-b', interval: '1h' });
    // The URL as the server answers it, sent to the test server (its JOBWATCH_PUBLIC_URL is the default).
    const urlOf = (reply: HttpReply) => `${server.url}${new URL(String(reply.json.callbackUrl)).pathname}`;
    expect(urlOf(a)).toContain('/callbacks/team-a/cb-1/');
    expect(urlOf(b)).toContain('/callbacks/team-b/cb-1/');
    // Team B's token on team A's path is a wrong callback URL: answered as one.
    const forged = urlOf(a).replace(/[^/]+$/, urlOf(b).split('/').pop()!);
    expect((await request(forged, { method: 'POST', body: { status: 'Failed' } })).status).toBe(404);
    const pushed = await request(urlOf(a), { method: 'POST', body: { status: 'Completed' } });
    expect(pushed.status).toBe(200);
    expect(pushed.json).toEqual({ accepted: true, state: 'ended', outcome: 'completed' });
    expect((await api('team-b', 'GET', '/api/monitors/cb-1')).json).toMatchObject({ state: expect.stringMatching(/scheduled|polling/) });
    expect((await api('team-b', 'DELETE', '/api/monitors/cb-1')).json).toMatchObject({ outcome: 'canceled' });
  });

  it('a source open to one namespace is refused to the others with 403, before anything is written', async () => {
    const refused = await api('team-b', 'POST', '/api/monitors', { source: 'a-only', jobId: 'job-src', monitorId: 'src-1' });
    expect(refused.status).toBe(403);
    expect(refused.json).toEqual({ error: 'forbidden: the source "a-only" is not open to the namespace team-b' });
    expect((await api('team-b', 'GET', '/api/monitors/src-1')).status).toBe(404);
    status.script('job-src', [{ status: 'Completed' }]);
    expect((await api('team-a', 'POST', '/api/monitors', { source: 'a-only', jobId: 'job-src', monitorId: 'src-1' })).status).toBe(201);
    expect((await row('team-a', 'src-1')).outcome).toBe('completed');
    // Nor is it listed to them, or tried for them with its credentials.
    const names = (reply: HttpReply) => (reply.json.sources as { name: string }[]).map((source) => source.name);
    expect(names(await api('team-a', 'GET', '/api/sources'))).toEqual(['a-only']);
    expect(names(await api('team-b', 'GET', '/api/sources'))).toEqual([]);
    const tried = await api('team-b', 'POST', '/api/sources/a-only/try', { jobId: 'job-src' });
    expect(tried.status).toBe(403);
    expect(tried.json).toEqual({ error: 'forbidden: the source "a-only" is not open to the namespace team-b' });
  });
});

describe("every view shows the caller's namespaces only", () => {
  const namespacesIn = (reply: HttpReply) => new Set((reply.json.monitors as { namespace: string }[]).map((monitor) => monitor.namespace));

  it('the list: each team sees its own; a key of both sees both, and may narrow to one', async () => {
    expect(namespacesIn(await api('team-a', 'GET', '/api/monitors?limit=1000'))).toEqual(new Set(['team-a']));
    expect(namespacesIn(await api('team-b', 'GET', '/api/monitors?limit=1000'))).toEqual(new Set(['team-b']));
    expect(namespacesIn(await api('both-readers', 'GET', '/api/monitors?limit=1000'))).toEqual(new Set(['team-a', 'team-b']));
    expect(namespacesIn(await api('both-readers', 'GET', '/api/monitors?limit=1000&namespace=team-b'))).toEqual(new Set(['team-b']));
    expect((await api('both-readers', 'GET', '/api/monitors?namespace=default')).status).toBe(403);
  });

  it('the monitors page, its overview and the quota report', async () => {
    const page = (path: string) => request(`${server.url}${path}`, { headers: basicAuth('ops', keys.key['team-b']!) });
    const list = await page('/ui/monitors');
    expect(list.status).toBe(200);
    expect(list.text).toContain('job-b-42');
    expect(list.text).not.toContain('job-a-42');
    expect(list.text).not.toContain('only-a');
    expect((await page('/ui/monitors/only-a?namespace=team-a')).status).toBe(403);
    expect((await page('/ui/monitors/only-a')).status).toBe(404);
    const overview = await api('team-b', 'GET', '/api/quotas');
    expect((overview.json.namespaces as { namespace: string }[]).map((use) => use.namespace)).toEqual(['team-b']);
    const ui = await page('/ui');
    expect(ui.status).toBe(200);
    expect(ui.text).toContain('<h2>Quotas</h2>');
    expect(ui.text).toContain('team-b');
    expect(ui.text).not.toContain('team-a');
    expect(ui.text).not.toContain('a-only'); // team-a's source, in the host table of its checks
  });

  it('the board and /metrics, which cannot filter, need admin', async () => {
    expect((await api('both-readers', 'GET', '/metrics')).status).toBe(403);
    expect((await request(`${server.url}/board`, { headers: basicAuth('ops', keys.key['both-readers']!) })).status).toBe(403);
  });
});
