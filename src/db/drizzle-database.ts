import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import type * as schema from './schema.ts';

/** The Drizzle database jobwatch queries: the same type on Postgres (postgres.js) and PGlite. */
export type Database = PgDatabase<PgQueryResultHKT, typeof schema>;
