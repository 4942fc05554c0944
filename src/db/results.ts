import { and, eq, sql } from 'drizzle-orm';
import type { MonitorResult } from '../monitor/context.ts';
import { keyOf, monitorKey, namespaceOf, splitMonitorKey, refOf, type MonitorName, type MonitorRef } from '../monitor/namespace.ts';
import type { ResultStore } from '../monitor/result-store.ts';
import { isStorableText } from '../json/unicode.ts';
import { storableResult } from './storable.ts';
import { asStoreError } from './postgres-errors.ts';
import { rowsOf } from './rows.ts';
import type { Database } from './drizzle-database.ts';
import { monitorResults, type MonitorResultRow } from './schema.ts';

/**
 * Writes a monitor's final record. Idempotent: the primary key keeps the first write, so a
 * completion handled twice (a retry, a crash after the insert) still leaves exactly one row.
 * Returns false when the row was already there.
 */
export async function persistResult(db: Database, result: MonitorResult): Promise<boolean> {
  return (await persistResults(db, [result])) > 0;
}

/** A ResultStore that writes each record with its own INSERT (the workers batch theirs: ResultBatcher). */
export function singleInsertStore(db: Database): ResultStore {
  return {
    persist: (result) => persistResult(db, result).catch((error: unknown) => {
      throw asStoreError(error, result.monitorId);
    }),
  };
}

/** Writes many final records in one statement; returns how many were new. */
export async function persistResults(db: Database, results: readonly MonitorResult[]): Promise<number> {
  return (await insertNewResults(db, results)).size;
}

/**
 * Writes many final records in one statement; returns the keys (namespace.ts) of the monitors whose rows are new. The
 * rows travel as one array per column (`unnest`), so the statement is the same text for any
 * number of rows (Postgres prepares it once) and no query builder walks every value: with
 * Drizzle's multi-row VALUES builder, building the statement cost more CPU than Postgres spent
 * running it (bench/, measurement 8).
 */
export async function insertNewResults(db: Database, given: readonly MonitorResult[]): Promise<Set<string>> {
  if (given.length === 0) return new Set();
  // Every write goes through here: values Postgres refuses (NUL, lone surrogates) would leave a
  // monitor with no row at all.
  const results = given.map(storableResult);
  // Times and JSON go as text[] and are cast in SQL: drivers serialize text arrays alike, which
  // they do not for every array type.
  const column = (pick: (result: MonitorResult) => unknown) => sql.param(results.map(pick));
  const answer = await db.execute(sql`
    insert into monitor_results (namespace, monitor_id, job_id, outcome, job_status, polls, started_at, finished_at, detail, metadata, source, operation)
    select * from unnest(
      ${column(namespaceOf)}::text[], ${column((r) => r.monitorId)}::text[], ${column((r) => r.jobId)}::text[], ${column((r) => r.outcome)}::text[],
      ${column((r) => r.jobStatus)}::text[], ${column((r) => r.polls)}::int[],
      ${column((r) => new Date(r.startedAt).toISOString())}::text[]::timestamptz[],
      ${column((r) => new Date(r.finishedAt).toISOString())}::text[]::timestamptz[],
      ${column((r) => toJson(r.detail))}::text[]::jsonb[], ${column((r) => toJson(r.metadata))}::text[]::jsonb[],
      ${column((r) => r.source ?? null)}::text[], ${column((r) => toJson(r.operation))}::text[]::jsonb[])
    on conflict (namespace, monitor_id) do nothing
    returning namespace, monitor_id`);
  return new Set(rowsOf<{ namespace: string; monitor_id: string }>(answer).map((row) => monitorKey(row.namespace, row.monitor_id)));
}

/** A JSON column's value: SQL null for a missing value, as the row had before (not JSON `null`). */
export function toJson(value: unknown): string | null {
  return value === undefined || value === null ? null : JSON.stringify(value);
}

export async function findResult(db: Database, name: MonitorName): Promise<MonitorResultRow | undefined> {
  const monitor = refOf(name);
  // No row holds an id Postgres cannot store, and asking for one would be an error, not a miss.
  if (!isStorableText(monitor.monitorId)) return undefined;
  const rows = await db.select().from(monitorResults)
    .where(and(eq(monitorResults.namespace, namespaceOf(monitor)), eq(monitorResults.monitorId, monitor.monitorId))).limit(1);
  return rows[0];
}

/**
 * The job each of these monitors (by key) watched, for those that have a row: a map from key to
 * job id. One query for any number of monitors: arrays keep it one prepared statement whatever its size.
 */
export async function findWatchedJobIds(db: Database, monitorKeys: readonly string[]): Promise<Map<string, string | null>> {
  if (monitorKeys.length === 0) return new Map();
  const refs = monitorKeys.map(splitMonitorKey);
  const rows = await db
    .select({ namespace: monitorResults.namespace, monitorId: monitorResults.monitorId, jobId: monitorResults.jobId })
    .from(monitorResults)
    .where(refsCondition(refs));
  return new Map(rows.map((row) => [keyOf(row), row.jobId]));
}

/** The rows of these monitors, the first finished first. */
export async function findResultsByFinish(db: Database, monitors: readonly MonitorRef[]): Promise<MonitorResultRow[]> {
  if (monitors.length === 0) return [];
  return db.select().from(monitorResults).where(refsCondition(monitors)).orderBy(monitorResults.finishedAt);
}

/** `(namespace, monitor_id)` is one of these pairs. */
function refsCondition(monitors: readonly MonitorRef[]) {
  return sql`(${monitorResults.namespace}, ${monitorResults.monitorId}) in (select * from unnest(
    ${sql.param(monitors.map(namespaceOf))}::text[], ${sql.param(monitors.map((monitor) => monitor.monitorId))}::text[]))`;
}
