import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../../src/wiring/start-server.ts';
import type { WorkerProcess } from '../../src/wiring/worker-process.ts';
import { request, startTestServer } from '../helpers/http.ts';
import { createIsolation, type Isolated } from '../helpers/isolation.ts';
import { writeSourcesFile, type SourcesFile } from '../helpers/sources-file.ts';
import { waitFor } from '../helpers/wait.ts';
import { startTestWorker } from '../helpers/workers.ts';

/**
 * What the API lets a client point a monitor at, over real HTTP: only named sources under
 * JOBWATCH_ALLOWED_STATUS_URLS=sources, loopback in every spelling by default, never a path that
 * climbs with an encoded `..`; and the `statusSource` shown is the URL the status service received.
 */
const TOKEN = 'tok-exposure-8d2c4e6f1a3b';

/** A status service that records the path (and query) of every request it receives, and answers Completed. */
interface RecordingService { url: string; port: number; received: string[]; close(): Promise<void> }

async function startRecordingService(): Promise<RecordingService> {
  const received: string[] = [];
  const server: Server = createServer((req, res) => {
    received.push(req.url ?? '');
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ status: 'Completed' }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`, port, received,
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

let iso: Isolated;
let service: RecordingService;
let sources: SourcesFile;
let open: RunningServer;
let sourcesOnly: RunningServer;
let worker: WorkerProcess;

beforeAll(async () => {
  iso = await createIsolation();
  service = await startRecordingService();
  sources = writeSourcesFile({ runs: { url: `${service.url}/runs/{jobId}` } });
  open = await startTestServer(iso, { JOBWATCH_API_TOKEN: TOKEN, JOBWATCH_SOURCES: sources.path });
  sourcesOnly = await startTestServer(iso, { JOBWATCH_API_TOKEN: TOKEN, JOBWATCH_SOURCES: sources.path, JOBWATCH_ALLOWED_STATUS_URLS: 'sources' });
  worker = await startTestWorker(iso, { JOBWATCH_SOURCES: sources.path });
});

afterAll(async () => {
  await worker?.close();
  await sourcesOnly?.close();
  await open?.close();
  await service?.close();
  sources?.remove();
  await iso?.cleanup();
});

let seq = 0;
const start = (base: string, body: Record<string, unknown>) =>
  request(`${base}/api/monitors`, { method: 'POST', token: TOKEN, body: { jobId: `x-${++seq}`, interval: '1h', ...body } });

describe('JOBWATCH_ALLOWED_STATUS_URLS=sources', () => {
  it.each([
    ['statusUrl', { statusUrl: 'http://127.0.0.1:9/jobs/{jobId}' }],
    ['batchStatusUrl', { batchStatusUrl: 'http://127.0.0.1:9/statuses' }],
    ['notifyUrl', { source: 'runs', notifyUrl: 'http://127.0.0.1:9/hooks' }],
  ])('a %s given over the API is refused 400 naming the field, and nothing is started', async (field, body) => {
    const reply = await start(sourcesOnly.url, body);
    expect(reply.status).toBe(400);
    expect(reply.json).toMatchObject({
      field, reason: 'is not allowed: JOBWATCH_ALLOWED_STATUS_URLS=sources allows only monitors of named sources; give `source` (and `params`) instead of a URL',
    });
    expect((await request(`${sourcesOnly.url}/api/monitors/x-${seq}`, { token: TOKEN })).status).toBe(404);
  });

  it('a monitor of a named source starts', async () => {
    const reply = await start(sourcesOnly.url, { source: 'runs' });
    expect(reply.status).toBe(201);
    expect(reply.json.statusSource).toBe('source runs');
  });
});

describe('the default, loopback only', () => {
  it.each(['127.0.0.1', 'localhost', 'LOCALHOST', 'localhost.', '127.1', '2130706433', '0x7f000001', '[::1]', '[::ffff:7f00:1]', '[::ffff:127.0.0.1]', '[0:0:0:0:0:ffff:7f00:1]'])(
    'http://%s is loopback: accepted', async (host) => {
      expect((await start(open.url, { statusUrl: `http://${host}:9/jobs/{jobId}` })).status).toBe(201);
    },
  );

  it.each(['10.0.0.1', '0.0.0.0', '[::ffff:a00:1]', '[::]', 'localhost.example.com', '167772161'])('http://%s is not: refused naming statusUrl', async (host) => {
    const reply = await start(open.url, { statusUrl: `http://${host}:9/jobs/{jobId}` });
    expect(reply.status).toBe(400);
    expect(reply.json.field).toBe('statusUrl');
  });
});

