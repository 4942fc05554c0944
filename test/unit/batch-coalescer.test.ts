import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { MonitorContext } from '../../src/monitor/context.ts';
import type { Hold, StatusAnswer } from '../../src/monitor/gate/hold.ts';
import type { Admission, RequestGate } from '../../src/monitor/gate/request-gate.ts';
import type { StatusReading } from '../../src/monitor/reading.ts';
import { BatchCoalescer, type BatchOutcome, type FetchBatch } from '../../src/status/batch-coalescer.ts';
import { BatchHttpStatusProvider, interpretBatchResponse } from '../../src/status/batch-http-provider.ts';
import { rateKeyOf } from '../../src/monitor/gate/rate-key.ts';

const batchRateKey = (first: Parameters<typeof rateKeyOf>[0]) => rateKeyOf(first);
import { HookBatchStatusProvider, type GetJobStatuses } from '../../src/status/hook-batch-provider.ts';
import { HookStatusProvider } from '../../src/status/hook-provider.ts';

const URL_A = 'http://jobs.internal/statuses';

function member(jobId: string, extra: Partial<MonitorContext> = {}): MonitorContext {
  return { monitorId: `m-${jobId}`, jobId, status: { kind: 'batch', url: URL_A }, statusField: 'status', ...extra } as MonitorContext;
}

/** A fetch that records each batch's ids and answers every id `Running` (each member at its own field). */
function recordingFetch(outcome?: (ids: readonly string[]) => BatchOutcome) {
  const batches: string[][] = [];
  const fetch: FetchBatch = async (ids) => {
    batches.push([...ids]);
    return outcome?.(ids) ?? {
      overall: { ok: true, status: 'answered', body: null },
      readingOf: (m): StatusReading => ({ ok: true, status: `Running:${m.jobId}:${m.statusField}`, body: null }),
    };
  };
  return { fetch, batches };
}

/** A RequestGate of our own port, in memory: it holds a key while `held` has it, and counts its calls. */
class MemoryGate implements RequestGate {
  readonly admitted: string[] = [];
  readonly observed: [string, StatusReading][] = [];
  readonly held = new Map<string, Hold>();
  async admit(key: string): Promise<Admission> {
    this.admitted.push(key);
    const hold = this.held.get(key);
    return hold ? { hold, probe: false, failures: 0 } : { probe: false, failures: 0 };
  }
  async observe(key: string, reading: StatusReading): Promise<undefined> {
    this.observed.push([key, reading]);
    return undefined;
  }
}

afterEach(() => {
  vi.useRealTimers();
});

