import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/config.ts';
import { ConfigError } from '../../src/errors/errors.ts';
import type { RunningServer } from '../../src/wiring/start-server.ts';
import { basicAuth, request, spawnServing, startTestServer } from '../helpers/http.ts';
import { createIsolation, type Isolated } from '../helpers/isolation.ts';
import { TEST_REDIS_URL } from '../helpers/services.ts';
import { startStatusServer, type StatusServer } from '../helpers/status-server.ts';
import { waitFor } from '../helpers/wait.ts';
import { runCli } from '../helpers/workers.ts';

const TOKEN = 'tok-3f9c1a7e5b2d4c6a8e0f';

let iso: Isolated;
let status: StatusServer;
let secured: RunningServer;

beforeAll(async () => {
  iso = await createIsolation();
  status = await startStatusServer();
  secured = await startTestServer(iso, { JOBWATCH_API_TOKEN: TOKEN });
});

afterAll(async () => {
  await secured?.close();
  await status?.close();
  await iso?.cleanup();
});

/** Every protected route, with what it answers once the right credentials are sent. */
const API_ROUTES: [method: string, path: string, okStatus: number][] = [
  ['POST', '/api/monitors', 201],
  ['GET', '/api/monitors', 200],
  ['GET', '/api/monitors/auth-1', 200],
  ['DELETE', '/api/monitors/nobody', 404],
  ['GET', '/api/openapi.json', 200],
  ['GET', '/metrics', 200],
];
const BOARD_ROUTES = ['/board', '/board/', '/board/queue/polls', '/board/api/queues', '/board/api/redis/stats'];
const body = (method: string) => (method === 'POST' ? { jobId: 'auth-1', statusUrl: 'http://127.0.0.1:9/jobs/{jobId}', interval: '1h' } : undefined);

describe('with JOBWATCH_API_TOKEN set', () => {
  it.each(API_ROUTES)('%s %s: 401 without a token, with a wrong one, or with Basic; %i with the token', async (method, path, okStatus) => {
    const url = `${secured.url}${path}`;
    for (const token of [undefined, 'wrong', TOKEN.slice(0, -1), `${TOKEN}x`, '']) {
      const reply = await request(url, { method, body: body(method), ...(token === undefined ? {} : { token }) });
      expect(reply.status, `token ${JSON.stringify(token)}`).toBe(401);
      expect(reply.headers.get('www-authenticate')).toBe('Bearer realm="jobwatch"');
      expect(reply.json.error).toMatch(/Authorization: Bearer <key> \(a key of JOBWATCH_KEYS_FILE, or JOBWATCH_API_TOKEN\)$/);
    }
    expect((await request(url, { method, body: body(method), headers: basicAuth('ops', TOKEN) })).status).toBe(401);
    expect((await request(url, { method, body: body(method), token: TOKEN })).status).toBe(okStatus);
  });

  it.each(BOARD_ROUTES)('%s: 401 without basic auth, with a wrong password, or with a bearer token; 200 with the token as password', async (path) => {
    const url = `${secured.url}${path}`;
    for (const headers of [{}, basicAuth('ops', 'wrong'), basicAuth(TOKEN, ''), { authorization: `Bearer ${TOKEN}` }]) {
      const reply = await request(url, { headers });
      expect(reply.status, JSON.stringify(headers)).toBe(401);
      expect(reply.headers.get('www-authenticate')).toBe('Basic realm="jobwatch board", charset="UTF-8"');
    }
    expect((await request(url, { headers: basicAuth('anyone', TOKEN) })).status).toBe(200);
  });

  it("the board's scripts are protected too", async () => {
    const page = await request(`${secured.url}/board`, { headers: basicAuth('ops', TOKEN) });
    const script = /src="(static\/js\/main\.[^"]+\.js)"/.exec(page.text)?.[1];
    expect(script).toBeDefined();
    expect((await request(`${secured.url}/board/${script}`)).status).toBe(401);
    expect((await request(`${secured.url}/board/${script}`, { headers: basicAuth('ops', TOKEN) })).status).toBe(200);
  });

  it('/healthz stays open', async () => {
    const reply = await request(`${secured.url}/healthz`);
    expect(reply.status).toBe(200);
    expect(reply.json.status).toBe('ok');
  });

  it('the board is read-only unless JOBWATCH_BOARD_WRITE=1; even then it cannot add jobs or edit their data', async () => {
    const auth = basicAuth('ops', TOKEN);
    const pause = await request(`${secured.url}/board/api/queues/polls/pause`, { method: 'PUT', headers: auth });
    expect(pause.status).toBe(405);

    const writable = await startTestServer(iso, { JOBWATCH_API_TOKEN: TOKEN, JOBWATCH_BOARD_WRITE: '1' });
    try {
      expect((await request(`${writable.url}/board/api/queues/polls/pause`, { method: 'PUT', headers: auth })).status).toBeLessThan(300);
      expect((await request(`${writable.url}/board/api/queues/polls/resume`, { method: 'PUT', headers: auth })).status).toBeLessThan(300);
      const added = await request(`${writable.url}/board/api/queues/polls/add`, {
        method: 'POST', headers: auth, body: { name: 'poll', data: { monitorId: 'sneaky', status: { kind: 'http', url: 'http://10.0.0.1/' } } },
      });
      expect(added.status).toBe(405);
      const edited = await request(`${writable.url}/board/api/queues/polls/m-auth-1/update-data`, { method: 'PATCH', headers: auth, body: { data: {} } });
      expect(edited.status).toBe(405);
      const keys = await iso.redisKeys();
      expect(keys.some((key) => key.includes('sneaky'))).toBe(false);
    } finally {
      await writable.close();
    }
  });
});

