import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeJobService, type FakeJobService } from '../helpers/fake-job-services.ts';
import { request, spawnServing, type ServingProcess } from '../helpers/http.ts';
import { createIsolation, type Isolated } from '../helpers/isolation.ts';
import { TEST_REDIS_URL } from '../helpers/services.ts';
import { waitFor } from '../helpers/wait.ts';

/**
 * A source's secrets go into request headers and nowhere else. After monitors of sources with
 * distinctive secrets have run to their ends (a success, a 401 from a wrong token, a missing
 * credential), through a `jobwatch server` and a `jobwatch worker` logging at debug, every place
 * jobwatch writes is read back whole and searched: Redis, Postgres, both processes' logs, both
 * /metrics, the API's answers and the /ui pages.
 */

const TOKEN = `sekrit-bearer-${randomBytes(8).toString('hex')}`;
const KEY = `sekrit-key-${randomBytes(8).toString('hex')}`;
const WRONG = `sekrit-wrong-${randomBytes(8).toString('hex')}`;
const SECRETS = [TOKEN, KEY, WRONG];
const ENV = {
  JOBWATCH_RETRY_BASE: '20ms', JOBWATCH_RETRY_MAX: '100ms', JOBWATCH_MAX_STATUS_FAILURES: '2', JOBWATCH_MIN_INTERVAL: '100ms',
  JOBWATCH_HISTORY: 'all', LOG_LEVEL: 'debug', SRC_TOKEN: TOKEN, SRC_KEY: KEY, SRC_WRONG: WRONG,
};

let iso: Isolated;
let runs: FakeJobService;
let tasks: FakeJobService;
let server: ServingProcess;
let worker: ServingProcess;
const answers: string[] = [];
const MONITORS = ['s-ok', 's-202', 's-401', 's-unset'];

async function api(path: string, options: { method?: string; body?: unknown } = {}): Promise<{ status: number; text: string; json: unknown }> {
  const reply = await request(`${server.url}${path}`, options);
  answers.push(reply.text);
  return reply;
}

let dir: string | undefined;

beforeAll(async () => {
  iso = await createIsolation();
  runs = await startFakeJobService('github-actions-run', { bearer: TOKEN });
  tasks = await startFakeJobService('http-202', { header: { name: 'X-Api-Key', value: KEY } });
  dir = mkdtempSync(join(tmpdir(), 'jobwatch-secrets-'));
  const sourcesPath = join(dir, 'jobwatch.sources.json');
  writeFileSync(join(dir, 'key'), `${KEY}\n`);
  writeFileSync(sourcesPath, JSON.stringify({
    sources: {
      runs: { url: runs.template, params: ['owner', 'repo'], convention: 'github-actions-run', auth: { bearer: { env: 'SRC_TOKEN' } } },
      tasks: { url: tasks.template, convention: 'http-202', auth: { header: { name: 'X-Api-Key', file: join(dir, 'key') } } },
      wrong: { url: runs.template, params: ['owner', 'repo'], convention: 'github-actions-run', auth: { bearer: { env: 'SRC_WRONG' } } },
      unset: { url: runs.template, params: ['owner', 'repo'], convention: 'github-actions-run', auth: { basic: { user: { env: 'SRC_TOKEN' }, password: { env: 'SRC_UNSET' } } } },
    },
  }));
  const env = iso.env({ ...ENV, JOBWATCH_SOURCES: sourcesPath });
  server = await spawnServing(['server', '--port', '0'], env, 'server listening');
  worker = await spawnServing(['worker', '--metrics-port', '0'], env, 'metrics listening');
});

afterAll(async () => {
  if (dir) rmSync(dir, { recursive: true, force: true });
  await worker?.stop();
  await server?.stop();
  await runs?.close();
  await tasks?.close();
  await iso?.cleanup();
});

