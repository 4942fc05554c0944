import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JobwatchClient } from '../../src/client/jobwatch-client.ts';
import { findResult } from '../../src/db/results.ts';
import { rowsOf } from '../../src/db/rows.ts';
import { MAX_JOB_STATUS_LENGTH, MAX_STATUS_BODY_BYTES } from '../../src/monitor/input-limits.ts';
import type { WorkerProcess } from '../../src/wiring/worker-process.ts';
import { hostile, startHostileStatusServer, type HostileAnswer, type HostileStatusServer } from '../helpers/hostile-status-server.ts';
import { createIsolation, type Isolated } from '../helpers/isolation.ts';
import { waitFor } from '../helpers/wait.ts';
import { startTestWorker, testClient } from '../helpers/workers.ts';

// Short budgets, so that each misbehaviour plays out in seconds: three failed checks end a monitor,
// retries start at 20ms. A status call gets 3s: a byte a second never makes it, and the other
// bodies are read well within it even when a loaded machine stalls this process for a while (at
// 500ms, a stall of the test's in-process worker once turned their reasons into `timeout`).
const ENV = { JOBWATCH_RETRY_BASE: '20ms', JOBWATCH_RETRY_MAX: '100ms', JOBWATCH_STATUS_TIMEOUT: '3s', JOBWATCH_MAX_STATUS_FAILURES: '3' };

/** Each misbehaviour, how the README's failure table says it ends, and what the row shows. */
interface Case {
  answer: HostileAnswer;
  outcome: 'completed' | 'failed' | 'errored';
  /** For `errored`: the reason of the last failed check (any of them, where the machine's speed decides). */
  reason?: string | string[];
  error?: RegExp;
}

const CASES: Record<string, Case> = {
  'NUL in a string': { answer: hostile.bytes('{"status":"Completed","note":"a\\u0000b","a\\u0000key":1}'), outcome: 'completed' },
  'nested 100,000 deep': { answer: hostile.deep(100_000), outcome: 'errored', reason: 'bad-body', error: /nested deeper than 64 levels/ },
  'a status of 500,000 characters': { answer: hostile.bytes(JSON.stringify({ status: 'S'.repeat(500_000) })), outcome: 'failed' },
  'invalid UTF-8': {
    answer: hostile.bytes(Buffer.concat([Buffer.from('{"status":"Comp'), Buffer.from([0xff, 0xfe]), Buffer.from('leted"}')])),
    outcome: 'errored', reason: 'bad-body', error: /not valid UTF-8/,
  },
  'a body over the limit': {
    answer: hostile.bytes(JSON.stringify({ status: 'Completed', pad: 'x'.repeat(MAX_STATUS_BODY_BYTES) })),
    outcome: 'errored', reason: 'bad-body', error: /larger than the limit/,
  },
  'a byte a second': { answer: hostile.drip(1_000), outcome: 'errored', reason: 'timeout', error: /did not answer within 3000ms/ },
  // Cut at the size limit, or at the timeout on a machine too busy to read 1 MiB in 500ms.
  'a body that never ends': { answer: hostile.endless(), outcome: 'errored', reason: ['bad-body', 'timeout'] },
  'not JSON': { answer: hostile.bytes('<html>maintenance</html>', { 'content-type': 'text/html' }), outcome: 'errored', reason: 'bad-body', error: /not valid JSON/ },
  'JSON under a wrong content type': { answer: hostile.bytes('{"status":"Completed"}', { 'content-type': 'text/html' }), outcome: 'completed' },
  'a gzip bomb (1,000x)': { answer: hostile.gzipBomb(16 * 1024 * 1024), outcome: 'errored', reason: 'bad-body', error: /not valid UTF-8/ },
  'a redirect': { answer: hostile.redirect('/jobs/redirect-target'), outcome: 'errored', reason: 'http-status', error: /answered 302/ },
  '1xx, then 200': { answer: hostile.informationalThen('Completed'), outcome: 'completed' },
  'a reset mid-body': { answer: hostile.resetMidBody(), outcome: 'errored', reason: 'connection' },
};

let iso: Isolated;
let server: HostileStatusServer;
let worker: WorkerProcess;
let client: JobwatchClient;

beforeAll(async () => {
  iso = await createIsolation();
  server = await startHostileStatusServer();
  worker = await startTestWorker(iso, ENV);
  client = testClient(iso, ENV);
});

afterAll(async () => {
  await client?.close();
  await worker?.close(5_000);
  await server?.close();
  await iso?.cleanup();
});

const idOf = (name: string) => `hostile-${name.replace(/\W+/g, '-')}`;
const row = (monitorId: string) => waitFor(() => findResult(iso.database.db, monitorId), { what: `result of ${monitorId}`, timeoutMs: 30_000 });

describe('a hostile status service', () => {
  let peakRssGrowth = 0;

  beforeAll(async () => {
    server.answer('redirect-target', hostile.bytes('{"status":"Completed"}'));
    for (const [name, { answer }] of Object.entries(CASES)) server.answer(idOf(name), answer);
    const before = process.memoryUsage().rss;
    const sampler = setInterval(() => (peakRssGrowth = Math.max(peakRssGrowth, process.memoryUsage().rss - before)), 20);
    try {
      await client.startMonitors(Object.keys(CASES).map((name) => ({ jobId: idOf(name), statusUrl: server.template, interval: '1m' })));
      for (const name of Object.keys(CASES)) await row(idOf(name));
    } finally {
      clearInterval(sampler);
    }
  });

  it.each(Object.entries(CASES))('%s: ends as the failure table says', async (name, expected) => {
    const result = await row(idOf(name));
    expect(result.outcome).toBe(expected.outcome);
    if (expected.reason) {
      expect([expected.reason].flat()).toContain((result.detail as { reason: string }).reason);
      expect(result.polls).toBe(3);
    }
    if (expected.error) expect((result.detail as { error: string }).error).toMatch(expected.error);
  });

  it('writes exactly one row for each monitor', async () => {
    const ids = Object.keys(CASES).map(idOf);
    const written = rowsOf<{ monitor_id: string }>(await iso.database.db.execute(sql`select monitor_id from monitor_results`));
    expect(written.map((r) => r.monitor_id).sort()).toEqual([...ids].sort());
  });

  it('NUL: the row is written, the NULs removed, and detail says so', async () => {
    const result = await row(idOf('NUL in a string'));
    expect(result.detail).toEqual({ status: 'Completed', note: 'ab', akey: 1, storageNotes: { nulsRemoved: 2 } });
  });

  it('a huge status: job_status is capped and detail notes its full length', async () => {
    const result = await row(idOf('a status of 500,000 characters'));
    expect(result.jobStatus).toBe('S'.repeat(MAX_JOB_STATUS_LENGTH));
    expect(result.detail).toMatchObject({ truncated: true, storageNotes: { jobStatusLength: 500_000 } });
  });

  it('never follows a redirect', () => {
    expect(server.calls('/jobs/redirect-target')).toBe(0);
  });

  it("keeps the worker's memory bounded: nothing expands the gzip bomb or buffers the endless body", () => {
    // Three 1 MiB reads at once at most, plus the test's own rows: far from the 16 MiB bomb or an endless body.
    expect(peakRssGrowth).toBeLessThan(96 * 1024 * 1024);
  });
});