describe('secure by default: without a token, loopback only', () => {
  it.each([['0.0.0.0'], ['::'], ['192.0.2.10']])('jobwatch server --host %s is refused with one line saying to make keys or set the token (exit 2)', async (host) => {
    const result = await runCli(['server', '--host', host, '--port', '0'], iso.env());
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr.trim()).toBe(
      `jobwatch: --host ${host}: without JOBWATCH_KEYS_FILE or JOBWATCH_API_TOKEN the server listens on loopback only; ` +
        'create keys with `jobwatch keys create` (or set JOBWATCH_API_TOKEN, e.g. from `openssl rand -hex 32`) to listen on other addresses',
    );
  });

  it('jobwatch worker --metrics-host 0.0.0.0 is refused the same way', async () => {
    const result = await runCli(['worker', '--metrics-port', '0', '--metrics-host', '0.0.0.0'], iso.env());
    expect(result.code).toBe(2);
    expect(result.stderr.trim()).toMatch(/^jobwatch: --metrics-host 0\.0\.0\.0: without JOBWATCH_KEYS_FILE or JOBWATCH_API_TOKEN .* set JOBWATCH_API_TOKEN/);
  });

  it.each([['0.0.0.0'], ['::'], ['192.0.2.10']])('with the token but no JOBWATCH_ALLOWED_STATUS_URLS, jobwatch server --host %s is refused with one line saying how to restrict them (exit 2)', async (host) => {
    const result = await runCli(['server', '--host', host, '--port', '0'], iso.env({ JOBWATCH_API_TOKEN: TOKEN }));
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr.trim()).toBe(
      `jobwatch: --host ${host}: a server reachable from other machines must not fetch any loopback URL a client sends; ` +
        'set JOBWATCH_ALLOWED_STATUS_URLS to the status URL prefixes to allow (e.g. https://jobs.internal/api/) or to sources (named sources only)',
    );
  });

  it.each([['127.0.0.1'], ['localhost'], ['127.1'], ['2130706433'], ['::1']])('--host %s is loopback: it serves with neither the token nor an allow-list', async (host) => {
    const server = await spawnServing(['server', '--host', host, '--port', '0'], iso.env({ LOG_LEVEL: 'info' }), 'server listening');
    try {
      expect((await request(`${server.url}/healthz`)).status).toBe(200);
    } finally {
      expect(await server.stop()).toBe(0);
    }
  });

  it('with the token and status URLs restricted, --host 0.0.0.0 serves, and asks for the token', async () => {
    const env = iso.env({ JOBWATCH_API_TOKEN: TOKEN, JOBWATCH_ALLOWED_STATUS_URLS: 'https://jobs.internal/api/', LOG_LEVEL: 'info' });
    const server = await spawnServing(['server', '--host', '0.0.0.0', '--port', '0'], env, 'server listening');
    try {
      const port = new URL(server.url).port;
      expect(new URL(server.url).hostname).toBe('0.0.0.0');
      expect((await request(`http://127.0.0.1:${port}/api/monitors`)).status).toBe(401);
      expect((await request(`http://127.0.0.1:${port}/api/monitors`, { token: TOKEN })).status).toBe(200);
    } finally {
      expect(await server.stop()).toBe(0);
    }
  });

  it('a token that is too short is refused without echoing it', () => {
    expect(() => loadConfig({ JOBWATCH_API_TOKEN: 'hunter2' })).toThrow(ConfigError);
    expect(() => loadConfig({ JOBWATCH_API_TOKEN: 'hunter2' })).toThrow(/^JOBWATCH_API_TOKEN: must be at least 16 characters/);
    expect(() => loadConfig({ JOBWATCH_API_TOKEN: 'hunter2' })).not.toThrow(/hunter2/);
    expect(() => loadConfig({ JOBWATCH_API_TOKEN: 'has-a-spaceQQ in-it' })).toThrow(/^JOBWATCH_API_TOKEN: must be visible ASCII/);
    expect(() => loadConfig({ JOBWATCH_API_TOKEN: 'has-a-spaceQQ in-it' })).not.toThrow(/spaceQQ/);
  });
});

