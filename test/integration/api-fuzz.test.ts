import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_JSON_DEPTH } from '../../src/json/bounded-json.ts';
import type { RunningServer } from '../../src/wiring/start-server.ts';
import { accessProblem, expectedRefusal, fuzzKeys, HOME, keySpecs, leakTo, OTHER, OTHER_SOURCE, ROOT, SECRET, type FuzzKey } from '../helpers/fuzz-keys.ts';
import { request, startTestServer } from '../helpers/http.ts';
import { createIsolation, type Isolated } from '../helpers/isolation.ts';
import { writeTestKeys, type TestKeys } from '../helpers/keys.ts';
import { OpenApiChecker } from '../helpers/openapi-check.ts';
import {
  checksQuery, deepJson, fitting, listQuery, namespaceChoice, oddRequest, pathId, postBodies, withParam, type FuzzRequest,
} from '../helpers/openapi-fuzz.ts';
import { writeSourcesFile, type SourcesFile } from '../helpers/sources-file.ts';

/**
 * The API under fire: requests generated from the document the server serves, checked against
 * it, each sent with one of the fuzzer's keys (test/helpers/fuzz-keys.ts): one key of each scope
 * in the namespace `fuzz-a`, an admin key on every namespace, no key and an unknown one. Every
 * answer must be one the document lists for its operation, with the documented shape (an
 * undocumented path: a 404 with the error shape), and never a 5xx: Redis and Postgres are up.
 * A key lacking the route's scope gets a 403 naming it (route-access.ts), never a 2xx; no answer
 * to a `fuzz-a` key holds anything of `fuzz-b`, whose monitors are seeded first; and `fuzz-b`'s
 * monitors are as they were seeded after the run (only reads of them come from the admin key).
 *
 * FUZZ_RUNS sets the number of cases (default 3,000), FUZZ_SEED replays a run: a failure prints
 * both. (No kept tool fitted: the npm OpenAPI fuzzers found are unmaintained and cannot be seeded,
 * Schemathesis needs Python; the generator is test/helpers/openapi-fuzz.ts, on fast-check.)
 */
const RUNS = Number(process.env.FUZZ_RUNS ?? 3_000);
const SEED = Number(process.env.FUZZ_SEED ?? Math.floor(Math.random() * 2 ** 31));
/** Requests in flight at once: some concurrency, without swamping a 2-core machine. */
const CONCURRENCY = 8;
/** Cases generated at a time. */
const CHUNK = 500;
/** Monitor ids the cases name; OTHER's seeded monitors take the first SEEDED of them. */
const IDS = Array.from({ length: 20 }, (_, i) => `fz-${i}`);
const SEEDED = 5;

let iso: Isolated;
let keys: TestKeys;
let sources: SourcesFile;
let server: RunningServer;
let api: OpenApiChecker;
const KEYS = fuzzKeys();
let root: string;

beforeAll(async () => {
  iso = await createIsolation();
  keys = writeTestKeys(keySpecs(KEYS));
  for (const key of KEYS) key.token ??= keys.key[key.name];
  root = keys.key[ROOT]!;
  // Neither source answers (port 1): a try of one is a quick failed check, or a 403 for a namespace it is not open to.
  sources = writeSourcesFile({
    open: { url: 'http://127.0.0.1:1/jobs/{jobId}' },
    [OTHER_SOURCE]: { url: 'http://127.0.0.1:1/b/{jobId}', namespaces: [OTHER] },
    // Operations of it wait in Redis (no worker sends their start), as monitors do.
    starts: { start: { url: 'http://127.0.0.1:1/renders/{scene}' }, params: ['scene'], convention: 'http-202' },
  });
  // No worker: the API alone is under test, and monitors it starts just wait in Redis.
  server = await startTestServer(iso, { JOBWATCH_KEYS_FILE: keys.path, JOBWATCH_SOURCES: sources.path, JOBWATCH_CALLBACK_SECRET: 'the-api-fuzz-callback-secret' });
  const served = await request(`${server.url}/api/openapi.json`, { token: root });
  expect(served.status).toBe(200);
  api = new OpenApiChecker(served.json);
  await seedOtherNamespace();
});

afterAll(async () => {
  await server?.close();
  await iso?.cleanup();
  keys?.remove();
  sources?.remove();
});

