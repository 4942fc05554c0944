import { sql } from 'drizzle-orm';
import { noEnds, OUTCOMES, type EndCounts, type Outcome } from '../monitor/statuses.ts';
import type { Database } from './drizzle-database.ts';
import { rowsOf } from './rows.ts';
import { andInNamespaces } from './namespace-condition.ts';
import type { NamespaceScope } from '../monitor/namespace.ts';

/**
 * Counts the final records by outcome in each window, from its start (`since`) to `until` (or
 * without end): `jobwatch top`'s last hour, the overview's hour, day and week. One pass over the
 * widest window's rows, which the (finished_at, outcome) index answers without reading the table,
 * so its cost follows the window, not the table. Every outcome is present, with zeros.
 */
export async function countEndsByOutcome<Window extends string>(
  db: Database, since: Record<Window, Date>, until?: Date, namespaces?: NamespaceScope,
): Promise<Record<Window, EndCounts>> {
  const windows = Object.entries(since) as [Window, Date][];
  const earliest = new Date(Math.min(...windows.map(([, start]) => start.getTime())));
  const columns = windows.map(([name, start]) =>
    sql`(count(*) filter (where finished_at >= ${start.toISOString()}::timestamptz))::int as ${sql.identifier(name)}`);
  const rows = rowsOf<Record<Window, number> & { outcome: string }>(await db.execute(sql`
    select outcome, ${sql.join(columns, sql`, `)}
    from monitor_results
    where finished_at >= ${earliest.toISOString()}::timestamptz${until ? sql` and finished_at <= ${until.toISOString()}::timestamptz` : sql``}${andInNamespaces(namespaces)}
    group by outcome`));
  const counts = Object.fromEntries(windows.map(([name]) => [name, noEnds()])) as Record<Window, EndCounts>;
  for (const row of rows) {
    if (!(OUTCOMES as readonly string[]).includes(row.outcome)) continue; // a row of an outcome this release does not know
    for (const [name] of windows) counts[name][row.outcome as Outcome] = Number(row[name]);
  }
  return counts;
}
