import { and, desc, eq, sql, type SQL } from 'drizzle-orm';
import { SCALAR_JSON_TYPES, setFields, type FilterRules, type ListFilter } from '../monitor/list-filter.ts';
import type { Database } from './drizzle-database.ts';
import { DEFAULT_NAMESPACE } from '../monitor/namespace.ts';
import { monitorResults, type MonitorResultRow } from './schema.ts';

/** Which ended monitors a page of the list shows: an outcome, and the list's filter. */
export interface EndedWanted {
  outcome: string | undefined;
  filter: ListFilter | undefined;
}

/** The last monitor of the previous page: its finish time (epoch ms) and key (namespace.ts). */
export interface EndedAfter {
  at: number;
  monitorId: string;
}

/** A row's monitor key, as monitorKey (src/monitor/namespace.ts) makes it: what equal finish times are ordered by. */
const ROW_KEY = sql`(case when ${monitorResults.namespace} = ${DEFAULT_NAMESPACE} then ${monitorResults.monitorId} else ${monitorResults.namespace} || chr(31) || ${monitorResults.monitorId} end)`;

/**
 * Rows of ended monitors for a page of the list: newest finish first, equal times in reverse id
 * order, after the previous page's last monitor.
 */
export async function readEndedPage(db: Database, { outcome, filter }: EndedWanted, after: EndedAfter | undefined, count: number): Promise<MonitorResultRow[]> {
  const conditions: SQL[] = [];
  if (outcome) conditions.push(eq(monitorResults.outcome, outcome));
  conditions.push(...filterConditions(filter));
  if (after) {
    // Keys compared bytewise ("C"), as JavaScript compares them, so pages meet exactly at equal times.
    const at = new Date(after.at).toISOString();
    conditions.push(sql`(${monitorResults.finishedAt} < ${at}::timestamptz or (${monitorResults.finishedAt} = ${at}::timestamptz and ${ROW_KEY} collate "C" < ${after.monitorId}))`);
  }
  return db.select().from(monitorResults).where(and(...conditions))
    .orderBy(desc(monitorResults.finishedAt), sql`${ROW_KEY} collate "C" desc`)
    .limit(count);
}

const SCALAR_TYPES = sql.join(SCALAR_JSON_TYPES.map((type) => sql`${type}`), sql`, `);

/** The filter's rules in SQL, deciding as `matchesFilter` (src/monitor/list-filter.ts) does; the list time of a row is its finish. */
const CONDITIONS: FilterRules<SQL> = {
  namespaces: (namespaces) => sql`${monitorResults.namespace} = any(${sql.param([...namespaces])}::text[])`,
  idPrefix: (prefix) => sql`(starts_with(${monitorResults.monitorId}, ${prefix}) or starts_with(${monitorResults.jobId}, ${prefix}))`,
  metadata: ({ key, value }) => sql`(jsonb_typeof(${monitorResults.metadata} -> ${key}) in (${SCALAR_TYPES}) and ${monitorResults.metadata} ->> ${key} = ${value})`,
  from: (from) => sql`${monitorResults.finishedAt} >= ${new Date(from).toISOString()}::timestamptz`,
  to: (to) => sql`${monitorResults.finishedAt} <= ${new Date(to).toISOString()}::timestamptz`,
};

function filterConditions(filter: ListFilter | undefined): SQL[] {
  return setFields(filter).map(([field, value]) => (CONDITIONS[field] as (value: unknown) => SQL)(value));
}
