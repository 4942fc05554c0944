import { count, gte } from 'drizzle-orm';
import { OUTCOMES, type EndCounts, type Outcome } from '../monitor/statuses.ts';
import type { Database } from './drizzle-database.ts';
import { monitorResults } from './schema.ts';

/**
 * Counts the final records that finished at or after `since`, by outcome: one aggregate over the
 * `finished_at` index, so its cost follows the window, not the table.
 */
export async function countEndsSince(db: Database, since: Date): Promise<EndCounts> {
  const rows = await db.select({ outcome: monitorResults.outcome, n: count() }).from(monitorResults)
    .where(gte(monitorResults.finishedAt, since))
    .groupBy(monitorResults.outcome);
  const counts = Object.fromEntries(OUTCOMES.map((outcome) => [outcome, 0])) as EndCounts;
  for (const row of rows) if (Object.hasOwn(counts, row.outcome)) counts[row.outcome as Outcome] = Number(row.n);
  return counts;
}
