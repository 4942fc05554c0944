// `jobwatch/drizzle`: the results table for apps that query it with Drizzle ORM. Kept apart from the
// main entry because Drizzle's declarations do not type-check under `skipLibCheck: false`.
export { monitorResults, type MonitorResultRow } from './db/schema.ts';
export type { Database } from './db/drizzle-database.ts';
