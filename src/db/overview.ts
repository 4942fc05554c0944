import { sql } from 'drizzle-orm';
import type { Database } from './drizzle-database.ts';
import { rowsOf } from './rows.ts';
import { andInNamespaces } from './namespace-condition.ts';
import type { NamespaceScope } from '../monitor/namespace.ts';

// The queries are @internal: they take Drizzle's handle, which stays out of the published types
// (see src/index.ts); the overview's shapes below are published, in JobwatchClient.readOverview's answer.
const HOUR_MS = 3_600_000;
/** The overview's windows of ended monitors. */
export const OVERVIEW_WINDOWS = { hour: HOUR_MS, day: 24 * HOUR_MS, week: 7 * 24 * HOUR_MS } as const;
/** The chart of ends: this many hourly buckets, the last one ending now. */
export const END_CHART_HOURS = 24;
/** Status hosts the overview lists, the busiest first. */
export const MAX_OVERVIEW_HOSTS = 50;

/** Ends of one outcome in one hourly bucket; bucket 0 is the oldest. */
export interface EndBucket {
  bucket: number;
  outcome: string;
  count: number;
}

/** Poll lateness and status-call duration over the last hour, from the poll checks history kept. */
export interface CheckTimings {
  checks: number;
  lateP50: number | null;
  lateP99: number | null;
  latencyP50: number | null;
  latencyP99: number | null;
}

/** One status host over the last hour. */
export interface HostHealth {
  /**
   * `source NAME` for the checks read through a configured source, else `host[:port]`, a rateKey,
   * `hook`, or `unknown` for rows written before the column existed.
   */
  host: string;
  /** The rate key the checks' requests went under, whose gate state the overview shows; null for rows written before migration 0003. */
  rateKey: string | null;
  checks: number;
  failed: number;
  /** Mean status-call duration, ms (a percentile per host would sort every host's rows: the costliest part of the page). */
  latencyAvg: number;
}

/**
 * Ends per hour and outcome over the last END_CHART_HOURS hours.
 * @internal
 */
export async function countEndsByHour(db: Database, now: number, namespaces?: NamespaceScope): Promise<EndBucket[]> {
  const from = new Date(now - END_CHART_HOURS * HOUR_MS).toISOString();
  return rowsOf<EndBucket>(await db.execute(sql`
    select least(floor(extract(epoch from (finished_at - ${from}::timestamptz)) * 1000 / ${HOUR_MS})::int, ${END_CHART_HOURS - 1}::int) as bucket,
      outcome, count(*)::int as count
    from monitor_results
    where finished_at >= ${from}::timestamptz and finished_at <= ${new Date(now).toISOString()}::timestamptz${andInNamespaces(namespaces)}
    group by 1, 2 order by 1, 2`));
}

/**
 * p50/p99 of lateness and status-call duration over the last hour's poll checks (pushes made no call).
 * @internal
 */
export async function checkTimings(db: Database, now: number, namespaces?: NamespaceScope): Promise<CheckTimings> {
  // One sort per column for both percentiles (an array of fractions), not one per percentile.
  const [row] = rowsOf<{ checks: number; late: number[] | null; latency: number[] | null }>(await db.execute(sql`
    select count(*)::int as checks,
      percentile_disc(array[0.5, 0.99]) within group (order by late_ms) as late,
      percentile_disc(array[0.5, 0.99]) within group (order by latency_ms) as latency
    from monitor_checks
    where checked_at >= ${new Date(now - HOUR_MS).toISOString()}::timestamptz and via = 'poll'${andInNamespaces(namespaces)}`));
  return {
    checks: row?.checks ?? 0,
    lateP50: row?.late?.[0] ?? null,
    lateP99: row?.late?.[1] ?? null,
    latencyP50: row?.latency?.[0] ?? null,
    latencyP99: row?.latency?.[1] ?? null,
  };
}

/**
 * The last hour's poll checks per status host: how many, how many failed, and the mean duration.
 * A source's checks are named by the source, which users know it by, rather than by its rate key
 * (the source's name unless it or its monitors name another).
 * @internal
 */
export async function hostHealth(db: Database, now: number, namespaces?: NamespaceScope): Promise<HostHealth[]> {
  return rowsOf<HostHealth>(await db.execute(sql`
    select coalesce('source ' || source, status_host, 'unknown') as host, status_host as "rateKey", count(*)::int as checks,
      (count(*) filter (where result = 'failed'))::int as failed,
      round(avg(latency_ms))::int as "latencyAvg"
    from monitor_checks
    where checked_at >= ${new Date(now - HOUR_MS).toISOString()}::timestamptz and via = 'poll'${andInNamespaces(namespaces)}
    group by 1, 2 order by checks desc, host limit ${MAX_OVERVIEW_HOSTS}`));
}