describe('BatchCoalescer', () => {
  it('sends the reads of one window as one batch, when the window ends', async () => {
    vi.useFakeTimers();
    const { fetch, batches } = recordingFetch();
    const coalescer = new BatchCoalescer({ maxIds: 100, windowMs: 20, fetch, rateKeyOf: batchRateKey });
    const reads = ['a', 'b', 'c'].map((id) => coalescer.read('src', member(id)));
    await vi.advanceTimersByTimeAsync(19);
    expect(batches).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(batches).toEqual([['a', 'b', 'c']]);
    expect(await Promise.all(reads)).toEqual(['a', 'b', 'c'].map((id) => ({ ok: true, status: `Running:${id}:status`, body: null })));
  });

  it('sends a batch at once when it reaches maxIds, and the rest after the window', async () => {
    vi.useFakeTimers();
    const { fetch, batches } = recordingFetch();
    const coalescer = new BatchCoalescer({ maxIds: 3, windowMs: 20, fetch, rateKeyOf: batchRateKey });
    const reads = Array.from({ length: 7 }, (_, i) => coalescer.read('src', member(`j${i}`)));
    await vi.advanceTimersByTimeAsync(0);
    expect(batches).toEqual([['j0', 'j1', 'j2'], ['j3', 'j4', 'j5']]);
    await vi.advanceTimersByTimeAsync(20);
    expect(batches).toEqual([['j0', 'j1', 'j2'], ['j3', 'j4', 'j5'], ['j6']]);
    expect(await Promise.all(reads)).toHaveLength(7);
  });

  it("sends at once when every poll slot of the process waits on a read, gathering or sent", async () => {
    vi.useFakeTimers();
    const releases: (() => void)[] = [];
    const batches: string[][] = [];
    const fetch: FetchBatch = async (ids) => {
      batches.push([...ids]);
      await new Promise<void>((resolve) => releases.push(resolve));
      return { overall: { ok: true, status: 'answered', body: null }, readingOf: () => ({ ok: true, status: 'Running', body: null }) };
    };
    const coalescer = new BatchCoalescer({ maxIds: 2, windowMs: 1_000, slots: 3, fetch, rateKeyOf: batchRateKey });
    const first = [coalescer.read('src', member('a')), coalescer.read('src', member('b'))];
    await vi.advanceTimersByTimeAsync(0);
    expect(batches).toEqual([['a', 'b']]);
    // a and b are still in flight: c takes the last slot, and nothing else can join it.
    const third = coalescer.read('src', member('c'));
    await vi.advanceTimersByTimeAsync(0);
    expect(batches).toEqual([['a', 'b'], ['c']]);
    for (const release of releases) release();
    await Promise.all([...first, third]);
  });

  it('asks for an equal job id once, and answers each of its monitors at its own status field', async () => {
    vi.useFakeTimers();
    const { fetch, batches } = recordingFetch();
    const coalescer = new BatchCoalescer({ maxIds: 100, windowMs: 5, fetch, rateKeyOf: batchRateKey });
    const reads = [coalescer.read('src', member('same')), coalescer.read('src', member('same', { monitorId: 'other', statusField: 'data.state' }))];
    await vi.advanceTimersByTimeAsync(5);
    expect(batches).toEqual([['same']]);
    expect(await Promise.all(reads)).toEqual([
      { ok: true, status: 'Running:same:status', body: null },
      { ok: true, status: 'Running:same:data.state', body: null },
    ]);
  });

  it('keeps sources apart', async () => {
    vi.useFakeTimers();
    const { fetch, batches } = recordingFetch();
    const coalescer = new BatchCoalescer({ maxIds: 100, windowMs: 5, fetch, rateKeyOf: batchRateKey });
    const reads = [coalescer.read('one', member('a')), coalescer.read('two', member('b')), coalescer.read('one', member('c'))];
    await vi.advanceTimersByTimeAsync(5);
    expect(batches).toEqual([['a', 'c'], ['b']]);
    await Promise.all(reads);
  });

  it('admits each batch once through the gate, under its key, and tells it the batch reading once', async () => {
    vi.useFakeTimers();
    const gate = new MemoryGate();
    const { fetch, batches } = recordingFetch();
    const coalescer = new BatchCoalescer({ maxIds: 2, windowMs: 5, fetch, gate, rateKeyOf: batchRateKey });
    const reads = ['a', 'b', 'c'].map((id) => coalescer.read('src', member(id)));
    await vi.advanceTimersByTimeAsync(5);
    await Promise.all(reads);
    expect(batches).toEqual([['a', 'b'], ['c']]);
    expect(gate.admitted).toEqual(['jobs.internal', 'jobs.internal']);
    expect(gate.observed).toEqual([['jobs.internal', expect.objectContaining({ ok: true })], ['jobs.internal', expect.objectContaining({ ok: true })]]);
  });

  it('answers every member of a held batch with the hold, and sends nothing', async () => {
    vi.useFakeTimers();
    const gate = new MemoryGate();
    const hold: Hold = { key: 'vendor', reason: 'rate-limit', until: 123 };
    gate.held.set('vendor', hold);
    const { fetch, batches } = recordingFetch();
    const coalescer = new BatchCoalescer({ maxIds: 100, windowMs: 5, fetch, gate, rateKeyOf: batchRateKey });
    const reads = ['a', 'b'].map((id) => coalescer.read('src', member(id, { rateKey: 'vendor' })));
    await vi.advanceTimersByTimeAsync(5);
    expect(await Promise.all(reads)).toEqual<StatusAnswer[]>([{ held: hold }, { held: hold }]);
    expect(batches).toEqual([]);
    expect(gate.admitted).toEqual(['vendor']);
    expect(gate.observed).toEqual([]);
  });

  it('tells the gate of a failed batch, and each member fails alike', async () => {
    vi.useFakeTimers();
    const gate = new MemoryGate();
    const failure: StatusReading = { ok: false, failure: { reason: 'timeout', message: 'POST x did not answer within 10ms' } };
    const { fetch } = recordingFetch(() => ({ overall: failure, readingOf: () => failure }));
    const coalescer = new BatchCoalescer({ maxIds: 100, windowMs: 5, fetch, gate, rateKeyOf: batchRateKey });
    const reads = ['a', 'b'].map((id) => coalescer.read('src', member(id)));
    await vi.advanceTimersByTimeAsync(5);
    expect(await Promise.all(reads)).toEqual([failure, failure]);
    expect(gate.observed).toEqual([['jobs.internal', failure]]);
  });

  it('turns a gate that throws into a failed check for each member, never a throw', async () => {
    vi.useFakeTimers();
    const gate: RequestGate = { admit: async () => { throw new Error('Redis is down'); }, observe: async () => undefined };
    const coalescer = new BatchCoalescer({ maxIds: 100, windowMs: 5, fetch: recordingFetch().fetch, gate, rateKeyOf: batchRateKey });
    const read = coalescer.read('src', member('a'));
    await vi.advanceTimersByTimeAsync(5);
    expect(await read).toEqual({ ok: false, failure: { reason: 'connection', message: 'batch request failed: Redis is down' } });
  });
});

