import { rmSync } from 'node:fs';
import { sql } from 'drizzle-orm';
import { migrate } from 'drizzle-orm/postgres-js/migrator';
import type { PostgresJsDatabase } from 'drizzle-orm/postgres-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { insertChecks, listChecks } from '../../src/db/checks.ts';
import { migrateHandle } from '../../src/db/migrate.ts';
import { migrationsBefore } from '../helpers/migrations.ts';
import { createIsolation, type Isolated } from '../helpers/isolation.ts';

/** The migration that renamed monitor_checks.source to via. */
const RENAME_TAG = '0004_checks_via';

let iso: Isolated;
let before: string;

beforeAll(async () => {
  iso = await createIsolation({ migrate: false });
  before = migrationsBefore(RENAME_TAG);
});

afterAll(async () => {
  await iso?.cleanup();
  if (before) rmSync(before, { recursive: true, force: true });
});

describe('upgrading a database whose checks say source', () => {
  it('keeps every row, its source now read as via, and writes new rows under via', async () => {
    await migrate(iso.database.db as unknown as PostgresJsDatabase, { migrationsFolder: before });
    await iso.database.db.execute(sql`
      insert into monitor_checks (monitor_id, seq, checked_at, status, result, latency_ms, late_ms, source)
      values ('old', 1, now(), 'Running', 'running', 5, 0, 'poll'), ('old', 2, now(), 'Completed', 'terminal', 0, 0, 'push')`);
    await iso.database.db.execute(sql`
      insert into monitor_checks (monitor_id, seq, checked_at, status, result, latency_ms, late_ms)
      values ('old', 0, now(), 'Queued', 'running', 5, 0)`);

    await migrateHandle(iso.database);

    const rows = await listChecks(iso.database.db, 'old', { afterSeq: -1 });
    expect(rows.map(({ seq, status, via }) => ({ seq, status, via }))).toEqual([
      { seq: 0, status: 'Queued', via: 'poll' },
      { seq: 1, status: 'Running', via: 'poll' },
      { seq: 2, status: 'Completed', via: 'push' },
    ]);
    expect(await insertChecks(iso.database.db, [{
      monitorId: 'new', seq: 1, checkedAt: Date.now(), status: 'Done', result: 'terminal', reason: null, error: null,
      httpStatus: null, latencyMs: 0, lateMs: 0, via: 'push', statusHost: null,
    }])).toBe(1);
    expect((await listChecks(iso.database.db, 'new'))[0]).toMatchObject({ seq: 1, via: 'push' });
  });
});