describe('a source\'s secrets appear nowhere jobwatch writes', () => {
  it('after a success, a 202 source, a 401 and a missing credential, through the server and a worker', async () => {
    const params = runs.params;
    const started = [
      await api('/api/monitors', { method: 'POST', body: { monitorId: 's-ok', jobId: runs.createJob('success'), source: 'runs', params, interval: '100ms' } }),
      await api('/api/monitors', { method: 'POST', body: { monitorId: 's-202', jobId: tasks.createJob('see-other'), source: 'tasks', interval: '100ms' } }),
      await api('/api/monitors', { method: 'POST', body: { monitorId: 's-401', jobId: runs.createJob('success'), source: 'wrong', params, interval: '100ms' } }),
      await api('/api/monitors', { method: 'POST', body: { monitorId: 's-unset', jobId: runs.createJob('success'), source: 'unset', params, interval: '100ms' } }),
    ];
    expect(started.map((reply) => reply.status)).toEqual([201, 201, 201, 201]);
    // A start-time refusal is an answer too.
    expect((await api('/api/monitors', { method: 'POST', body: { jobId: 'x', source: 'runs', params: { owner: '..%2f', repo: 'r' } } })).status).toBe(400);
    const ended = await waitFor(async () => {
      const states = await Promise.all(MONITORS.map(async (id) => (await api(`/api/monitors/${id}`)).json as { state: string; outcome?: string }));
      return states.every((state) => state.state === 'ended') ? states : undefined;
    }, { what: 'every monitor ended', timeoutMs: 30_000 });
    expect(ended.map((state) => state.outcome)).toEqual(['completed', 'completed', 'errored', 'errored']);

    for (const id of MONITORS) {
      await api(`/api/monitors/${id}/checks`);
      await api(`/ui/monitors/${id}`);
    }
    // The sources routes: the list says whether credentials resolve, a try reads through them.
    const listed = (await api('/api/sources')).json as { sources: { name: string; credentials: { resolved: boolean; problem?: string } }[] };
    expect(listed.sources.map((source) => [source.name, source.credentials])).toEqual([
      ['runs', { resolved: true }], ['tasks', { resolved: true }], ['wrong', { resolved: true }],
      ['unset', { resolved: false, problem: 'source "unset": auth.basic.password: the environment variable SRC_UNSET is not set' }],
    ]);
    const tried = await api('/api/sources/runs/try', { method: 'POST', body: { jobId: runs.createJob('success', { runningPolls: 0 }), params } });
    expect(tried).toMatchObject({ status: 200, json: { read: 'ended', outcome: 'completed', status: 'success', decidedBy: { convention: 'github-actions-run' } } });
    expect((await api('/api/sources/wrong/try', { method: 'POST', body: { jobId: runs.createJob('success'), params } })).json)
      .toMatchObject({ read: 'failed', failure: { reason: 'http-status', httpStatus: 401 } });
    expect((await api('/api/sources/nope/try', { method: 'POST', body: { jobId: '1' } }))).toMatchObject({ status: 400, json: { field: 'source' } });
    expect((await api('/api/sources/runs/try', { method: 'POST', body: { jobId: '1', params: { owner: '%2e%2e', repo: 'r' } } }))).toMatchObject({ status: 400, json: { field: 'params.owner' } });
    await api('/api/monitors');
    await api('/ui');
    await api('/ui/monitors');
    await api('/metrics');
    answers.push((await request(`${worker.url}/metrics`)).text);

    const places: Record<string, string> = {
      redis: await redisDump(iso.prefix),
      postgres: await postgresDump(iso.databaseUrl),
      'server log': server.output(),
      'worker log': worker.output(),
      'answers and pages': answers.join('\n'),
    };
    // The search can fail: each place holds what these monitors wrote.
    expect(places.redis).toContain('s-401');
    expect(places.postgres).toContain('check the source');
    expect(places['worker log']).toContain('"level":20');
    expect(places['answers and pages']).toContain('s-unset');
    for (const [place, text] of Object.entries(places)) {
      for (const secret of SECRETS) {
        expect(text.includes(secret), `${place} holds a secret`).toBe(false);
        expect(text.includes(Buffer.from(secret).toString('base64')), `${place} holds a secret in base64`).toBe(false);
      }
    }
  });
});

/** Every key under the prefix, its value read by type, and its DUMP, as text. */
async function redisDump(prefix: string): Promise<string> {
  const redis = new Redis(TEST_REDIS_URL);
  try {
    const keys: string[] = [];
    let cursor = '0';
    do {
      const [next, batch] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
      keys.push(...batch);
      cursor = next;
    } while (cursor !== '0');
    const parts: string[] = [];
    for (const key of keys) {
      const type = await redis.type(key);
      const value = type === 'string' ? await redis.get(key)
        : type === 'hash' ? await redis.hgetall(key)
          : type === 'list' ? await redis.lrange(key, 0, -1)
            : type === 'set' ? await redis.smembers(key)
              : type === 'zset' ? await redis.zrange(key, 0, -1, 'WITHSCORES')
                : type === 'stream' ? await redis.xrange(key, '-', '+') : null;
      const dump = await redis.dumpBuffer(key);
      parts.push(key, JSON.stringify(value), dump ? dump.toString('latin1') : '');
    }
    return parts.join('\n');
  } finally {
    await redis.quit();
  }
}

/** Every row of every table of the database, as text (what pg_dump would write of the data). */
async function postgresDump(url: string): Promise<string> {
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  try {
    const tables = await sql<{ name: string }[]>`select quote_ident(schemaname) || '.' || quote_ident(tablename) as name from pg_tables where schemaname not in ('pg_catalog', 'information_schema')`;
    const parts: string[] = [];
    for (const { name } of tables) {
      const rows = await sql.unsafe(`select t::text as row from ${name} t`);
      parts.push(name, ...rows.map((row) => String(row.row)));
    }
    return parts.join('\n');
  } finally {
    await sql.end();
  }
}
