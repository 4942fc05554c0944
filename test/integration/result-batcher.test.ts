import { sql } from 'drizzle-orm';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPostgres } from '../../src/db/database.ts';
import { ResultBatcher } from '../../src/db/result-batcher.ts';
import { findResult } from '../../src/db/results.ts';
import type { MonitorResult } from '../../src/monitor/context.ts';
import { toQueueJobId } from '../../src/monitor/queue-job-id.ts';
import { COMPLETION_JOB, COMPLETION_JOB_OPTIONS, COMPLETION_QUEUE } from '../../src/queue/queues.ts';
import { createIsolation, type Isolated } from '../helpers/isolation.ts';
import { TEST_REDIS_URL } from '../helpers/services.ts';
import { waitFor } from '../helpers/wait.ts';
import { startTestWorker } from '../helpers/workers.ts';

let iso: Isolated;

beforeAll(async () => {
  iso = await createIsolation();
});

afterAll(async () => {
  await iso?.cleanup();
});

const result = (monitorId: string, overrides: Partial<MonitorResult> = {}): MonitorResult => ({
  monitorId, jobId: `job-${monitorId}`, outcome: 'completed', jobStatus: 'Completed', polls: 3,
  startedAt: Date.now() - 1_000, finishedAt: Date.now(), detail: { status: 'Completed' }, metadata: null, ...overrides,
});

const ids = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => `${prefix}-${i}`);

/** Rows written by one INSERT share a transaction id (xmin): the number of distinct ones is the number of writes. */
async function transactionsThatWrote(prefix: string): Promise<{ rows: number; transactions: number }> {
  const answer = await iso.database.db.execute<{ rows: number; transactions: number }>(
    sql`select count(*)::int as rows, count(distinct xmin::text)::int as transactions from monitor_results where monitor_id like ${`${prefix}-%`}`,
  );
  return (answer as unknown as { rows: number; transactions: number }[])[0]!;
}

describe('ResultBatcher', () => {
  it('writes many concurrent results with one INSERT per full batch, one row each, each caller told its row is new', async () => {
    const batcher = new ResultBatcher(iso.database.db, { maxBatchSize: 100, maxWaitMs: 5 });
    const answers = await Promise.all(ids('many', 250).map((id) => batcher.persist(result(id))));
    expect(answers).toEqual(Array(250).fill(true));
    // 250 calls made in one go: two full batches, then the last 50 after maxWaitMs.
    expect(await transactionsThatWrote('many')).toEqual({ rows: 250, transactions: 3 });
  });

  it('tells callers whose monitor already has a row that nothing was written, and keeps the first row', async () => {
    const batcher = new ResultBatcher(iso.database.db);
    const again = await Promise.all(ids('many', 40).map((id) => batcher.persist(result(id, { outcome: 'failed', polls: 99 }))));
    expect(again).toEqual(Array(40).fill(false));
    expect(await findResult(iso.database.db, 'many-7')).toMatchObject({ outcome: 'completed', polls: 3 });
  });

  it('tells only the first of two callers with the same monitor in one batch that its row is new', async () => {
    const batcher = new ResultBatcher(iso.database.db);
    const answers = await Promise.all([batcher.persist(result('twice')), batcher.persist(result('twice', { polls: 8 })), batcher.persist(result('once-more'))]);
    expect(answers).toEqual([true, false, true]);
    expect(await findResult(iso.database.db, 'twice')).toMatchObject({ polls: 3 });
  });

  it('rejects every caller of a batch whose write fails, and writes nothing', async () => {
    const closed = openPostgres(iso.databaseUrl, { max: 1 });
    await closed.close();
    const batcher = new ResultBatcher(closed.db, { maxBatchSize: 100 });
    const settled = await Promise.allSettled(ids('lost', 12).map((id) => batcher.persist(result(id))));
    expect(settled.map((s) => s.status)).toEqual(Array(12).fill('rejected'));
    expect(await transactionsThatWrote('lost')).toEqual({ rows: 0, transactions: 0 });
  });

  it('fails only the caller whose record Postgres refuses; the rest of its batch is written', async () => {
    const batcher = new ResultBatcher(iso.database.db);
    const calls = ids('mixed', 10).map((id, i) => batcher.persist(result(id, i === 4 ? { outcome: 'exploded' as never } : {})));
    const settled = await Promise.allSettled(calls);
    expect(settled.map((s) => s.status)).toEqual(ids('mixed', 10).map((_, i) => (i === 4 ? 'rejected' : 'fulfilled')));
    expect((await transactionsThatWrote('mixed')).rows).toBe(9);
    expect(await findResult(iso.database.db, 'mixed-4')).toBeUndefined();
  });

  it('writes every field as given: quotes, backslashes, braces, unicode, nulls, milliseconds', async () => {
    const batcher = new ResultBatcher(iso.database.db);
    const awkward = {
      monitorId: 'odd "id", {x}\\y', jobId: 'job é ✓', jobStatus: null, polls: 7,
      startedAt: Date.parse('2026-03-01T10:00:00.001Z'), finishedAt: Date.parse('2026-03-01T10:04:00.999Z'),
      detail: { text: 'say "hi"\\n {a,b} NULL', list: [1, null, 'x'], nested: { ok: true } }, metadata: { team: 'vidéo', tags: ['a,b', '"c"'] },
    };
    await Promise.all([batcher.persist(result(awkward.monitorId, awkward)), batcher.persist(result('plain-neighbour'))]);
    const row = await findResult(iso.database.db, awkward.monitorId);
    expect(row).toMatchObject({ jobId: 'job é ✓', jobStatus: null, polls: 7, detail: awkward.detail, metadata: awkward.metadata });
    expect(row?.startedAt.toISOString()).toBe('2026-03-01T10:00:00.001Z');
    expect(row?.finishedAt.toISOString()).toBe('2026-03-01T10:04:00.999Z');
  });

  it('drain() writes what waits without waiting for the batch to fill', async () => {
    const batcher = new ResultBatcher(iso.database.db, { maxBatchSize: 1_000, maxWaitMs: 60_000 });
    const pending = batcher.persist(result('drained'));
    await batcher.drain();
    expect(await pending).toBe(true);
  });
});

describe('the completion worker', () => {
  it('persists a burst of completions in batches, one row per monitor, nothing lost', async () => {
    const connection = new Redis(TEST_REDIS_URL, { maxRetriesPerRequest: null });
    const completions = new Queue<MonitorResult>(COMPLETION_QUEUE, { connection, prefix: iso.prefix });
    const worker = await startTestWorker(iso, {}, { roles: { polls: false, completions: true } });
    try {
      await completions.addBulk(ids('burst', 400).map((id) => ({
        name: COMPLETION_JOB, data: result(id), opts: { ...COMPLETION_JOB_OPTIONS, jobId: toQueueJobId(id) },
      })));
      const written = await waitFor(async () => {
        const counts = await transactionsThatWrote('burst');
        return counts.rows === 400 && counts;
      }, { what: '400 rows' });
      expect(written.transactions).toBeLessThan(400);
      // A job is marked completed just after its batch is written: wait for the last of them.
      const counts = await waitFor(async () => {
        const now = await completions.getJobCounts('completed', 'failed');
        return (now.completed ?? 0) + (now.failed ?? 0) === 400 && now;
      }, { what: '400 completion jobs to finish' });
      expect(counts).toEqual({ completed: 400, failed: 0 });
    } finally {
      await worker.close(5_000);
      await completions.close();
      await connection.quit();
    }
  });
});
