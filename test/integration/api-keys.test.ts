import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashKey } from '../../src/access/key-secret.ts';
import { addKey } from '../../src/access/keys-edit.ts';
import { NO_KEYS, type KeyEntry, type KeyTable } from '../../src/access/keys-file.ts';
import { SCOPES, type Scope } from '../../src/access/principal.ts';
import { ConfigError } from '../../src/errors/errors.ts';
import { openKeyStore } from '../../src/keys/key-store.ts';
import { writeKeysFile } from '../../src/keys/keys-file-write.ts';
import { LastUseRecorder, lastUseKey } from '../../src/keys/last-use.ts';
import { createLogger } from '../../src/logging/logger.ts';
import { createRedis } from '../../src/redis/connection.ts';
import type { RunningServer } from '../../src/wiring/start-server.ts';
import { basicAuth, request, serveApp, spawnServing, startTestServer, type HttpReply } from '../helpers/http.ts';
import { createIsolation, type Isolated } from '../helpers/isolation.ts';
import { TEST_REDIS_URL } from '../helpers/services.ts';
import { waitFor } from '../helpers/wait.ts';
import { runCli } from '../helpers/workers.ts';

const TOKEN = 'tok-9a8b7c6d5e4f3a2b1c0d';
const EXPIRED_KEY = 'jw_expired-key-of-the-test-0123456789abcdef';

let iso: Isolated;
let dir: string;
let keysPath: string;
let server: RunningServer;
/** Each scope's key (on every namespace), by scope. */
const keyOf = {} as Record<Scope, string>;

/** Keys of one scope each, plus one that expired, as `jobwatch keys create` would write them. */
function writeTestKeys(path: string): void {
  let table: KeyTable = NO_KEYS;
  let entries: KeyEntry[] = [];
  for (const scope of SCOPES) {
    const added = addKey(table, { name: `k-${scope}`, scopes: scope, namespaces: ['*'] }, Date.now());
    keyOf[scope] = added.key;
    entries = added.entries;
    table = { entries, byHash: new Map() };
  }
  entries.push({ name: 'expired', hash: hashKey(EXPIRED_KEY), namespaces: '*', scopes: ['admin'], expiresAt: '2020-01-01T00:00:00Z' });
  writeKeysFile(path, entries);
}

beforeAll(async () => {
  iso = await createIsolation();
  dir = mkdtempSync(join(tmpdir(), 'jobwatch-keys-'));
  keysPath = join(dir, 'keys.json');
  writeTestKeys(keysPath);
  server = await startTestServer(iso, { JOBWATCH_KEYS_FILE: keysPath, JOBWATCH_API_TOKEN: TOKEN });
});

