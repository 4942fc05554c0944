import { sql, type SQL } from 'drizzle-orm';
import type { PurgeCutoffs, PurgeReport } from '../monitor/retention.ts';
import type { Database } from './drizzle-database.ts';
import { rowsOf } from './rows.ts';

/** Rows one DELETE removes: small enough that no statement holds its locks for long. */
export const PURGE_BATCH_SIZE = 1_000;

/**
 * Deletes what is older than the cutoffs, a batch at a time: each DELETE takes at most `batchSize`
 * rows (found by the index on the time column) and commits on its own, so a purge of millions of
 * rows never holds long locks or a long transaction. Undelivered notifications are kept whatever
 * their age. A dry run counts instead.
 */
export async function purgeOldRows(db: Database, cutoffs: PurgeCutoffs, options: { dryRun?: boolean; batchSize?: number } = {}): Promise<PurgeReport> {
  const dryRun = options.dryRun ?? false;
  const batchSize = options.batchSize ?? PURGE_BATCH_SIZE;
  const run = (table: string, key: string, where: SQL) => (dryRun ? countRows(db, table, where) : deleteInBatches(db, table, key, where, batchSize));
  const { resultsBefore, checksBefore } = cutoffs;
  return {
    results: resultsBefore ? await run('monitor_results', 'monitor_id', sql`finished_at < ${resultsBefore.toISOString()}::timestamptz`) : 0,
    notifications: resultsBefore
      ? await run('monitor_notifications', 'monitor_id, channel',
        sql`created_at < ${resultsBefore.toISOString()}::timestamptz and (delivered_at is not null or gave_up_at is not null)`)
      : 0,
    checks: checksBefore ? await run('monitor_checks', 'monitor_id, seq', sql`checked_at < ${checksBefore.toISOString()}::timestamptz`) : 0,
    dryRun,
  };
}

async function deleteInBatches(db: Database, table: string, key: string, where: SQL, batchSize: number): Promise<number> {
  let total = 0;
  for (;;) {
    const answer = await db.execute(sql`
      delete from ${sql.identifier(table)} where (${sql.raw(key)}) in (
        select ${sql.raw(key)} from ${sql.identifier(table)} where ${where} limit ${batchSize} for update skip locked)
      returning 1 as gone`);
    const deleted = rowsOf(answer).length;
    total += deleted;
    if (deleted < batchSize) return total;
  }
}

async function countRows(db: Database, table: string, where: SQL): Promise<number> {
  const answer = await db.execute(sql`select count(*)::int as n from ${sql.identifier(table)} where ${where}`);
  return Number(rowsOf<{ n: number }>(answer)[0]?.n ?? 0);
}
