import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listChecks } from '../../src/db/checks.ts';
import { openPostgres, type DatabaseHandle } from '../../src/db/database.ts';
import { HistoryWriter } from '../../src/db/history-writer.ts';
import type { MonitorContext } from '../../src/monitor/context.ts';
import type { StatusReading } from '../../src/monitor/reading.ts';
import { createIsolation, type Isolated } from '../helpers/isolation.ts';
import { TEST_POSTGRES_URL } from '../helpers/services.ts';
import { startTcpProxy, type TcpProxy } from '../helpers/tcp-proxy.ts';
import { waitFor } from '../helpers/wait.ts';

// The history writer against a real Postgres reached through a proxy that can be cut.

let iso: Isolated;
let proxy: TcpProxy;
let database: DatabaseHandle;

beforeAll(async () => {
  iso = await createIsolation();
  const target = new URL(TEST_POSTGRES_URL);
  proxy = await startTcpProxy(target.hostname, Number(target.port || 5432));
  const throughProxy = new URL(iso.databaseUrl);
  throughProxy.host = `127.0.0.1:${proxy.port}`;
  database = openPostgres(throughProxy.toString(), { max: 2 });
});

afterAll(async () => {
  await database?.close();
  await proxy?.close();
  await iso?.cleanup();
});

function context(monitorId: string, polls: number): MonitorContext {
  return {
    monitorId, jobId: monitorId, status: { kind: 'hook' }, statusField: 'status', intervalMs: 100, expireAt: Date.now() + 60_000,
    startedAt: Date.now(), polls, consecutiveFailures: 0, lastStatus: 'Running', lastError: null, nextCheckAt: Date.now(), metadata: null,
  };
}
const running: StatusReading = { ok: true, status: 'Running', body: {} };

describe('HistoryWriter', () => {
  it('keeps rows while Postgres is unreachable and writes each once when it is back, a repeated check included', async () => {
    const errors: string[] = [];
    const writer = new HistoryWriter(database.db, { defaultMode: 'all', flushEveryMs: 20, onError: ({ error }) => errors.push(error.message) });
    await proxy.cut();
    for (let polls = 0; polls < 50; polls++) writer.checked({ context: context('w-1', polls), reading: running, checkedAt: Date.now(), lateMs: 0, durationMs: 1, ends: false });
    // A poll re-run after a crash reports its check again, with the same number.
    writer.checked({ context: context('w-1', 49), reading: running, checkedAt: Date.now(), lateMs: 0, durationMs: 1, ends: false });
    await waitFor(() => errors.length > 0, { what: 'a failed write reported' });
    expect(writer.pending).toBe(51);

    await proxy.restore();
    await waitFor(() => writer.pending === 0, { what: 'the rows written after the outage', timeoutMs: 15_000 });
    await writer.close();
    const rows = await listChecks(iso.database.db, 'w-1', { limit: 1_000 });
    expect(rows.map((row) => row.seq)).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
  }, 30_000);

  it('drops the oldest rows beyond its bound, and says how many', async () => {
    const dropped: number[] = [];
    const writer = new HistoryWriter(database.db, { defaultMode: 'all', flushEveryMs: 20, maxBuffered: 10, onError: (event) => dropped.push(event.dropped) });
    await proxy.cut();
    for (let polls = 0; polls < 30; polls++) writer.checked({ context: context('w-2', polls), reading: running, checkedAt: Date.now(), lateMs: 0, durationMs: 1, ends: false });
    await waitFor(() => dropped.length > 0, { what: 'a failed write reported' });
    await proxy.restore();
    await waitFor(() => writer.pending === 0, { what: 'what was kept written', timeoutMs: 15_000 });
    await writer.close();
    const rows = await listChecks(iso.database.db, 'w-2', { limit: 1_000 });
    expect(rows.map((row) => row.seq)).toEqual(Array.from({ length: 10 }, (_, i) => i + 21));
    expect(dropped.at(-1)).toBe(20);
  }, 30_000);
});
