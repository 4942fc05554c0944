import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { callbackUrl } from '../../src/client/callback-url.ts';
import { MAX_PUSHED_BODY_BYTES } from '../../src/monitor/input-limits.ts';
import type { RunningServer } from '../../src/wiring/start-server.ts';
import { request, startTestServer } from '../helpers/http.ts';
import { createIsolation, type Isolated } from '../helpers/isolation.ts';
import { runCli } from '../helpers/workers.ts';

/**
 * A pushed status's `body` is bounded at 16 KiB of JSON, as metadata is: over it, both push routes
 * answer 413 naming `body` and `jobwatch report` exits 2, and nothing is kept (no early status, no
 * change to a running monitor). Metadata keys that are JavaScript's prototype machinery are a 400.
 */
const TOKEN = 'tok-push-bounds-4c6e8a0b2d';
const SECRET = 'push-bounds-callback-secret-0123';

let iso: Isolated;
let server: RunningServer;

beforeAll(async () => {
  iso = await createIsolation();
  server = await startTestServer(iso, { JOBWATCH_API_TOKEN: TOKEN, JOBWATCH_CALLBACK_SECRET: SECRET });
});

afterAll(async () => {
  await server?.close();
  await iso?.cleanup();
});

/** A JSON body of exactly `bytes` bytes: `{"blob":"xxx…"}`. */
const bodyOf = (bytes: number) => ({ blob: 'x'.repeat(bytes - '{"blob":""}'.length) });
const routes: Record<string, (id: string) => { url: string; token?: string }> = {
  api: (id) => ({ url: `${server.url}/api/monitors/${id}/status`, token: TOKEN }),
  callback: (id) => ({ url: callbackUrl(server.url, SECRET, id) }),
};
const earlyKeys = async (id: string) => (await iso.redisKeys()).filter((key) => key.includes(':early:') && key.endsWith(id));

describe.each(Object.entries(routes))('the %s push route', (via, route) => {
  it('a body over 16 KiB of JSON is a 413 naming body, and nothing is kept for a monitor not started yet', async () => {
    const id = `early-${via}`;
    const reply = await request(route(id).url, { method: 'POST', token: route(id).token, body: { status: 'Completed', body: bodyOf(MAX_PUSHED_BODY_BYTES + 1) } });
    expect(reply.status).toBe(413);
    expect(reply.json).toEqual({ error: `body: must be at most ${MAX_PUSHED_BODY_BYTES} bytes of JSON; push a smaller body`, field: 'body', reason: `must be at most ${MAX_PUSHED_BODY_BYTES} bytes of JSON; push a smaller body` });
    expect(await earlyKeys(id)).toEqual([]);
    // At the limit it is kept.
    const kept = await request(route(id).url, { method: 'POST', token: route(id).token, body: { status: 'Completed', body: bodyOf(MAX_PUSHED_BODY_BYTES) } });
    expect(kept.status).toBe(202);
    expect(await earlyKeys(id)).toHaveLength(1);
  });

  it('a running monitor is left as it was', async () => {
    const id = `running-${via}`;
    const started = await request(`${server.url}/api/monitors`, { method: 'POST', token: TOKEN, body: { jobId: id, statusUrl: 'http://127.0.0.1:9/jobs/{jobId}', interval: '1h', firstPollIn: '1h' } });
    expect(started.status).toBe(201);
    const reply = await request(route(id).url, { method: 'POST', token: route(id).token, body: { status: 'Completed', body: [bodyOf(MAX_PUSHED_BODY_BYTES)] } });
    expect(reply.status).toBe(413);
    expect(reply.json.field).toBe('body');
    const after = await request(`${server.url}/api/monitors/${id}`, { token: TOKEN });
    expect(after.json).toMatchObject({ state: 'scheduled', lastStatus: null });
  });
});

describe('jobwatch report', () => {
  it('a --body over 16 KiB of JSON: one line naming --body, exit 2, nothing kept', async () => {
    const result = await runCli(['report', 'cli-big', 'Completed', '--body', JSON.stringify(bodyOf(MAX_PUSHED_BODY_BYTES + 1))], iso.env());
    expect(result.code).toBe(2);
    expect(result.stderr).toBe(`jobwatch: --body: must be at most ${MAX_PUSHED_BODY_BYTES} bytes of JSON; push a smaller body\n`);
    expect(await earlyKeys('cli-big')).toEqual([]);
  });
});

describe('metadata keys', () => {
  it.each([
    ['{"__proto__": {"isAdmin": true}}', 'metadata.__proto__'],
    ['{"team": "a", "constructor": {"prototype": {"x": 1}}}', 'metadata.constructor'],
    ['{"prototype": 1}', 'metadata.prototype'],
    ['{"nested": {"deeper": [{"__proto__": {}}]}}', 'metadata.nested.deeper[0].__proto__'],
  ])('%s is a 400 naming %s, and nothing is started', async (metadata, field) => {
    const id = `proto-${field.replace(/\W/g, '')}`;
    const body = `{"jobId": "${id}", "statusUrl": "http://127.0.0.1:9/jobs/{jobId}", "metadata": ${metadata}}`;
    const reply = await request(`${server.url}/api/monitors`, { method: 'POST', token: TOKEN, body });
    expect(reply.status).toBe(400);
    expect(reply.json).toEqual({ error: `${field}: is not allowed as a key`, field, reason: 'is not allowed as a key' });
    expect((await request(`${server.url}/api/monitors/${id}`, { token: TOKEN })).status).toBe(404);
  });
});
