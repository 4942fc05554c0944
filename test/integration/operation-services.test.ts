import { request as httpRequest } from 'node:http';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { ConventionName } from '../../src/sources/conventions/index.ts';
import { answerFromBytes } from '../../src/sources/http-answer.ts';
import { readSourceAnswer } from '../../src/sources/read-answer.ts';
import type { SourceReading } from '../../src/sources/source-reading.ts';
import { METADATA_ORIGIN, startOperationServices, type OperationServices, type OperationStyleFake } from '../helpers/operation-services.ts';

/**
 * The fake operation services behave as their specifications say, over real HTTP with plain
 * fetch: each style from its start to its end, the Idempotency-Key rules, failed and held starts,
 * and the other origin that counts what reaches it. The polled answers are also read with
 * jobwatch's own convention readers, so that the fakes are known to be watchable.
 */

const KEY = 'Idempotency-Key';
let services: OperationServices;

beforeAll(async () => {
  // Retry-After 0: the fakes answer at once, and nothing here waits for it.
  services = await startOperationServices({ retryAfter: 0 });
});
afterAll(async () => {
  await services.close();
});
beforeEach(() => {
  for (const fake of [services.http202, services.azure, services.bodyId, services.sync]) {
    fake.releaseStarts();
    fake.configure({ honourKeys: true, runningPolls: 2, retryAfter: 0, absoluteLocation: false, locationOrigin: null, locationFor: null });
  }
});

function post(url: string, body: unknown, key?: string, method = 'POST'): Promise<Response> {
  return fetch(url, { method, redirect: 'manual', headers: { 'content-type': 'application/json', ...(key ? { [KEY]: key } : {}) }, body: JSON.stringify(body) });
}

function get(url: string): Promise<Response> {
  return fetch(url, { redirect: 'manual' });
}

/** Polls until the answer is no longer a running one; returns every answer's status and body. */
async function pollToEnd(url: string, running: (status: number, body: Record<string, unknown>) => boolean): Promise<Array<{ status: number; body: Record<string, unknown>; headers: Headers }>> {
  const answers = [];
  for (let i = 0; i < 10; i++) {
    const response = await get(url);
    const text = await response.text();
    const answer = { status: response.status, body: (text ? JSON.parse(text) : {}) as Record<string, unknown>, headers: response.headers };
    answers.push(answer);
    if (!running(answer.status, answer.body)) return answers;
  }
  throw new Error(`${url} was still running after 10 polls`);
}

/** Reads an answer with jobwatch's reader of `convention`, as a monitor of such a source would. */
async function readWith(convention: ConventionName, url: string): Promise<SourceReading> {
  const response = await get(url);
  const bytes = new Uint8Array(await response.arrayBuffer());
  const answer = answerFromBytes({ statusCode: response.status, headers: Object.fromEntries(response.headers), where: `GET ${url}`, url }, bytes);
  return readSourceAnswer({ kind: 'convention', convention }, answer);
}