describe('rate keys of batches (rateKeyOf)', () => {
  it.each([
    ['http://jobs.internal/statuses', undefined, 'jobs.internal'],
    ['http://jobs.internal:8080/statuses', undefined, 'jobs.internal:8080'],
    ['https://api.vendor.com:443/statuses', undefined, 'api.vendor.com:443'],
    ['https://user:pw@api.vendor.com/statuses?x=1', undefined, 'api.vendor.com'],
    ['http://[::1]:4000/s', undefined, '[::1]:4000'],
    ['http://jobs.internal/statuses', 'vendor', 'vendor'],
  ])('%s (rateKey %s) is admitted under %s', (url, rateKey, key) => {
    expect(batchRateKey(member('j', { status: { kind: 'batch', url }, ...(rateKey ? { rateKey } : {}) }))).toBe(key);
  });

  it("admits a hook batch under its rateKey, else the hook module's key", () => {
    expect(rateKeyOf(member('j', { status: { kind: 'hook' } }), 'billing-api')).toBe('billing-api');
    expect(rateKeyOf(member('j', { status: { kind: 'hook' } }))).toBe('hook');
    expect(rateKeyOf(member('j', { status: { kind: 'hook' }, rateKey: 'sdk' }), 'billing-api')).toBe('sdk');
  });
});

describe('interpretBatchResponse', () => {
  const bytes = (value: unknown) => new TextEncoder().encode(typeof value === 'string' ? value : JSON.stringify(value));
  const read = (code: number, body: unknown, m: MonitorContext, retryAfter?: string) =>
    interpretBatchResponse(code, retryAfter, bytes(body), 1 << 20, URL_A).readingOf(m);

  it("reads each member's value at its own status field", () => {
    const answer = { a: { status: 'Running' }, b: { data: { state: 'Done' } } };
    expect(read(200, answer, member('a'))).toEqual({ ok: true, status: 'Running', body: { status: 'Running' }, httpStatus: 200 });
    expect(read(200, answer, member('b', { statusField: 'data.state' }))).toMatchObject({ ok: true, status: 'Done' });
  });

  it('a job id left out is not-found for that member alone; a member without the field is missing-field', () => {
    const answer = { a: { status: 'Running' }, c: { other: 1 } };
    expect(read(200, answer, member('a'))).toMatchObject({ ok: true });
    expect(read(200, answer, member('b'))).toMatchObject({ ok: false, failure: { reason: 'not-found', message: expect.stringContaining('without job "b"') } });
    expect(read(200, answer, member('c'))).toMatchObject({ ok: false, failure: { reason: 'missing-field' } });
    // Only the answer's own members count: `constructor` is no job's status.
    expect(read(200, answer, member('constructor'))).toMatchObject({ ok: false, failure: { reason: 'not-found' } });
  });

  it.each<[string, number, unknown, string, string | undefined]>([
    ['a 503 with Retry-After', 503, '', 'http-status', '7'],
    ['a 404 of the batch URL (not of a job)', 404, '', 'http-status', undefined],
    ['a redirect', 302, '', 'http-status', undefined],
    ['an array', 200, [{ status: 'Done' }], 'bad-body', undefined],
    ['a string', 200, '"Done"', 'bad-body', undefined],
    ['not JSON', 200, 'oops', 'bad-body', undefined],
  ])('%s is the same failed check for every member', (_name, code, body, reason, retryAfter) => {
    const outcome = interpretBatchResponse(code, retryAfter, bytes(body), 1 << 20, URL_A);
    expect(outcome.overall).toMatchObject({ ok: false, failure: { reason } });
    expect(outcome.readingOf(member('a'))).toEqual(outcome.overall);
    expect(outcome.readingOf(member('b'))).toEqual(outcome.overall);
    if (retryAfter) expect(outcome.overall).toMatchObject({ failure: { retryAfterMs: 7_000, httpStatus: 503 } });
  });
});