afterAll(async () => {
  await server?.close();
  await iso?.cleanup();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

interface Route {
  method: string;
  path: string;
  /** What the route needs: a scope, or any key. */
  needs: Scope | 'authenticated';
  body?: unknown;
  /** A page: the key goes as the basic-auth password. */
  page?: boolean;
}

/** Every route, each with what it needs (route-access.ts); the OpenAPI ones and the pages. */
const ROUTES: Route[] = [
  { method: 'POST', path: '/api/monitors', needs: 'start', body: { jobId: 'keys-1', statusUrl: 'http://127.0.0.1:9/jobs/{jobId}', interval: '1h' } },
  { method: 'GET', path: '/api/monitors', needs: 'read' },
  { method: 'GET', path: '/api/monitors/keys-1', needs: 'read' },
  { method: 'GET', path: '/api/monitors/keys-1/checks', needs: 'read' },
  { method: 'DELETE', path: '/api/monitors/nobody', needs: 'cancel' },
  { method: 'POST', path: '/api/monitors/keys-early/status', needs: 'push', body: { status: 'Processing' } },
  { method: 'GET', path: '/api/sources', needs: 'read' },
  { method: 'GET', path: '/api/quotas', needs: 'read' },
  { method: 'POST', path: '/api/sources/nothing/try', needs: 'start', body: { jobId: 'j' } },
  { method: 'GET', path: '/api/openapi.json', needs: 'authenticated' },
  { method: 'GET', path: '/metrics', needs: 'admin' },
  { method: 'GET', path: '/ui', needs: 'read', page: true },
  { method: 'GET', path: '/ui/monitors', needs: 'read', page: true },
  { method: 'GET', path: '/ui/monitors/keys-1', needs: 'read', page: true },
  { method: 'POST', path: '/ui/monitors/keys-1/cancel', needs: 'cancel', page: true },
  { method: 'GET', path: '/board', needs: 'admin', page: true },
  { method: 'GET', path: '/board/api/queues', needs: 'admin', page: true },
];

/** A 403 of the access check, as JSON or as a page's text. */
const FORBIDDEN = /^(\{"error":")?forbidden: this key lacks/;

const send = (route: Route, key: string | undefined, base = server.url): Promise<HttpReply> => request(`${base}${route.path}`, {
  method: route.method,
  ...(route.body === undefined ? {} : { body: route.body }),
  ...(key === undefined ? {} : route.page ? { headers: basicAuth('anyone', key) } : { token: key }),
});

describe('scoped keys on every route', () => {
  it.each(ROUTES.map((route) => [`${route.method} ${route.path}`, route] as const))('%s: allowed to the keys with its scope (or admin), 403 naming the scope to the others', async (_name, route) => {
    for (const scope of SCOPES) {
      const reply = await send(route, keyOf[scope]);
      const allowed = route.needs === 'authenticated' || scope === route.needs || scope === 'admin';
      const what = `${scope} key on ${route.method} ${route.path}: ${reply.status} ${reply.text.slice(0, 120)}`;
      if (allowed) {
        expect(reply.status, what).not.toBe(401);
        expect(reply.text, what).not.toMatch(FORBIDDEN);
        expect(reply.status, what).toBeLessThan(500);
      } else {
        expect(reply.status, what).toBe(403);
        const message = `forbidden: this key lacks the ${route.needs} scope`;
        if (route.page) expect(reply.text, what).toBe(message);
        else expect(reply.json, what).toEqual({ error: message });
      }
    }
  });

  it.each(ROUTES.map((route) => [`${route.method} ${route.path}`, route] as const))('%s: 401 without a key, with a wrong one, or the key sent the other way; JOBWATCH_API_TOKEN is admin', async (_name, route) => {
    for (const key of [undefined, 'jw_not-a-key', `${keyOf.admin}x`]) expect((await send(route, key)).status, String(key)).toBe(401);
    const otherWay = await request(`${server.url}${route.path}`, {
      method: route.method, ...(route.body === undefined ? {} : { body: route.body }),
      ...(route.page ? { token: keyOf.admin } : { headers: basicAuth('anyone', keyOf.admin) }),
    });
    expect(otherWay.status).toBe(401);
    // (The monitors page's cancel answers 403 itself here: the page is read-only without JOBWATCH_BOARD_WRITE.)
    const withToken = await send(route, TOKEN);
    expect(withToken.status).not.toBe(401);
    expect(withToken.text).not.toMatch(FORBIDDEN);
  });

  it('an expired key is refused with 401 "key expired" and nothing more, as bearer and as password', async () => {
    const api = await request(`${server.url}/api/monitors`, { token: EXPIRED_KEY });
    expect(api.status).toBe(401);
    expect(api.json).toEqual({ error: 'key expired' });
    expect(api.headers.get('www-authenticate')).toBe('Bearer realm="jobwatch"');
    const page = await request(`${server.url}/ui`, { headers: basicAuth('ops', EXPIRED_KEY) });
    expect(page.status).toBe(401);
    expect(page.text).toBe('key expired');
  });

  it('/healthz and callback URLs need no key; unknown /api routes answer 404 once a key is given', async () => {
    expect((await request(`${server.url}/healthz`)).status).toBe(200);
    expect((await request(`${server.url}/callbacks/x/y`, { method: 'POST', body: { status: 'Done' } })).status).toBe(404);
    expect((await request(`${server.url}/api/nothing`)).status).toBe(401);
    const unknown = await request(`${server.url}/api/nothing`, { token: keyOf.read });
    expect(unknown.status).toBe(404);
    expect(unknown.json.error).toMatch(/^no route GET \/api\/nothing/);
  });
});

describe("a worker's /metrics", () => {
  it('takes the keys file too: admin only, a key sent as bearer; the worker may listen beyond loopback with it', async () => {
    const worker = await spawnServing(['worker', '--metrics-port', '0', '--metrics-host', '0.0.0.0'], iso.env({ JOBWATCH_KEYS_FILE: keysPath, LOG_LEVEL: 'info' }), 'metrics listening');
    try {
      const url = `http://127.0.0.1:${new URL(worker.url).port}/metrics`;
      expect((await request(url)).status).toBe(401);
      expect((await request(url, { token: keyOf.read })).json).toEqual({ error: 'forbidden: this key lacks the admin scope' });
      expect((await request(url, { token: keyOf.admin })).status).toBe(200);
      expect((await request(url, { token: EXPIRED_KEY })).json).toEqual({ error: 'key expired' });
      // Its signal handling is in place once the workers have started: only then is a SIGTERM a clean stop.
      await waitFor(() => worker.output().includes('"msg":"worker started"'), { what: 'the worker to start' });
    } finally {
      expect(await worker.stop(), worker.output()).toBe(0);
    }
  });
});

describe('the keys file changes without a restart', () => {
  it('jobwatch keys create adds a key that the server takes within seconds; revoke removes one; nothing but the key on stdout', async () => {
    const created = await runCli(['keys', 'create', 'fresh', '--scopes', 'read,push', '--namespace', 'team-a', '--namespace', 'team-b', '--expires-in', '30d', '--file', keysPath], iso.env());
    expect(created.code).toBe(0);
    expect(created.stdout).toMatch(/^jw_[A-Za-z0-9_-]{43}\n$/);
    expect(created.stderr).toMatch(/added key fresh \(read, push on namespaces team-a, team-b, until /);
    const fresh = created.stdout.trim();
    await waitFor(async () => (await request(`${server.url}/api/monitors`, { token: fresh })).status === 200, { what: 'the new key to work', timeoutMs: 15_000 });
    expect((await request(`${server.url}/api/monitors`, { method: 'POST', token: fresh, body: { jobId: 'x', statusHook: true } })).json)
      .toEqual({ error: 'forbidden: this key lacks the start scope' });

    const duplicate = await runCli(['keys', 'create', 'fresh', '--scopes', 'read', '--namespace', 'a', '--file', keysPath], iso.env());
    expect(duplicate.code).toBe(2);
    expect(duplicate.stdout).toBe('');
    expect(duplicate.stderr.trim()).toBe('jobwatch: NAME: a key named fresh exists already; revoke it first, or choose another name');

    const revoked = await runCli(['keys', 'revoke', 'fresh'], iso.env({ JOBWATCH_KEYS_FILE: keysPath }));
    expect(revoked.code).toBe(0);
    expect(revoked.stdout).toBe('');
    await waitFor(async () => (await request(`${server.url}/api/monitors`, { token: fresh })).status === 401, { what: 'the revoked key to be refused', timeoutMs: 15_000 });
    expect((await request(`${server.url}/api/monitors`, { token: keyOf.read })).status).toBe(200);
  });

  it('keys create makes a missing file with mode 0600; keys list shows names, namespaces, scopes, expiry and last use, never a key or hash', async () => {
    const path = join(dir, 'new', 'keys.json');
    const missingFolder = await runCli(['keys', 'create', 'a', '--scopes', 'read', '--namespace', 'x', '--file', path], iso.env());
    expect(missingFolder.code).toBe(2);
    expect(missingFolder.stderr.trim()).toMatch(/^jobwatch: JOBWATCH_KEYS_FILE .*keys\.json: cannot be written \(ENOENT\)$/);
    const own = join(dir, 'own.json');
    const created = await runCli(['keys', 'create', 'ci', '--scopes', 'start', '--namespace', '*', '--expires-at', '2099-01-01T00:00:00Z', '--file', own], iso.env());
    expect(created.code).toBe(0);
    expect(statSync(own).mode & 0o777).toBe(0o600);

    const listed = await runCli(['keys', 'list', '--json'], iso.env({ JOBWATCH_KEYS_FILE: keysPath }));
    expect(listed.code).toBe(0);
    const rows = JSON.parse(listed.stdout) as { name: string; lastUsedAt: string | null; expired: boolean }[];
    expect(rows.map((row) => row.name)).toEqual([...SCOPES.map((scope) => `k-${scope}`), 'expired']);
    expect(rows.find((row) => row.name === 'k-read')).toMatchObject({ namespaces: ['*'], scopes: ['read'], expiresAt: null, expired: false, lastUsedAt: expect.stringMatching(/^\d{4}-/) });
    expect(rows.find((row) => row.name === 'expired')).toMatchObject({ expired: true, lastUsedAt: null });
    const table = await runCli(['keys', 'list'], iso.env({ JOBWATCH_KEYS_FILE: keysPath }));
    expect(table.stdout.split('\n')[0]).toMatch(/^NAME\s+NAMESPACES\s+SCOPES\s+EXPIRES\s+LAST USE$/);
    for (const text of [listed.stdout, table.stdout]) {
      expect(text).not.toMatch(/sha256|jw_/);
      for (const key of Object.values(keyOf)) expect(text).not.toContain(key);
    }
  });

  it('a bad new file keeps the last good one, with one error line; a good one after it is taken', async () => {
    const path = join(dir, 'store.json');
    writeKeysFile(path, addKey(NO_KEYS, { name: 'first', scopes: 'read', namespaces: ['a'] }, Date.now()).entries);
    const lines: string[] = [];
    const logger = createLogger({ logLevel: 'info' }, { pretty: false, destination: { write: (line: string) => lines.push(line) } });
    const store = openKeyStore(path, { logger });
    try {
      expect(store.current().entries.map((entry) => entry.name)).toEqual(['first']);
      writeFileSync(`${path}.tmp`, '{"keys": [{"name": "second", "hash": "plain"}]}');
      const { renameSync } = await import('node:fs');
      renameSync(`${path}.tmp`, path);
      await waitFor(() => { store.current(); return lines.some((line) => line.includes('keys file not reloaded')); }, { what: 'the error line', timeoutMs: 15_000 });
      expect(store.current().entries.map((entry) => entry.name)).toEqual(['first']);
      const errors = lines.filter((line) => line.includes('keys file not reloaded'));
      expect(errors).toHaveLength(1);
      expect(JSON.parse(errors[0]!).reason).toMatch(/key "second": hash: is required|key "second": namespaces: is required|key "second": hash: must be/);
      writeKeysFile(path, addKey(NO_KEYS, { name: 'third', scopes: 'read', namespaces: ['a'] }, Date.now()).entries);
      await waitFor(() => store.current().entries[0]?.name === 'third', { what: 'the good file to be taken', timeoutMs: 15_000 });
      expect(lines.filter((line) => line.includes('keys file not reloaded'))).toHaveLength(1);
    } finally {
      store.close();
    }
  });

  it('a keys file missing at start is a config error naming the path', async () => {
    const missing = join(dir, 'missing.json');
    expect(() => openKeyStore(missing, { logger: createLogger({ logLevel: 'silent' }) })).toThrow(ConfigError);
    const result = await runCli(['server', '--port', '0'], iso.env({ JOBWATCH_KEYS_FILE: missing }));
    expect(result.code).toBe(2);
    expect(result.stderr.trim()).toBe(`jobwatch: JOBWATCH_KEYS_FILE ${missing}: no such file; create it with \`jobwatch keys create NAME --scopes ... --namespace ...\``);
  });
});

describe('last use', () => {
  it('is written to Redis at most once a minute per key (a counter and an injected clock, not the time)', async () => {
    const logger = createLogger({ logLevel: 'silent' });
    const redis = createRedis(TEST_REDIS_URL);
    let now = Date.parse('2026-12-05T12:00:00Z');
    const clock = () => now;
    const keys = openKeyStore(keysPath, { logger });
    const lastUse = new LastUseRecorder(redis, iso.prefix, logger, clock);
    const served = await serveApp(iso, { database: iso.database, access: { keys, lastUse, clock } });
    const stored = async () => Number(await redis.hget(lastUseKey(iso.prefix), 'k-start'));
    try {
      const use = async () => expect((await request(`${served.url}/api/monitors`, { method: 'POST', token: keyOf.start, body: { jobId: 'x' } })).status).toBe(400);
      await use();
      expect(lastUse.writes).toBe(1);
      await waitFor(async () => (await stored()) === now, { what: 'the first write' });
      const first = now;
      now += 59_999;
      await use();
      await use();
      expect(lastUse.writes).toBe(1);
      expect(await stored()).toBe(first);
      now += 1;
      await use();
      expect(lastUse.writes).toBe(2);
      await waitFor(async () => (await stored()) === now, { what: 'the second write' });
      // Another key is its own: its first use is written at once.
      await request(`${served.url}/api/monitors`, { token: keyOf.read });
      expect(lastUse.writes).toBe(3);
    } finally {
      await served.close();
      keys.close();
      await redis.quit();
    }
  });
});
