import { sql } from 'drizzle-orm';
import type { DatabaseHandle } from '../../src/db/database.ts';
import { monitorResults } from '../../src/db/schema.ts';

type Row = typeof monitorResults.$inferSelect;

/** Rows in monitor_results. */
export async function countRows(where: { database: DatabaseHandle }): Promise<number> {
  return (await where.database.db.select({ n: sql<number>`count(*)::int` }).from(monitorResults))[0]!.n;
}

/** Every row of monitor_results, by monitor id. */
export async function rowsById(where: { database: DatabaseHandle }): Promise<Map<string, Row>> {
  const rows = await where.database.db.select().from(monitorResults);
  return new Map(rows.map((row) => [row.monitorId, row]));
}