/** OTHER's monitors, under ids the cases name, an early push and an ended one: all of it carries SECRET. */
async function seedOtherNamespace(): Promise<void> {
  for (let n = 0; n < SEEDED; n++) {
    const started = await api.call(server.url, 'POST', '/api/monitors', {
      token: root, body: { namespace: OTHER, monitorId: IDS[n], jobId: `${SECRET}${n}`, statusHook: true, interval: '1h', metadata: { owner: `${SECRET}owner` } },
    });
    expect(started.status).toBe(201);
  }
  const early = await api.call(server.url, 'POST', `/api/monitors/${IDS.at(-1)}/status?namespace=${OTHER}`, { token: root, body: { status: 'Processing', body: { note: `${SECRET}early` } } });
  expect(early.status).toBe(202);
  const started = await api.call(server.url, 'POST', '/api/monitors', { token: root, body: { namespace: OTHER, monitorId: IDS[SEEDED], jobId: `${SECRET}ended`, statusHook: true } });
  expect(started.status).toBe(201);
  const canceled = await api.call(server.url, 'DELETE', `/api/monitors/${IDS[SEEDED]}?namespace=${OTHER}`, { token: root });
  expect(canceled.json).toMatchObject({ state: 'ended', outcome: 'canceled' });
}

interface FuzzCase {
  key: FuzzKey;
  fuzz: FuzzRequest;
}

/** Sends one case; returns what was wrong with the answer, or undefined. */
async function fire({ key, fuzz }: FuzzCase, answered: Set<string>): Promise<string | undefined> {
  const url = new URL(fuzz.path, server.url);
  const reply = await request(url.href, { method: fuzz.method, body: fuzz.body, headers: fuzz.headers, ...(key.token ? { token: key.token } : {}) });
  answered.add(`${key.name} ${reply.status}`);
  if (reply.status >= 500) return `answered ${reply.status} with no service down: ${reply.text.slice(0, 300)}`;
  // fetch normalises the path as the server sees it (`/api/../healthz` is `/healthz`), and the
  // server drops one trailing slash (it is not strict about it) before it looks up the access rule.
  const pathname = url.pathname.length > 1 ? url.pathname.replace(/\/$/, '') : url.pathname;
  const refused = accessProblem(key, fuzz.method, pathname, reply) ?? leakTo(key, reply);
  if (refused) return refused;
  if (api.documents(fuzz.method, pathname)) {
    try {
      api.checkReply(fuzz.method, pathname, reply);
    } catch (error) {
      return (error as Error).message.slice(0, 500);
    }
    return undefined;
  }
  // A refusal for the key (accessProblem checked it) comes before routing: a path that is no route gets it too.
  if (expectedRefusal(key, fuzz.method, pathname)) return undefined;
  // The body limit holds for all of /callbacks before routing: an oversized body to a path there that is no route is a 413.
  if (reply.status === 413 && url.pathname.startsWith('/callbacks/')) return undefined;
  if (reply.status !== 404 || typeof reply.json?.error !== 'string') return `an undocumented route answered ${reply.status}: ${reply.text.slice(0, 300)}`;
  return undefined;
}

/**
 * Requests to every route of the document. `reads` and `writes` are the namespaces a case may
 * name on routes that read and on routes that change something (a start, a push, a cancel).
 */
