import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_JSON_DEPTH } from '../../src/json/bounded-json.ts';
import type { RunningServer } from '../../src/wiring/start-server.ts';
import { request, startTestServer } from '../helpers/http.ts';
import { createIsolation, type Isolated } from '../helpers/isolation.ts';
import { OpenApiChecker } from '../helpers/openapi-check.ts';
import { deepJson, fitting, listQuery, oddRequest, pathId, postBodies, type FuzzRequest } from '../helpers/openapi-fuzz.ts';

/**
 * The API under fire: requests generated from the document the server serves, checked against
 * it. Every answer must be one the document lists for its operation, with the documented shape
 * (an undocumented path: a 404 with the error shape), and never a 5xx: Redis and Postgres are up.
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

let iso: Isolated;
let server: RunningServer;
let api: OpenApiChecker;

beforeAll(async () => {
  iso = await createIsolation();
  // No worker: the API alone is under test, and monitors it starts just wait in Redis.
  server = await startTestServer(iso);
  const served = await request(`${server.url}/api/openapi.json`);
  expect(served.status).toBe(200);
  api = new OpenApiChecker(served.json);
});

afterAll(async () => {
  await server?.close();
  await iso?.cleanup();
});

/** Sends one case; returns what was wrong with the answer, or undefined. */
async function fire(fuzz: FuzzRequest): Promise<string | undefined> {
  const url = new URL(fuzz.path, server.url);
  const reply = await request(url.href, { method: fuzz.method, body: fuzz.body, headers: fuzz.headers });
  if (reply.status >= 500) return `answered ${reply.status} with no service down: ${reply.text.slice(0, 300)}`;
  // fetch normalises the path as the server sees it (`/api/../healthz` is `/healthz`), and the
  // server is not strict about a trailing slash.
  const pathname = url.pathname.length > 1 ? url.pathname.replace(/\/$/, '') : url.pathname;
  if (api.documents(fuzz.method, pathname)) {
    try {
      api.checkReply(fuzz.method, pathname, reply);
    } catch (error) {
      return (error as Error).message.slice(0, 500);
    }
    return undefined;
  }
  if (reply.status !== 404 || typeof reply.json?.error !== 'string') return `an undocumented route answered ${reply.status}: ${reply.text.slice(0, 300)}`;
  return undefined;
}

function cases(template: string): fc.Arbitrary<FuzzRequest> {
  const document = api.served;
  const ids = fc.constantFrom(...Array.from({ length: 20 }, (_, i) => `fz-${i}`));
  const valid = fitting({ $ref: '#/components/schemas/MonitorInput' } as never, document, {
    jobId: ids,
    monitorId: ids,
    statusUrl: fc.constantFrom(template, 'http://127.0.0.1:1/jobs/{jobId}'),
    statusHook: fc.constant(undefined),
    interval: fc.constantFrom('1m', 60_000, '100ms'),
    expireIn: fc.constantFrom('2h', 3_600_000),
    expireAt: fc.constant(undefined),
  }).map((body) => body as Record<string, unknown>);
  return fc.oneof(
    { weight: 6, arbitrary: postBodies(valid).map((body) => ({ ...body, method: 'POST', path: '/api/monitors' })) },
    { weight: 2, arbitrary: listQuery.map((query) => ({ kind: 'list query', method: 'GET', path: `/api/monitors${query}` })) },
    { weight: 2, arbitrary: fc.tuple(fc.constantFrom('GET', 'DELETE'), fc.oneof(ids, pathId)).map(([method, id]) => ({ kind: 'monitor by id', method, path: `/api/monitors/${id}` })) },
    { weight: 1, arbitrary: oddRequest },
  );
}

describe('the API under hostile input', () => {
  it('metadata nested 5,000 deep (40 KB, under the body limit): 400 naming metadata and the depth limit', async () => {
    const body = `{"jobId":"deep","statusHook":true,"metadata":${deepJson(5_000)}}`;
    expect(body.length).toBeGreaterThan(30_000);
    const reply = await api.call(server.url, 'POST', '/api/monitors', { body });
    expect(reply.status).toBe(400);
    expect(reply.json).toMatchObject({ field: 'metadata', reason: `is nested deeper than ${MAX_JSON_DEPTH} levels` });
  });

  it('a body that is not UTF-8: 400 naming the body', async () => {
    const body = Buffer.concat([Buffer.from('{"jobId":"j'), Buffer.from([0xff]), Buffer.from('","statusHook":true}')]);
    const reply = await api.call(server.url, 'POST', '/api/monitors', { body });
    expect(reply.status).toBe(400);
    expect(reply.json).toMatchObject({ field: 'body', reason: 'is not valid UTF-8' });
  });

  it('an id with half a surrogate pair: 400 naming it (it could not be stored)', async () => {
    const reply = await api.call(server.url, 'POST', '/api/monitors', { body: '{"jobId":"a\\ud800","statusHook":true}' });
    expect(reply).toMatchObject({ status: 400, json: { field: 'jobId' } });
  });

  it(`${RUNS} generated requests: each answer is documented, none is a 5xx, and the server is healthy after`, async () => {
    console.log(`api fuzz: FUZZ_SEED=${SEED} FUZZ_RUNS=${RUNS}`);
    const arbitrary = cases('http://127.0.0.1:1/jobs/{jobId}');
    const failures: string[] = [];
    // Generated a chunk at a time, each chunk from its own seed (SEED + chunk), so that memory
    // stays flat however many runs are asked for and a run replays from FUZZ_SEED alone.
    for (let first = 0; first < RUNS; first += CHUNK) {
      const generated = fc.sample(arbitrary, { seed: SEED + first / CHUNK, numRuns: Math.min(CHUNK, RUNS - first) });
      let next = 0;
      await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
        while (next < generated.length) {
          const index = next++;
          const fuzz = generated[index]!;
          const problem = await fire(fuzz).catch((error: unknown) => `request failed: ${(error as Error).message} (${String((error as Error).cause)})`);
          if (problem) failures.push(`case ${first + index} (${fuzz.kind}) ${fuzz.method} ${fuzz.path.slice(0, 120)} ${preview(fuzz.body)}: ${problem}`);
        }
      }));
    }
    expect(failures, `replay with FUZZ_SEED=${SEED} FUZZ_RUNS=${RUNS}; first failures:\n${failures.slice(0, 5).join('\n')}`).toEqual([]);

    expect((await request(`${server.url}/healthz`)).status).toBe(200);
    const started = await api.call(server.url, 'POST', '/api/monitors', { body: { jobId: 'after-fuzz', statusHook: true } });
    expect(started.status).toBe(201);
    expect((await api.call(server.url, 'GET', '/api/monitors/after-fuzz')).status).toBe(200);
  });
});

function preview(body: unknown): string {
  if (body === undefined) return '';
  const text = body instanceof Uint8Array ? `<${body.byteLength} bytes>` : typeof body === 'string' ? body : JSON.stringify(body);
  return text.length > 200 ? `${text.slice(0, 200)}… (${text.length} chars)` : text;
}
