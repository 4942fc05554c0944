import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JobwatchClient } from '../../src/client/jobwatch-client.ts';
import type { DatabaseHandle } from '../../src/db/database.ts';
import { assertSchemaReady, migrateHandle } from '../../src/db/migrate.ts';
import { findResult, persistResult, persistResults } from '../../src/db/results.ts';
import { createLogger } from '../../src/logging/logger.ts';
import type { MonitorResult } from '../../src/monitor/context.ts';
import { startWorkerProcess } from '../../src/wiring/worker-process.ts';
import { createIsolation, type Isolated } from './isolation.ts';
import { startStatusServer } from './status-server.ts';
import { waitFor } from './wait.ts';

/** A database to run the persistence suite on: a fresh, empty (unmigrated) one each time. */
export type OpenEmptyDatabase = () => Promise<DatabaseHandle>;

const result = (monitorId: string, overrides: Partial<MonitorResult> = {}): MonitorResult => ({
  monitorId, jobId: `job-of-${monitorId}`, outcome: 'completed', jobStatus: 'Completed', polls: 4,
  startedAt: Date.parse('2026-03-01T10:00:00.000Z'), finishedAt: Date.parse('2026-03-01T10:04:00.123Z'),
  detail: { status: 'Completed', output: { url: 's3://b/k', sizes: [1, 2] } }, metadata: { team: 'video' }, ...overrides,
});

/**
 * The same persistence behaviour, run against each database jobwatch supports (Postgres through
 * postgres.js, and the embedded PGlite of the quickstart).
 */
export function describePersistence(name: string, openEmpty: OpenEmptyDatabase): void {
  describe(`persistence on ${name}`, () => {
    let database: DatabaseHandle;
    let iso: Isolated;

    beforeAll(async () => {
      database = await openEmpty();
      iso = await createIsolation({ migrate: false });
    });
    afterAll(async () => {
      await database?.close();
      await iso?.cleanup();
    });

    it('refuses to run on a database without the schema, then migrates (twice, harmlessly)', async () => {
      await expect(assertSchemaReady(database)).rejects.toThrow(/run `jobwatch migrate`/);
      await migrateHandle(database);
      await migrateHandle(database);
      await expect(assertSchemaReady(database)).resolves.toBeUndefined();
    });

    it('writes a final record once: a second write of the same monitor changes nothing', async () => {
      expect(await persistResult(database.db, result('once'))).toBe(true);
      expect(await persistResult(database.db, result('once', { outcome: 'failed', polls: 99 }))).toBe(false);
      const row = await findResult(database.db, 'once');
      expect(row).toMatchObject({ monitorId: 'once', jobId: 'job-of-once', outcome: 'completed', jobStatus: 'Completed', polls: 4, metadata: { team: 'video' } });
      expect(row?.detail).toEqual({ status: 'Completed', output: { url: 's3://b/k', sizes: [1, 2] } });
      expect(row?.startedAt.toISOString()).toBe('2026-03-01T10:00:00.000Z');
      expect(row?.finishedAt.toISOString()).toBe('2026-03-01T10:04:00.123Z');
    });

    it('keeps nulls: no raw status, no metadata, no detail', async () => {
      await persistResult(database.db, result('nulls', { outcome: 'expired', jobStatus: null, metadata: null, detail: null }));
      expect(await findResult(database.db, 'nulls')).toMatchObject({ outcome: 'expired', jobStatus: null, metadata: null, detail: null });
    });

    it('writes many records in one statement, counting only the new ones', async () => {
      const batch = ['b1', 'b2', 'b3', 'once'].map((id) => result(id));
      expect(await persistResults(database.db, batch)).toBe(3);
      expect(await persistResults(database.db, batch)).toBe(0);
    });

    it('rejects an outcome that is not one of the five', async () => {
      await expect(persistResult(database.db, result('bad', { outcome: 'exploded' as never }))).rejects.toThrow();
      expect(await findResult(database.db, 'bad')).toBeUndefined();
    });

    it('receives the result of a monitor run by a worker', async () => {
      const server = await startStatusServer();
      const logger = createLogger({ logLevel: 'silent' }, { pretty: false });
      const config = iso.config();
      const worker = await startWorkerProcess(config, logger, { database });
      const client = new JobwatchClient({ config, database });
      try {
        server.script('via-worker', [{ status: 'Running' }, { status: 'Succeeded' }]);
        await client.startMonitor({ jobId: 'via-worker', statusUrl: server.template, interval: 100, metadata: { db: name } });
        const row = await waitFor(() => findResult(database.db, 'via-worker'), { what: 'row from worker' });
        expect(row).toMatchObject({ outcome: 'completed', jobStatus: 'Succeeded', polls: 2, metadata: { db: name } });
        expect(await client.getMonitor('via-worker')).toMatchObject({ state: 'ended', persisted: true, outcome: 'completed' });
      } finally {
        await client.close();
        await worker.close(5_000);
        await server.close();
      }
    });
  });
}