function routeCases(template: string, reads: fc.Arbitrary<string | undefined>, writes: fc.Arbitrary<string | undefined>): fc.Arbitrary<FuzzRequest> {
  const document = api.served;
  const ids = fc.constantFrom(...IDS);
  const anyId = fc.oneof({ weight: 3, arbitrary: ids.map(encodeURIComponent) }, { weight: 1, arbitrary: pathId });
  const valid = fitting({ $ref: '#/components/schemas/MonitorInput' } as never, document, {
    jobId: ids,
    monitorId: ids,
    namespace: writes,
    statusUrl: fc.constantFrom(template, 'http://127.0.0.1:1/jobs/{jobId}'),
    statusHook: fc.constant(undefined),
    interval: fc.constantFrom('1m', 60_000, '100ms'),
    expireIn: fc.constantFrom('2h', 3_600_000),
    expireAt: fc.constant(undefined),
  }).map((body) => body as Record<string, unknown>);
  const pushed = fitting({ $ref: '#/components/schemas/PushedStatus' } as never, document, {
    status: fc.constantFrom('Completed', 'Failed', 'Processing', 'Queued'),
  }).map((body) => body as Record<string, unknown>);
  const tried = fitting({ $ref: '#/components/schemas/SourceTryInput' } as never, document, { jobId: ids }).map((body) => body as Record<string, unknown>);
  const operation = fitting({ $ref: '#/components/schemas/OperationInput' } as never, document, {
    source: fc.constantFrom('starts', 'open', OTHER_SOURCE, 'nowhere'),
    request: fc.oneof(fc.constant(undefined), fc.record({ params: fc.constantFrom({ scene: '7' }, {}, { scene: '..' }, { other: 'x' }), body: fc.jsonValue() }, { requiredKeys: [] })),
    monitorId: ids,
    namespace: writes,
    interval: fc.constantFrom('1m', 60_000, '100ms'),
    expireIn: fc.constantFrom('2h', 3_600_000),
    expireAt: fc.constant(undefined),
  }).map((body) => body as Record<string, unknown>);
  const token = fc.oneof(fc.base64String({ minLength: 4, maxLength: 50 }).map((text) => text.replace(/[+/=]/g, '_')), fc.constantFrom('x', '%00', 'A'.repeat(43)));
  return fc.oneof(
    { weight: 5, arbitrary: postBodies(valid).map((body) => ({ ...body, method: 'POST', path: '/api/monitors' })) },
    { weight: 2, arbitrary: postBodies(operation).map((body) => ({ ...body, kind: `operation, ${body.kind}`, method: 'POST', path: '/api/operations' })) },
    { weight: 2, arbitrary: fc.tuple(listQuery, reads).map(([query, namespace]) => ({ kind: 'list query', method: 'GET', path: withParam(`/api/monitors${query}`, 'namespace', namespace) })) },
    { weight: 2, arbitrary: fc.oneof(fc.tuple(fc.constant('GET'), anyId, reads), fc.tuple(fc.constant('DELETE'), anyId, writes))
      .map(([method, id, namespace]) => ({ kind: 'monitor by id', method, path: withParam(`/api/monitors/${id}`, 'namespace', namespace) })) },
    { weight: 1, arbitrary: fc.tuple(anyId, checksQuery, reads)
      .map(([id, query, namespace]) => ({ kind: 'checks', method: 'GET', path: withParam(`/api/monitors/${id}/checks${query}`, 'namespace', namespace) })) },
    { weight: 2, arbitrary: fc.tuple(anyId, postBodies(pushed), writes)
      .map(([id, body, namespace]) => ({ ...body, kind: `push, ${body.kind}`, method: 'POST', path: withParam(`/api/monitors/${id}/status`, 'namespace', namespace) })) },
    { weight: 1, arbitrary: fc.tuple(fc.option(fc.constantFrom(HOME, OTHER, 'default'), { nil: undefined }), anyId, token, postBodies(pushed))
      .map(([namespace, id, secret, body]) => ({ ...body, kind: `callback, ${body.kind}`, method: 'POST', path: `/callbacks/${namespace ? `${namespace}/` : ''}${id}/${secret}` })) },
    { weight: 1, arbitrary: fc.tuple(fc.oneof(fc.constantFrom('open', OTHER_SOURCE), pathId), postBodies(tried), reads)
      .map(([name, body, namespace]) => ({ ...body, kind: `source try, ${body.kind}`, method: 'POST', path: withParam(`/api/sources/${name}/try`, 'namespace', namespace) })) },
    { weight: 1, arbitrary: fc.constantFrom('/api/sources', '/api/quotas', '/api/openapi.json', '/healthz').map((path) => ({ kind: 'a read', method: 'GET', path })) },
    { weight: 1, arbitrary: oddRequest },
  );
}

/**
 * A key, then a request for it. The admin key on every namespace names OTHER only in reads, so
 * that OTHER's seeded monitors are unchanged at the end unless a confined key reached them.
 */
function cases(template: string): fc.Arbitrary<FuzzCase> {
  const namespaces = [HOME, OTHER, 'default'];
  const confined = routeCases(template, namespaceChoice(namespaces), namespaceChoice(namespaces));
  const admin = routeCases(template, namespaceChoice(namespaces), namespaceChoice([HOME, 'default']));
  return fc.constantFrom(...KEYS).chain((key) => (key.name === ROOT ? admin : confined).map((fuzz) => ({ key, fuzz })));
}