describe('the status URL allow-list (JOBWATCH_ALLOWED_STATUS_URLS)', () => {
  const start = (url: string, base: string, jobId = `allow-${Math.random().toString(36).slice(2, 8)}`) =>
    request(`${base}/api/monitors`, { method: 'POST', token: TOKEN, body: { jobId, statusUrl: url, interval: '1h' } });

  it('unset: loopback URLs only, and the 400 says how to allow more', async () => {
    for (const url of ['http://127.0.0.1:9/jobs/{jobId}', 'http://localhost:9/x', 'http://[::1]:9/x', 'http://127.1.2.3/x']) {
      expect((await start(url, secured.url)).status, url).toBe(201);
    }
    for (const url of ['http://10.0.0.8/jobs/{jobId}', 'https://example.com/x', 'http://169.254.169.254/latest/meta-data', 'http://127.0.0.1.nip.io/x']) {
      const reply = await start(url, secured.url);
      expect(reply.status, url).toBe(400);
      expect(reply.json.field).toBe('statusUrl');
      expect(reply.json.error).toMatch(/is not allowed: without JOBWATCH_ALLOWED_STATUS_URLS only loopback URLs are; list the prefixes to allow there, e\.g\. JOBWATCH_ALLOWED_STATUS_URLS=/);
    }
  });

  it('set: only URLs under a listed prefix, compared as parsed URLs, with the job id filled in', async () => {
    const allowed = await startTestServer(iso, { JOBWATCH_API_TOKEN: TOKEN, JOBWATCH_ALLOWED_STATUS_URLS: `${status.url}/jobs/, https://api.example.com/v2` });
    try {
      for (const url of [`${status.url}/jobs/{jobId}`, `${status.url}/jobs/{jobId}?verbose=1`, 'https://api.example.com/v2/jobs/{jobId}', 'https://api.example.com/v2']) {
        expect((await start(url, allowed.url)).status, url).toBe(201);
      }
      for (const url of [
        `${status.url}/admin/{jobId}`, `${status.url}/jobs-evil/{jobId}`, `${status.url}/jobs`, 'http://127.0.0.1:9/jobs/{jobId}',
        'https://api.example.com.evil.net/v2/x', 'https://api.example.com@evil.net/v2/x', 'https://api.example.com/v2-admin/x',
        'http://api.example.com/v2/x', 'https://api.example.com/v2/../admin',
      ]) {
        const reply = await start(url, allowed.url);
        expect(reply.status, url).toBe(400);
        expect(reply.json.error).toMatch(/is not under any prefix in JOBWATCH_ALLOWED_STATUS_URLS .*; add its prefix there to allow it/);
      }
      // A job id cannot climb out of the allowed path: the URL checked is the one the worker fetches.
      const climbing = await start(`${status.url}/jobs/{jobId}`, allowed.url, '..');
      expect(climbing.status).toBe(400);
      // A batch status URL is a request made on the caller's behalf too: the same prefixes, its own field named.
      const batch = (url: string) => request(`${allowed.url}/api/monitors`, { method: 'POST', token: TOKEN, body: { jobId: `b-${Math.random()}`, batchStatusUrl: url } });
      expect((await batch('https://api.example.com/v2/statuses')).status).toBe(201);
      const refused = await batch('https://api.example.com/admin/statuses');
      expect(refused.status).toBe(400);
      expect(refused.json).toMatchObject({ field: 'batchStatusUrl', reason: expect.stringMatching(/is not under any prefix in JOBWATCH_ALLOWED_STATUS_URLS/) });
      // The status hook is configured by the operator, so it needs no allow-list.
      const hook = await request(`${allowed.url}/api/monitors`, { method: 'POST', token: TOKEN, body: { jobId: 'hooked', statusHook: true } });
      expect(hook.status).toBe(201);
    } finally {
      await allowed.close();
    }
  });

  it('a prefix list with a bad entry is a config error naming the variable', () => {
    expect(() => loadConfig({ JOBWATCH_ALLOWED_STATUS_URLS: 'https://ok.example.com/, ftp://files' })).toThrow(/^JOBWATCH_ALLOWED_STATUS_URLS: each entry must be an http/);
  });
});

