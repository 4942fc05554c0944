import { sql } from 'drizzle-orm';
import { drizzle as drizzlePostgres } from 'drizzle-orm/postgres-js';
import { mkdirSync } from 'node:fs';
import postgres from 'postgres';
import type { Database } from './drizzle-database.ts';
import * as schema from './schema.ts';

/** A Drizzle database and what it takes to close it; the same code runs on Postgres and PGlite. */
export interface DatabaseHandle {
  /** @internal Not in the published types: see src/drizzle.ts. */
  readonly db: Database;
  readonly kind: 'postgres' | 'pglite';
  /** For messages: where the data lives, without credentials. */
  readonly description: string;
  close(): Promise<void>;
}

export interface PostgresOptions {
  /** Pool size. @defaultValue 10 */
  max?: number;
}

export function openPostgres(url: string, options: PostgresOptions = {}): DatabaseHandle {
  const client = postgres(url, { max: options.max ?? 10, onnotice: () => {}, connect_timeout: 10 });
  const target = new URL(url);
  return {
    db: drizzlePostgres(client, { schema }) as unknown as Database,
    kind: 'postgres',
    description: `postgres://${target.host}${target.pathname}`,
    close: () => client.end({ timeout: 5 }),
  };
}

/**
 * An embedded Postgres (PGlite) in a data folder, or in memory when no folder is given. PGlite is
 * loaded here, on first use, not at start-up: it adds about 40 MiB to every process that imports
 * it, which a worker on a real Postgres never needs. The folder and its parents are created when
 * missing: PGlite makes only the last level, and a fresh clone has no `.jobwatch/` yet.
 */
export async function openPglite(dataDir?: string): Promise<DatabaseHandle> {
  const { PGlite } = await import('@electric-sql/pglite');
  const { drizzle: drizzlePglite } = await import('drizzle-orm/pglite');
  if (dataDir) mkdirSync(dataDir, { recursive: true });
  const client = dataDir ? new PGlite(dataDir) : new PGlite();
  await client.waitReady;
  return {
    db: drizzlePglite(client, { schema }) as unknown as Database,
    kind: 'pglite',
    description: dataDir ? `PGlite in ${dataDir}` : 'PGlite in memory',
    close: () => client.close(),
  };
}

/** The cheapest statement: it answers when the database is up (/healthz). */
export async function pingDatabase(database: DatabaseHandle): Promise<void> {
  await database.db.execute(sql`select 1`);
}