describe('the API under hostile input', () => {
  it('metadata nested 5,000 deep (40 KB, under the body limit): 400 naming metadata and the depth limit', async () => {
    const body = `{"jobId":"deep","statusHook":true,"metadata":${deepJson(5_000)}}`;
    expect(body.length).toBeGreaterThan(30_000);
    const reply = await api.call(server.url, 'POST', '/api/monitors', { body, token: root });
    expect(reply.status).toBe(400);
    expect(reply.json).toMatchObject({ field: 'metadata', reason: `is nested deeper than ${MAX_JSON_DEPTH} levels` });
  });

  it('a body that is not UTF-8: 400 naming the body', async () => {
    const body = Buffer.concat([Buffer.from('{"jobId":"j'), Buffer.from([0xff]), Buffer.from('","statusHook":true}')]);
    const reply = await api.call(server.url, 'POST', '/api/monitors', { body, token: root });
    expect(reply.status).toBe(400);
    expect(reply.json).toMatchObject({ field: 'body', reason: 'is not valid UTF-8' });
  });

  it('an id with half a surrogate pair: 400 naming it (it could not be stored)', async () => {
    const reply = await api.call(server.url, 'POST', '/api/monitors', { body: '{"jobId":"a\\ud800","statusHook":true}', token: root });
    expect(reply).toMatchObject({ status: 400, json: { field: 'jobId' } });
  });

  it(`${RUNS} generated requests, each with one of the keys: each answer is documented, none is a 5xx, a missing scope is a 403, nothing of ${OTHER} reaches a ${HOME} key`, async () => {
    console.log(`api fuzz: FUZZ_SEED=${SEED} FUZZ_RUNS=${RUNS}`);
    const arbitrary = cases('http://127.0.0.1:1/jobs/{jobId}');
    const failures: string[] = [];
    /** `key status` of every answer, to show that each key met both refusals and successes. */
    const answered = new Set<string>();
    // Generated a chunk at a time, each chunk from its own seed (SEED + chunk), so that memory
    // stays flat however many runs are asked for and a run replays from FUZZ_SEED alone.
    for (let first = 0; first < RUNS; first += CHUNK) {
      const generated = fc.sample(arbitrary, { seed: SEED + first / CHUNK, numRuns: Math.min(CHUNK, RUNS - first) });
      let next = 0;
      await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
        while (next < generated.length) {
          const index = next++;
          const { key, fuzz } = generated[index]!;
          const problem = await fire({ key, fuzz }, answered).catch((error: unknown) => `request failed: ${(error as Error).message} (${String((error as Error).cause)})`);
          if (problem) failures.push(`case ${first + index} (${fuzz.kind}, key ${key.name}) ${fuzz.method} ${fuzz.path.slice(0, 120)} ${preview(fuzz.body)}: ${problem}`);
        }
      }));
    }
    expect(failures, `replay with FUZZ_SEED=${SEED} FUZZ_RUNS=${RUNS}; first failures:\n${failures.slice(0, 5).join('\n')}`).toEqual([]);
    if (RUNS >= 1_000) {
      // Enough cases for every key to have been both refused for its scope and served.
      for (const key of KEYS.filter(({ principal }) => principal?.scopes.length === 1 && principal.scopes[0] !== 'admin')) {
        expect(answered, key.name).toContain(`${key.name} 403`);
        expect([...answered].some((seen) => seen.startsWith(`${key.name} 2`)), `${key.name} was never answered 2xx`).toBe(true);
      }
      expect(answered).toContain('no-key 401');
    }

    // Nothing a confined key sent changed the other namespace's monitors.
    for (let n = 0; n < SEEDED; n++) {
      const seeded = await api.call(server.url, 'GET', `/api/monitors/${IDS[n]}?namespace=${OTHER}`, { token: root });
      expect(seeded.json, IDS[n]).toMatchObject({ namespace: OTHER, jobId: `${SECRET}${n}`, state: 'scheduled', metadata: { owner: `${SECRET}owner` } });
    }
    const ended = await api.call(server.url, 'GET', `/api/monitors/${IDS[SEEDED]}?namespace=${OTHER}`, { token: root });
    expect(ended.json).toMatchObject({ namespace: OTHER, jobId: `${SECRET}ended`, outcome: 'canceled' });

    expect((await request(`${server.url}/healthz`)).status).toBe(200);
    const started = await api.call(server.url, 'POST', '/api/monitors', { body: { jobId: 'after-fuzz', statusHook: true }, token: root });
    expect(started.status).toBe(201);
    expect((await api.call(server.url, 'GET', '/api/monitors/after-fuzz', { token: root })).status).toBe(200);
  });
});

function preview(body: unknown): string {
  if (body === undefined) return '';
  const text = body instanceof Uint8Array ? `<${body.byteLength} bytes>` : typeof body === 'string' ? body : JSON.stringify(body);
  return text.length > 200 ? `${text.slice(0, 200)}… (${text.length} chars)` : text;
}
