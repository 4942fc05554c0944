import type { ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findResult } from '../../src/db/results.ts';
import type { RunningServer } from '../../src/wiring/start-server.ts';
import { request, startTestServer, type HttpReply } from '../helpers/http.ts';
import { createIsolation, type Isolated } from '../helpers/isolation.ts';
import { writeTestKeys, type TestKeys } from '../helpers/keys.ts';
import { startStatusServer, type StatusServer } from '../helpers/status-server.ts';
import { waitFor } from '../helpers/wait.ts';
import { exited, spawnWorker } from '../helpers/workers.ts';

/**
 * Quotas as users meet them: a server and two real `jobwatch worker` processes. One team fills its
 * quota of running monitors and of early pushes, and is refused with 429 and nothing written,
 * while another namespace keeps starting and finishing monitors; when the first team's monitors
 * end, the workers count them out and its starts are taken again.
 */
const RUNNING_QUOTA = 5;
const EARLY_PUSH_QUOTA = 3;

let iso: Isolated;
let keys: TestKeys;
let status: StatusServer;
let server: RunningServer;
let workers: ChildProcess[] = [];

beforeAll(async () => {
  iso = await createIsolation();
  status = await startStatusServer();
  keys = writeTestKeys([
    { name: 'full', scopes: 'read,start,push,cancel', namespaces: ['team-full'] },
    { name: 'busy', scopes: 'read,start,push,cancel', namespaces: ['team-busy'] },
  ]);
  const env = {
    JOBWATCH_KEYS_FILE: keys.path,
    JOBWATCH_NAMESPACE_QUOTAS: JSON.stringify({ 'team-full': { runningMonitors: RUNNING_QUOTA, earlyPushes: EARLY_PUSH_QUOTA } }),
  };
  server = await startTestServer(iso, env);
  workers = [spawnWorker(iso.env(env)), spawnWorker(iso.env(env))];
});

afterAll(async () => {
  await server?.close();
  for (const worker of workers) {
    worker.kill('SIGTERM');
    await exited(worker);
  }
  await status?.close();
  await iso?.cleanup();
  keys?.remove();
});

const api = (key: string, method: string, path: string, body?: unknown): Promise<HttpReply> =>
  request(`${server.url}${path}`, { method, token: keys.key[key]!, ...(body === undefined ? {} : { body }) });
const start = (key: string, jobId: string, interval: string | number = '1h') =>
  api(key, 'POST', '/api/monitors', { jobId, statusUrl: status.template, interval });

describe('quotas, per namespace', () => {
  it('a full namespace is refused with 429 and Retry-After, writes nothing, and the other namespace goes on starting and finishing', async () => {
    for (let i = 0; i < RUNNING_QUOTA; i++) {
      status.script(`full-${i}`, [{ status: 'Processing' }]);
      expect((await start('full', `full-${i}`)).status, `full-${i}`).toBe(201);
    }
    let busyEnded = 0;
    for (let round = 0; round < 3; round++) {
      const refused = await start('full', `full-over-${round}`);
      expect(refused.status).toBe(429);
      expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      expect(refused.json.error).toMatch(/^quota: namespace team-full has 5 running monitors/);
      expect((await api('full', 'GET', `/api/monitors/full-over-${round}`)).status).toBe(404);
      // Meanwhile the other team starts monitors that run to their end.
      const batch = Array.from({ length: 5 }, (_, i) => `busy-${round}-${i}`);
      for (const jobId of batch) {
        status.script(jobId, [{ status: 'Processing' }, { status: 'Completed' }]);
        expect((await start('busy', jobId, 100)).status, jobId).toBe(201);
      }
      for (const jobId of batch) {
        await waitFor(() => findResult(iso.database.db, { namespace: 'team-busy', monitorId: jobId }), { what: `the row of ${jobId}` });
        busyEnded += 1;
      }
    }
    expect(busyEnded).toBe(15);
    const use = await api('full', 'GET', '/api/quotas');
    expect(use.json.namespaces).toEqual([expect.objectContaining({ namespace: 'team-full' })]);
    expect(JSON.stringify(use.json)).toContain(`"runningMonitors"`);
  });

  it("a monitor that ends is counted out by the workers, and the namespace's starts are taken again", async () => {
    expect((await api('full', 'DELETE', '/api/monitors/full-0')).json).toMatchObject({ outcome: 'canceled' });
    await waitFor(() => findResult(iso.database.db, { namespace: 'team-full', monitorId: 'full-0' }), { what: 'the canceled row' });
    status.script('full-after', [{ status: 'Processing' }]);
    // The worker counts it out once it has written the record: wait for that by trying, not by time.
    const taken = await waitFor(async () => {
      const reply = await start('full', 'full-after');
      return reply.status === 201 ? reply : undefined;
    }, { what: 'a start taken again after a monitor ended' });
    expect(taken.json).toMatchObject({ namespace: 'team-full', jobId: 'full-after' });
    expect((await start('full', 'full-over-again')).status).toBe(429);
  });

  it('early pushes: over the count, 429 and nothing kept; the other namespace still keeps its own', async () => {
    for (let i = 0; i < EARLY_PUSH_QUOTA; i++) {
      expect((await api('full', 'POST', `/api/monitors/early-${i}/status`, { status: 'Completed' })).status).toBe(202);
    }
    const refused = await api('full', 'POST', '/api/monitors/early-over/status', { status: 'Completed' });
    expect(refused.status).toBe(429);
    expect(refused.json.error).toMatch(/^quota: namespace team-full/);
    // A newer push for a monitor already counted replaces the older one: it is taken.
    expect((await api('full', 'POST', '/api/monitors/early-0/status', { status: 'Failed' })).status).toBe(202);
    expect((await api('busy', 'POST', '/api/monitors/early-over/status', { status: 'Completed' })).status).toBe(202);
  });
});