describe('each style, start to end', () => {
  it('http-202: 202 with a relative Location and Retry-After, then 202s, then 200 with the result', async () => {
    const start = await post(services.http202.startUrl, { scene: 'a' }, 'k-202');
    expect(start.status).toBe(202);
    expect(start.headers.get('retry-after')).toBe('0');
    const location = start.headers.get('location')!;
    expect(location).toMatch(/^\/async\/jobs\/job-\d+\/status$/);
    const jobId = location.split('/')[3]!;
    expect(services.http202.pollTemplate!.replace('{jobId}', jobId)).toBe(`${services.url}${location}`);
    const answers = await pollToEnd(`${services.url}${location}`, (status) => status === 202);
    expect(answers.map((answer) => answer.status)).toEqual([202, 202, 200]);
    expect(answers[0]!.headers.get('retry-after')).toBe('0');
    expect(answers[2]!.body).toEqual({ jobId, frames: 24, input: { scene: 'a' } });
    expect(services.http202.polls(jobId)).toBe(3);
  });

  it('http-202: an absolute Location, no Retry-After, and a 303 to the result that jobwatch reads as done', async () => {
    services.http202.configure({ absoluteLocation: true, retryAfter: null, ending: 'see-other', runningPolls: 1 });
    try {
      const start = await post(services.http202.startUrl, { scene: 'b' }, 'k-303');
      const location = start.headers.get('location')!;
      expect(location.startsWith(`${services.url}/async/jobs/`)).toBe(true);
      expect(start.headers.has('retry-after')).toBe(false);
      expect(await readWith('http-202', location)).toMatchObject({ state: 'running' });
      const ended = await readWith('http-202', location);
      expect(ended).toMatchObject({ state: 'ended', outcome: 'completed', status: 'See Other', output: { location: expect.stringMatching(/\/async\/results\/job-\d+$/) } });
      const output = (ended as { output: { location: string } }).output;
      expect(await (await get(output.location)).json()).toMatchObject({ frames: 24, input: { scene: 'b' } });
    } finally {
      services.http202.configure({ ending: 'ok' });
    }
  });

  it('azure: 202 with an absolute Operation-Location; NotStarted, Running, then Succeeded, read by azure-operation', async () => {
    const start = await post(services.azure.startUrl, { model: 'm' }, 'k-az');
    expect(start.status).toBe(202);
    const location = start.headers.get('operation-location')!;
    expect(location).toMatch(new RegExp(`^${services.url}/azure/operations/job-\\d+\\?api-version=2024-01-01$`));
    const jobId = new URL(location).pathname.split('/').pop()!;
    expect(services.azure.pollTemplate!.replace('{jobId}', jobId)).toBe(location);
    const readings = [];
    for (let i = 0; i < 3; i++) readings.push(await readWith('azure-operation', location));
    expect(readings.map((reading) => (reading.ok ? reading.status : reading.failure.reason))).toEqual(['NotStarted', 'Running', 'Succeeded']);
    expect(readings[2]).toMatchObject({ state: 'ended', outcome: 'completed', output: { jobId, input: { model: 'm' } } });
  });

  it('azure: PUT answers 201; Azure-AsyncOperation instead; a Failed job keeps its error; a poll without api-version is 400', async () => {
    services.azure.configure({ operationHeader: 'Azure-AsyncOperation', runningPolls: 0 });
    try {
      const start = await post(`${services.azure.startUrl}/render-7`, { fake: { ending: 'Failed' } }, 'k-az-put', 'PUT');
      expect(start.status).toBe(201);
      expect(start.headers.has('operation-location')).toBe(false);
      const location = start.headers.get('azure-asyncoperation')!;
      expect(services.azure.starts().at(-1)).toMatchObject({ method: 'PUT', path: '/azure/jobs/render-7', key: 'k-az-put', outcome: 'created' });
      expect((await get(location.split('?')[0]!)).status).toBe(400);
      expect(await readWith('azure-operation', location)).toMatchObject({ outcome: 'failed', status: 'Failed', error: { code: 'RenderFailed' } });
    } finally {
      services.azure.configure({ operationHeader: 'Operation-Location' });
    }
  });

  it('body-id: 201 with the id in the body and no Location; Processing, then Completed', async () => {
    const start = await post(services.bodyId.startUrl, { rows: 5 }, 'k-body');
    expect(start.status).toBe(201);
    expect(start.headers.has('location')).toBe(false);
    const body = await start.json() as { id: string; state: string };
    expect(body).toEqual({ id: expect.stringMatching(/^job-\d+$/), state: 'queued' });
    const answers = await pollToEnd(services.bodyId.pollTemplate!.replace('{jobId}', body.id), (_status, answer) => answer.status === 'Processing');
    expect(answers.map((answer) => answer.body.status)).toEqual(['Processing', 'Processing', 'Completed']);
    expect(answers[2]!.body).toMatchObject({ id: body.id, result: { input: { rows: 5 } } });
  });

  it('sync: 200 with the result at once, or 201 with a body and no Location, or 204', async () => {
    expect(services.sync.pollTemplate).toBeNull();
    const ok = await post(services.sync.startUrl, { n: 1 }, 'k-sync');
    expect(ok.status).toBe(200);
    expect(await ok.json()).toEqual({ result: { jobId: expect.any(String), frames: 24, input: { n: 1 } } });
    const created = await post(services.sync.startUrl, { fake: { ending: 'created' } }, 'k-sync-201');
    expect(created.status).toBe(201);
    expect(created.headers.has('location')).toBe(false);
    const empty = await post(services.sync.startUrl, { fake: { ending: 'no-content' } }, 'k-sync-204');
    expect(empty.status).toBe(204);
    expect(await empty.text()).toBe('');
  });
});