describe('encoded traversal', () => {
  const climbs = ['..%2fadmin', '..%2Fadmin', '..%5cadmin', '..%5Cadmin', '%2e%2e/admin', '%2E%2E%2Fadmin', '%252e%252e/admin', '..%252fadmin', '..%252Fadmin'];

  it.each(climbs)('statusUrl /jobs/%s/{jobId}: 400 naming statusUrl', async (climb) => {
    const reply = await start(open.url, { statusUrl: `${service.url}/jobs/${climb}/{jobId}` });
    expect(reply.status).toBe(400);
    expect(reply.json).toMatchObject({ field: 'statusUrl', reason: expect.stringMatching(/^its path holds .*an encoded \. or \.\. step/) });
  });

  it.each(climbs)('batchStatusUrl and notifyUrl /%s: 400 naming the field', async (climb) => {
    const batch = await start(open.url, { batchStatusUrl: `${service.url}/${climb}/statuses` });
    expect(batch.status).toBe(400);
    expect(batch.json.field).toBe('batchStatusUrl');
    const notify = await start(open.url, { statusUrl: `${service.url}/jobs/{jobId}`, notifyUrl: `${service.url}/${climb}/hooks` });
    expect(notify.status).toBe(400);
    expect(notify.json.field).toBe('notifyUrl');
  });

  it('also under a prefix list, where the climb would leave the allowed path', async () => {
    const listed = await startTestServer(iso, { JOBWATCH_API_TOKEN: TOKEN, JOBWATCH_ALLOWED_STATUS_URLS: `${service.url}/jobs/` });
    try {
      const reply = await start(listed.url, { statusUrl: `${service.url}/jobs/..%2f..%2finternal/admin/{jobId}` });
      expect(reply.status).toBe(400);
      expect(reply.json.field).toBe('statusUrl');
      expect((await start(listed.url, { statusUrl: `${service.url}/jobs/{jobId}` })).status).toBe(201);
    } finally {
      await listed.close();
    }
  });
});

describe('statusSource is the URL fetched', () => {
  it.each([
    ['a space and unicode in the path', '/jobs/caf%C3%A9%20n%C2%BA/{jobId}', 'job 1/é'],
    ['unicode written raw', '/jobs/café/{jobId}', 'ü'],
    ['an encoded slash that climbs nowhere', '/jobs/a%2Fb/{jobId}', 'plain'],
  ])('%s: the status service receives exactly the path shown', async (_, path, jobId) => {
    const monitorId = `shown-${++seq}`;
    const started = await request(`${open.url}/api/monitors`, {
      method: 'POST', token: TOKEN, body: { monitorId, jobId, statusUrl: `${service.url}${path}?key=s3cret`, interval: '1h' },
    });
    expect(started.status).toBe(201);
    const shown = started.json.statusSource as string;
    expect(shown).not.toContain('s3cret');
    // The job ends at its first poll; the request that ended it is the one fetched.
    await waitFor(async () => (await request(`${open.url}/api/monitors/${monitorId}`, { token: TOKEN })).json.state === 'ended', { what: `${monitorId} to end` });
    const fetched = service.received.filter((url) => url.endsWith('?key=s3cret')).map((url) => `${service.url}${url.replace(/\?key=s3cret$/, '')}`);
    expect(fetched).toContain(shown);
    expect(shown.startsWith(`${service.url}/jobs/`)).toBe(true);
    expect(shown).toContain(encodeURIComponent(jobId));
  });
});
