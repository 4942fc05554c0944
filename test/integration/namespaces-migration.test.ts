import { rmSync } from 'node:fs';
import { sql } from 'drizzle-orm';
import { migrate } from 'drizzle-orm/postgres-js/migrator';
import type { PostgresJsDatabase } from 'drizzle-orm/postgres-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listChecks } from '../../src/db/checks.ts';
import { migrateHandle } from '../../src/db/migrate.ts';
import { findNotifications } from '../../src/db/notification-outbox.ts';
import { findResult, persistResult } from '../../src/db/results.ts';
import { createIsolation, type Isolated } from '../helpers/isolation.ts';
import { migrationsBefore } from '../helpers/migrations.ts';

let iso: Isolated;
let before: string;

beforeAll(async () => {
  iso = await createIsolation({ migrate: false });
  before = migrationsBefore('0006_namespaces');
});

afterAll(async () => {
  await iso?.cleanup();
  if (before) rmSync(before, { recursive: true, force: true });
});

describe('upgrading a database from before namespaces', () => {
  it('puts every row in the default namespace, where it is found by its id, and lets another namespace use the same id', async () => {
    await migrate(iso.database.db as unknown as PostgresJsDatabase, { migrationsFolder: before });
    await iso.database.db.execute(sql`
      insert into monitor_results (monitor_id, job_id, outcome, polls, started_at, finished_at)
      values ('export-42', 'job-old', 'completed', 3, now(), now())`);
    await iso.database.db.execute(sql`
      insert into monitor_checks (monitor_id, seq, checked_at, status, result, latency_ms, late_ms)
      values ('export-42', 1, now(), 'Done', 'terminal', 5, 0)`);
    await iso.database.db.execute(sql`
      insert into monitor_notifications (monitor_id, channel, target, body, give_up_at)
      values ('export-42', 'webhook', 'http://127.0.0.1:9/hook', '{}', now())`);

    await migrateHandle(iso.database);

    expect(await findResult(iso.database.db, 'export-42')).toMatchObject({ namespace: 'default', jobId: 'job-old' });
    expect(await findResult(iso.database.db, { namespace: 'default', monitorId: 'export-42' })).toMatchObject({ jobId: 'job-old' });
    expect((await listChecks(iso.database.db, 'export-42')).map((check) => check.namespace)).toEqual(['default']);
    expect((await findNotifications(iso.database.db, 'export-42')).map((row) => row.namespace)).toEqual(['default']);

    // The key is (namespace, monitor_id) now: the same id in another namespace is another row.
    const now = Date.now();
    expect(await persistResult(iso.database.db, {
      namespace: 'team-a', monitorId: 'export-42', jobId: 'job-new', outcome: 'failed', jobStatus: 'Failed', polls: 1,
      startedAt: now, finishedAt: now, detail: null, metadata: null,
    })).toBe(true);
    expect(await findResult(iso.database.db, { namespace: 'team-a', monitorId: 'export-42' })).toMatchObject({ jobId: 'job-new' });
    expect(await findResult(iso.database.db, 'export-42')).toMatchObject({ jobId: 'job-old' });
  });
});