describe('Idempotency-Key', () => {
  it('the same key and request again: the stored answer, and no new job', async () => {
    const jobsBefore = services.http202.jobsCreated();
    const first = await post(services.http202.startUrl, { b: 1, a: 2 }, 'k-same');
    // The same JSON with its members in another order is the same request.
    const again = await post(services.http202.startUrl, { a: 2, b: 1 }, 'k-same');
    expect(again.status).toBe(first.status);
    expect(again.headers.get('location')).toBe(first.headers.get('location'));
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(services.http202.jobsCreated()).toBe(jobsBefore + 1);
    expect(services.http202.startKeys().slice(-2)).toEqual(['k-same', 'k-same']);
    expect(services.http202.starts().slice(-2).map((start) => start.outcome)).toEqual(['created', 'replayed']);
  });

  it('the same key with another body: 422, no job', async () => {
    await post(services.bodyId.startUrl, { rows: 1 }, 'k-diff');
    const jobs = services.bodyId.jobsCreated();
    const other = await post(services.bodyId.startUrl, { rows: 2 }, 'k-diff');
    expect(other.status).toBe(422);
    expect(other.headers.get('content-type')).toBe('application/problem+json');
    expect(services.bodyId.jobsCreated()).toBe(jobs);
  });

  it('a key whose first request is still being answered: 409; once answered, the replay', async () => {
    const fake = services.azure;
    const jobs = fake.jobsCreated();
    fake.holdStarts();
    const arrived = fake.nextStartArrived();
    const first = post(fake.startUrl, { x: 1 }, 'k-flight');
    expect((await arrived).jobId).toBeDefined();
    const second = await post(fake.startUrl, { x: 1 }, 'k-flight');
    expect(second.status).toBe(409);
    expect(fake.heldStarts()).toBe(1);
    fake.releaseStarts();
    expect((await first).status).toBe(202);
    const third = await post(fake.startUrl, { x: 1 }, 'k-flight');
    expect(third.status).toBe(202);
    expect(fake.jobsCreated()).toBe(jobs + 1);
  });

  it('honourKeys false: every start is a new job; a named header carries the key', async () => {
    const fake = services.sync;
    fake.configure({ honourKeys: false });
    const jobs = fake.jobsCreated();
    await post(fake.startUrl, { n: 2 }, 'k-ignored');
    await post(fake.startUrl, { n: 2 }, 'k-ignored');
    expect(fake.jobsCreated()).toBe(jobs + 2);
    fake.configure({ honourKeys: true, keyHeader: 'X-Request-Id' });
    try {
      await fetch(fake.startUrl, { method: 'POST', headers: { 'X-Request-Id': 'rid-1' }, body: '{}' });
      await fetch(fake.startUrl, { method: 'POST', headers: { 'X-Request-Id': 'rid-1' }, body: '{}' });
      expect(fake.startKeys().slice(-2)).toEqual(['rid-1', 'rid-1']);
      expect(fake.jobsCreated()).toBe(jobs + 3);
    } finally {
      fake.configure({ keyHeader: KEY });
    }
  });
});

