import { and, asc, eq, gt, sql } from 'drizzle-orm';
import { isStorableText } from '../json/unicode.ts';
import type { CheckRecord } from '../monitor/history.ts';
import { namespaceOf, refOf, type MonitorName } from '../monitor/namespace.ts';
import type { Database } from './drizzle-database.ts';
import { rowsOf } from './rows.ts';
import { monitorChecks, type MonitorCheckRow } from './schema.ts';

/**
 * Writes history rows in one statement, as one array per column (see insertNewResults); a check
 * already there (same monitor and seq: a re-run poll, a batch written again) is left as it was.
 * Returns how many rows were new.
 */
export async function insertChecks(db: Database, checks: readonly CheckRecord[]): Promise<number> {
  if (checks.length === 0) return 0;
  const column = (pick: (check: CheckRecord) => unknown) => sql.param(checks.map(pick));
  const answer = await db.execute(sql`
    insert into monitor_checks (namespace, monitor_id, seq, checked_at, status, result, reason, error, http_status, latency_ms, late_ms, via, status_host, source)
    select * from unnest(
      ${column(namespaceOf)}::text[], ${column((c) => c.monitorId)}::text[], ${column((c) => c.seq)}::int[],
      ${column((c) => new Date(c.checkedAt).toISOString())}::text[]::timestamptz[],
      ${column((c) => c.status)}::text[], ${column((c) => c.result)}::text[], ${column((c) => c.reason)}::text[],
      ${column((c) => c.error)}::text[], ${column((c) => c.httpStatus)}::int[], ${column((c) => c.latencyMs)}::int[],
      ${column((c) => c.lateMs)}::int[], ${column((c) => c.via)}::text[],
      ${column((c) => c.statusHost ?? null)}::text[], ${column((c) => c.source ?? null)}::text[])
    on conflict (namespace, monitor_id, seq) do nothing
    returning seq`);
  return rowsOf<{ seq: number }>(answer).length;
}

export interface CheckPageQuery {
  /** Checks after this seq (the previous page's `nextCursor`). @defaultValue 0 */
  afterSeq?: number;
  /** @defaultValue 100 */
  limit?: number;
}

/** A monitor's checks in order, one page: `limit` rows after `afterSeq`. */
export async function listChecks(db: Database, name: MonitorName, query: CheckPageQuery = {}): Promise<MonitorCheckRow[]> {
  const monitor = refOf(name);
  // No row holds an id Postgres cannot store (NUL, a lone surrogate), and asking for one would be an error, not a miss.
  if (!isStorableText(monitor.monitorId)) return [];
  return db.select().from(monitorChecks)
    .where(and(eq(monitorChecks.namespace, namespaceOf(monitor)), eq(monitorChecks.monitorId, monitor.monitorId), gt(monitorChecks.seq, query.afterSeq ?? 0)))
    .orderBy(asc(monitorChecks.seq))
    .limit(query.limit ?? 100);
}