describe('no secret is ever written', () => {
  it('the token and the Redis and Postgres passwords appear in no log line, error or board reply', async () => {
    const secrets = ['redis-pass-7Qk2', 'pg-pass-9Wm4', TOKEN, 'url-pass-3Zx8', 'url-query-5Yv1'];
    const redisUrl = new URL(TEST_REDIS_URL);
    redisUrl.password = secrets[0]!;
    const databaseUrl = new URL(iso.databaseUrl);
    databaseUrl.password = secrets[1]!;
    const env = iso.env({
      REDIS_URL: redisUrl.toString(), DATABASE_URL: databaseUrl.toString(), JOBWATCH_API_TOKEN: TOKEN, LOG_LEVEL: 'trace',
      JOBWATCH_RETRY_BASE: '100ms',
    });
    const statusUrl = `http://user:${secrets[3]}@127.0.0.1:${new URL(status.url).port}/jobs/{jobId}?key=${secrets[4]}`;
    status.script('secret-job', [{ code: 503 }, { status: 'Processing' }, { status: 'Completed' }]);

    const server = await spawnServing(['server', '--port', '0'], env, 'server listening');
    const worker = await spawnServing(['worker', '--metrics-port', '0'], env, 'metrics listening');
    const replies: string[] = [];
    const keep = async (reply: Promise<{ text: string; status: number }>) => {
      const r = await reply;
      replies.push(r.text);
      return r;
    };
    try {
      await keep(request(`${server.url}/api/monitors`, { method: 'POST', token: 'wrong-token-guess', body: {} }));
      await keep(request(`${server.url}/board`, { headers: basicAuth('ops', 'bad-password') }));
      await keep(request(`${server.url}/api/monitors`, { method: 'POST', token: TOKEN, body: '{"jobId":' }));
      await keep(request(`${server.url}/api/monitors`, { method: 'POST', token: TOKEN, body: { jobId: 'x', statusUrl: 'http://10.9.9.9/', interval: 1 } }));
      await keep(request(`${server.url}/api/monitors`, { method: 'POST', token: TOKEN, body: { jobId: 'secret-job', statusUrl, interval: 200 } }));
      // While it runs: its state over the API, and its poll job on the board.
      const running = await keep(request(`${server.url}/api/monitors/secret-job`, { token: TOKEN }));
      expect(running.text).toContain(`"statusSource":"http://127.0.0.1:${new URL(status.url).port}/jobs/secret-job"`);
      const board = await keep(request(`${server.url}/board/api/queues?activeQueue=polls&status=latest`, { headers: basicAuth('ops', TOKEN) }));
      expect(board.text).toContain('"monitorId":"secret-job"');
      await waitFor(async () => (await keep(request(`${server.url}/api/monitors/secret-job`, { token: TOKEN }))).text.includes('"persisted":true'), { what: 'the monitor to end' });
      await keep(request(`${server.url}/api/monitors?state=completed`, { token: TOKEN }));
      await keep(request(`${server.url}/board/api/queues?activeQueue=completions&status=latest`, { headers: basicAuth('ops', TOKEN) }));
      await keep(request(`${server.url}/board`, { headers: basicAuth('ops', TOKEN) }));
      await keep(request(`${server.url}/metrics`, { token: TOKEN }));
      await keep(request(`${worker.url}/metrics`, { token: TOKEN }));
      await keep(request(`${server.url}/healthz`));
      const badToken = await runCli(['server'], { ...env, JOBWATCH_API_TOKEN: 'short-secret-1' });
      replies.push(badToken.stdout, badToken.stderr);
    } finally {
      expect(await worker.stop()).toBe(0);
      expect(await server.stop()).toBe(0);
    }

    const logs = server.output() + worker.output();
    // The capture is real: it holds the events this test caused, at every level.
    expect(logs).toMatch(/"msg":"server listening"/);
    expect(logs).toMatch(/"msg":"request refused: 401"/);
    expect(logs).toMatch(/"msg":"status check failed; will retry"/);
    expect(logs).toMatch(/"msg":"result persisted"/);
    expect(logs).toMatch(/"msg":"request"/);
    expect(replies.join('\n')).toMatch(/"outcome":"completed"/);
    for (const secret of secrets) {
      expect(logs, `logs contain ${secret}`).not.toContain(secret);
      expect(replies.join('\n'), `replies contain ${secret}`).not.toContain(secret);
    }
    expect(replies.join('\n')).not.toContain('short-secret-1');
  });
});