describe('failed and held starts, other origins', () => {
  it('failStarts: a 503 with Retry-After, then a 400 with a JSON error, neither creating a job nor keeping the key', async () => {
    const fake = services.http202;
    const jobs = fake.jobsCreated();
    fake.failStarts(1, 503, { retryAfter: 2 });
    fake.failStarts(1, 400, { body: { error: 'scene is required' } });
    const unavailable = await post(fake.startUrl, {}, 'k-fail');
    expect(unavailable.status).toBe(503);
    expect(unavailable.headers.get('retry-after')).toBe('2');
    const refused = await post(fake.startUrl, {}, 'k-fail');
    expect(refused.status).toBe(400);
    expect(await refused.json()).toEqual({ error: 'scene is required' });
    expect(fake.jobsCreated()).toBe(jobs);
    const retried = await post(fake.startUrl, {}, 'k-fail');
    expect(retried.status).toBe(202);
    expect(fake.starts().slice(-3).map((start) => start.outcome)).toEqual(['failed-on-purpose', 'failed-on-purpose', 'created']);
    expect(fake.jobsCreated()).toBe(jobs + 1);
  });

  it('a held start whose client goes away has created its job; the retry with its key gets that job', async () => {
    const fake = services.bodyId;
    const jobs = fake.jobsCreated();
    fake.holdStarts();
    const arrived = fake.nextStartArrived();
    // A client that dies after sending: a raw request whose socket is destroyed before any answer.
    const client = httpRequest(fake.startUrl, { method: 'POST', headers: { [KEY]: 'k-killed', 'content-type': 'application/json' } });
    client.on('error', () => {});
    client.end('{"rows":9}');
    const start = await arrived;
    expect(fake.jobsCreated()).toBe(jobs + 1);
    client.destroy();
    await new Promise<void>((resolve) => {
      const check = () => (start.clientGone ? resolve() : setTimeout(check, 5));
      check();
    });
    expect(fake.heldStarts()).toBe(0);
    // Still holding: the retry's replay is answered at once (only starts that create a job are held).
    const retry = await post(fake.startUrl, { rows: 9 }, 'k-killed');
    fake.releaseStarts();
    expect(retry.status).toBe(201);
    expect(await retry.json()).toEqual({ id: start.jobId, state: 'queued' });
    expect(fake.jobsCreated()).toBe(jobs + 1);
    expect(fake.starts().slice(-2).map((record) => [record.key, record.outcome, record.clientGone])).toEqual([['k-killed', 'created', true], ['k-killed', 'replayed', false]]);
  });

  it('locationOrigin: the start points at the other origin, which counts what reaches it, or at the metadata address', async () => {
    const fake: OperationStyleFake = services.azure;
    fake.locationOrigin(services.otherOrigin.url);
    const start = await post(fake.startUrl, {}, 'k-other');
    const location = start.headers.get('operation-location')!;
    expect(location.startsWith(`${services.otherOrigin.url}/azure/operations/`)).toBe(true);
    expect(services.otherOrigin.count()).toBe(0);
    await get(location);
    expect(services.otherOrigin.count()).toBe(1);
    expect(services.otherOrigin.requests()[0]).toMatchObject({ method: 'GET', path: expect.stringMatching(/^\/azure\/operations\//) });

    services.http202.locationOrigin(METADATA_ORIGIN);
    const metadata = await post(services.http202.startUrl, {}, 'k-meta');
    expect(metadata.headers.get('location')).toMatch(/^http:\/\/169\.254\.169\.254\/async\/jobs\/job-\d+\/status$/);
  });

  it('logs every request with lower-case headers and its body, and counts polls per job', async () => {
    const start = await post(services.bodyId.startUrl, { logged: true }, 'k-log');
    const { id } = await start.json() as { id: string };
    await get(services.bodyId.pollTemplate!.replace('{jobId}', id));
    const logged = services.requests().filter((request) => request.path.startsWith('/api/jobs')).slice(-2);
    expect(logged[0]).toMatchObject({ method: 'POST', path: '/api/jobs', body: '{"logged":true}', headers: { 'idempotency-key': 'k-log', 'content-type': 'application/json' } });
    expect(logged[1]).toMatchObject({ method: 'GET', path: `/api/jobs/${id}` });
    expect(services.bodyId.polls(id)).toBe(1);
    expect(services.requestsTo(`/api/jobs/${id}`)).toBe(1);
  });
});
