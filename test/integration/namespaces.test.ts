import type { ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JobwatchClient } from '../../src/client/jobwatch-client.ts';
import { findResult } from '../../src/db/results.ts';
import { listChecks } from '../../src/db/checks.ts';
import { createIsolation, type Isolated } from '../helpers/isolation.ts';
import { startStatusServer, type StatusServer } from '../helpers/status-server.ts';
import { waitFor } from '../helpers/wait.ts';
import { exited, spawnWorker, testClient } from '../helpers/workers.ts';

/**
 * A namespace is a boundary: one monitor id in two namespaces is two monitors, with two rows, and
 * a push or a cancel in one never reaches the other. Through the library (which names the
 * namespace itself) and two real `jobwatch worker` processes.
 */
describe('namespaces', () => {
  let iso: Isolated;
  let server: StatusServer;
  let client: JobwatchClient;
  let workers: ChildProcess[] = [];

  beforeAll(async () => {
    iso = await createIsolation();
    server = await startStatusServer();
    workers = [spawnWorker(iso.env()), spawnWorker(iso.env())];
    client = testClient(iso);
  });

  afterAll(async () => {
    await client?.close();
    for (const worker of workers) {
      worker.kill('SIGTERM');
      await exited(worker);
    }
    await server?.close();
    await iso?.cleanup();
  });

  const row = (namespace: string, monitorId: string) =>
    waitFor(() => findResult(iso.database.db, { namespace, monitorId }), { what: `the row of ${namespace}/${monitorId}` });

  it('one monitor id in three namespaces: three monitors, three rows, three histories, no conflict', async () => {
    const namespaces = ['default', 'team-a', 'team-b'];
    for (const namespace of namespaces) {
      server.script(`job-${namespace}`, [{ status: 'Processing' }, { status: 'Completed', body: { from: namespace } }]);
      const { created, monitor } = await client.startMonitor({
        namespace, monitorId: 'export-42', jobId: `job-${namespace}`, statusUrl: server.template, interval: 100,
      });
      expect(created, namespace).toBe(true);
      expect(monitor.namespace).toBe(namespace);
    }
    for (const namespace of namespaces) {
      const result = await row(namespace, 'export-42');
      expect(result.jobId).toBe(`job-${namespace}`);
      expect(result.namespace).toBe(namespace);
      expect(result.outcome).toBe('completed');
      const state = await client.getMonitor({ namespace, monitorId: 'export-42' });
      expect(state).toMatchObject({ namespace, monitorId: 'export-42', jobId: `job-${namespace}`, state: 'ended' });
      // History is written in batches off the poll's path: it may land after the record.
      const checks = await waitFor(async () => {
        const rows = await listChecks(iso.database.db, { namespace, monitorId: 'export-42' });
        return rows.length >= 2 ? rows : undefined;
      }, { what: `the history of ${namespace}/export-42` });
      expect(checks.map((check) => check.namespace), namespace).toEqual(checks.map(() => namespace));
    }
    // Starting it again in one namespace finds that namespace's monitor, not another's.
    const again = await client.startMonitor({ namespace: 'team-a', monitorId: 'export-42', jobId: 'job-team-a', statusUrl: server.template });
    expect(again).toMatchObject({ created: false, monitor: { namespace: 'team-a', jobId: 'job-team-a' } });
    await expect(client.startMonitor({ namespace: 'team-b', monitorId: 'export-42', jobId: 'job-team-a', statusUrl: server.template }))
      .rejects.toThrow(/export-42 already exists for job job-team-b/);
  });

  it("an early push in one namespace is kept for that namespace's monitor only", async () => {
    const pushed = await client.reportStatus({ namespace: 'team-b', monitorId: 'early-1' }, { status: 'Failed', body: { by: 'b' } });
    expect(pushed).toMatchObject({ namespace: 'team-b', state: 'not-started' });
    server.script('job-early-a', [{ status: 'Processing' }, { status: 'Completed' }]);
    await client.startMonitor({ namespace: 'team-a', monitorId: 'early-1', jobId: 'job-early-a', statusUrl: server.template, interval: 100 });
    const a = await row('team-a', 'early-1');
    expect(a.outcome).toBe('completed'); // polled to its own end: team-b's push did not end it
    expect(server.calls('job-early-a')).toBeGreaterThanOrEqual(2);

    server.script('job-early-b', [{ status: 'Processing' }]);
    await client.startMonitor({ namespace: 'team-b', monitorId: 'early-1', jobId: 'job-early-b', statusUrl: server.template, interval: 100 });
    const b = await row('team-b', 'early-1');
    expect(b.outcome).toBe('failed'); // its first poll took the push kept for it
    expect(server.calls('job-early-b')).toBe(0);
  });

  it("a cancel in one namespace ends that namespace's monitor only", async () => {
    for (const namespace of ['team-a', 'team-b']) {
      server.script(`job-cancel-${namespace}`, [{ status: 'Processing' }]);
      await client.startMonitor({ namespace, monitorId: 'cancel-1', jobId: `job-cancel-${namespace}`, statusUrl: server.template, interval: 100 });
    }
    await waitFor(() => server.calls('job-cancel-team-a') >= 1 && server.calls('job-cancel-team-b') >= 1, { what: 'both polled' });
    const canceled = await client.cancelMonitor({ namespace: 'team-b', monitorId: 'cancel-1' });
    expect(canceled).toMatchObject({ namespace: 'team-b', state: 'ended', outcome: 'canceled' });
    const before = server.calls('job-cancel-team-a');
    await waitFor(() => server.calls('job-cancel-team-a') >= before + 2, { what: "team-a's monitor polled on after team-b's cancel" });
    expect(await client.getMonitor({ namespace: 'team-a', monitorId: 'cancel-1' })).toMatchObject({ state: expect.stringMatching(/scheduled|polling/) });
    await client.cancelMonitor({ namespace: 'team-a', monitorId: 'cancel-1' });
  });

  it("lists and counts only the namespaces asked for", async () => {
    const teamA = await client.listMonitors({ limit: 1000 }, ['team-a']);
    expect(teamA.monitors.length).toBeGreaterThan(0);
    expect(new Set(teamA.monitors.map((monitor) => monitor.namespace))).toEqual(new Set(['team-a']));
    const named = await client.listMonitors({ namespace: 'team-b', limit: 1000 });
    expect(new Set(named.monitors.map((monitor) => monitor.namespace))).toEqual(new Set(['team-b']));
    // Asking for a namespace outside the scope finds nothing, rather than the other namespace's monitors.
    expect((await client.listMonitors({ namespace: 'team-b' }, ['team-a'])).monitors).toEqual([]);
    const overview = await client.readOverview(['team-b']);
    const ended = overview.outcomes.reduce((total, counts) => total + counts.hour, 0);
    expect(ended).toBe(named.monitors.filter((monitor) => monitor.state === 'ended').length);
  });
});