describe('BatchHttpStatusProvider over real HTTP', () => {
  it('POSTs {"ids": [...]} as JSON once for the monitors due together', async () => {
    const requests: { method?: string; type?: string; body: unknown }[] = [];
    const server = createServer((request, response) => {
      let text = '';
      request.on('data', (chunk) => (text += chunk));
      request.on('end', () => {
        const body = JSON.parse(text) as { ids: string[] };
        requests.push({ method: request.method, type: request.headers['content-type'], body });
        response.writeHead(200, { 'content-type': 'application/json' })
          .end(JSON.stringify(Object.fromEntries(body.ids.filter((id) => id !== 'gone').map((id) => [id, { status: 'Done' }]))));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/statuses`;
    const provider = new BatchHttpStatusProvider({ maxIds: 100, windowMs: 10, timeoutMs: 5_000 });
    try {
      const answers = await Promise.all(['x', 'y', 'gone'].map((id) => provider.read(member(id, { status: { kind: 'batch', url } }))));
      expect(requests).toEqual([{ method: 'POST', type: 'application/json', body: { ids: ['x', 'y', 'gone'] } }]);
      expect(answers.map((answer) => ('ok' in answer ? (answer.ok ? answer.status : answer.failure.reason) : 'held'))).toEqual(['Done', 'Done', 'not-found']);
    } finally {
      await provider.close();
      server.close();
    }
  });
});

describe('HookBatchStatusProvider', () => {
  it('is what a hook module exporting getJobStatuses loads as', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'jobwatch-hook-'));
    const path = join(dir, 'statuses.mjs');
    writeFileSync(path, 'export const getJobStatuses = (ids) => Object.fromEntries(ids.map((id) => [id, "Done"]));\n');
    try {
      const provider = await HookStatusProvider.load(path, 1_000, { maxIds: 100, windowMs: 1 });
      expect(provider).toBeInstanceOf(HookBatchStatusProvider);
      expect(await provider.read(member('a', { status: { kind: 'hook' } }))).toMatchObject({ ok: true, status: 'Done' });
      await provider.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  const readAll = async (hook: GetJobStatuses, ids: string[], timeoutMs = 1_000) => {
    const provider = new HookBatchStatusProvider(hook, { maxIds: 100, windowMs: 1, timeoutMs });
    try {
      return await Promise.all(ids.map((id) => provider.read(member(id, { status: { kind: 'hook' } }))));
    } finally {
      await provider.close();
    }
  };

  it('reads a Map or an object keyed by job id, each value as getJobStatus would answer it', async () => {
    const calls: string[][] = [];
    const asMap = await readAll((ids) => { calls.push(ids); return new Map<string, unknown>([['a', 'Running'], ['b', { status: 'Done' }]]); }, ['a', 'b', 'c']);
    expect(calls).toEqual([['a', 'b', 'c']]);
    expect(asMap).toMatchObject([{ ok: true, status: 'Running' }, { ok: true, status: 'Done' }, { ok: false, failure: { reason: 'not-found' } }]);
    expect(await readAll(async () => ({ a: { status: 'Done' }, b: {} }), ['a', 'b']))
      .toMatchObject([{ ok: true, status: 'Done' }, { ok: false, failure: { reason: 'missing-field' } }]);
  });

  it.each<[string, GetJobStatuses, string, RegExp]>([
    ['a hook that throws', () => { throw new Error('sdk down'); }, 'hook-error', /^getJobStatuses threw: sdk down$/],
    ['a hook that never answers', () => new Promise(() => {}), 'timeout', /^getJobStatuses did not answer within 30ms$/],
    ['an array answer', () => ['Done'], 'bad-body', /other than an object or a Map/],
  ])('%s is a failed check for every member', async (_name, hook, reason, message) => {
    const answers = await readAll(hook, ['a', 'b'], 30);
    for (const answer of answers) expect(answer).toMatchObject({ ok: false, failure: { reason, message: expect.stringMatching(message) } });
  });
});
