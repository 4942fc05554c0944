import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { JobwatchClient } from '../client/jobwatch-client.ts';
import { DEFAULTS, withOverrides, type Config } from '../config/config.ts';
import { openPglite, openPostgres, type DatabaseHandle } from '../db/database.ts';
import { migrateHandle } from '../db/migrate.ts';
import { findResultsByFinish } from '../db/results.ts';
import { startServer } from './start-server.ts';
import { createLogger } from '../logging/logger.ts';
import { assertRedisReady, closeRedis, connectRedis } from '../redis/connection.ts';
import { removeKeysUnder } from '../redis/remove-keys.ts';
import { startWorkerProcess } from './worker-process.ts';
import { startDemoApi } from '../demo/demo-api.ts';
import { parseSourcesText, type Sources } from '../sources/sources-file.ts';

export interface QuickstartOptions {
  /** Demo jobs to start; they take turns at completing, failing, expiring and being canceled. @defaultValue 5 */
  jobs?: number;
  /** Poll interval of the demo monitors. @defaultValue 1000 */
  intervalMs?: number;
  /** Where to print progress. @defaultValue stdout */
  print?: (line: string) => void;
}

/**
 * The whole of jobwatch in one process, for a first look: a demo job service, a worker, and a
 * producer that starts a few jobs and their monitors, printing each final status as it lands: a
 * job that completes, one that fails, a monitor that expires and one the producer cancels. Beside
 * them, one operation: jobwatch sends the demo service's start request itself (a source of a
 * sources file written for the run) and watches what it answers.
 * Without DATABASE_URL, results go to an embedded PGlite database under .jobwatch/.
 */
export async function runQuickstart(baseConfig: Config, options: QuickstartOptions = {}): Promise<void> {
  const print = options.print ?? ((line: string) => process.stdout.write(`${line}\n`));
  // A prefix of this run's own, so that other workers on the same Redis (another demo's among
  // them) never take the demo's jobs, and so that the demo can remove all it made there once done.
  const runConfig = withOverrides(baseConfig, { prefix: `${baseConfig.prefix}-quickstart-${randomBytes(3).toString('hex')}` });
  const quiet = runConfig.logLevel === DEFAULTS.logLevel ? 'warn' : runConfig.logLevel;
  const logger = createLogger({ logLevel: quiet }, { name: 'jobwatch-quickstart' });

  await assertRedisReady(runConfig, { requireNoEviction: true });
  const database = await openDatabase(runConfig);
  print(`results database: ${database.description} (migrations applied)`);
  const api = await startDemoApi({ port: 0, minDurationMs: 2_000, maxDurationMs: 8_000 });
  print(`demo job service: ${api.url}`);
  const config = withOverrides(runConfig, { sources: await demoSources(api.url, baseConfig.sources) });
  print(`sources file: the source ${RENDER_SOURCE} starts renders with POST ${api.url}/renders (convention http-202)`);
  // The server's metrics observe the worker too, since both run in this process.
  const server = await startServer(config, logger, { port: 0, host: '127.0.0.1', database });
  print(`board: ${server.boardUrl} (and ${server.url}/api/monitors, ${server.url}/metrics) while the demo runs`);
  const worker = await startWorkerProcess(config, logger, { database, concurrency: 10, observer: server.metrics.observer, notificationObserver: server.metrics.notifications });
  const client = new JobwatchClient({ config, database });
  try {
    const monitors = await startDemoMonitors(client, api.url, options.jobs ?? 5, options.intervalMs ?? 1_000, print);
    monitors.push(await startDemoOperation(client, options.intervalMs ?? 1_000, print));
    await watchUntilEnded(client, monitors, print);
    await printRows(database, monitors.map((monitor) => monitor.monitorId), print);
  } finally {
    await client.close();
    await worker.close(5_000);
    await server.close();
    await api.close();
    await database.close();
    await removeDemoKeys(config, print);
  }
}

/** Its monitors have ended and their rows are in the results database: Redis keeps nothing of use. */
async function removeDemoKeys(config: Config, print: (line: string) => void): Promise<void> {
  // A Redis gone by now fails the removal instead of holding the demo's exit forever.
  const redis = connectRedis(config, { maxRetriesPerRequest: 1 });
  try {
    await removeKeysUnder(redis, config.prefix);
  } catch (error) {
    print(`could not remove the demo's keys (${config.prefix}:*) from Redis: ${(error as Error).message}`);
  } finally {
    await closeRedis(redis);
  }
}

/** The demo's operation source: the demo service's render endpoint, started by jobwatch, read as http-202. */
const RENDER_SOURCE = 'demo-render';

/**
 * Writes the demo's sources file (the demo service's port is the run's own) in a folder of its
 * own, reads it as JOBWATCH_SOURCES is read, and adds its source to the deployment's, if any.
 */
async function demoSources(apiUrl: string, deployment: Sources | undefined): Promise<Sources> {
  const folder = await mkdtemp(join(tmpdir(), 'jobwatch-quickstart-'));
  try {
    const file = join(folder, 'sources.json');
    await writeFile(file, JSON.stringify({ sources: { [RENDER_SOURCE]: { start: { method: 'POST', url: `${apiUrl}/renders` }, convention: 'http-202' } } }, null, 2));
    const demo = parseSourcesText(await readFile(file, 'utf8'), file);
    return Object.freeze({ byName: Object.freeze({ ...deployment?.byName, ...demo.byName }) });
  } finally {
    await rm(folder, { recursive: true, force: true });
  }
}

/** One operation: jobwatch sends the start request (with its Idempotency-Key) and watches the Location it answers. */
async function startDemoOperation(client: JobwatchClient, intervalMs: number, print: (line: string) => void): Promise<DemoMonitor> {
  const { monitor } = await client.startOperation({
    source: RENDER_SOURCE,
    monitorId: `op-${randomBytes(4).toString('hex')}`,
    request: { body: { scene: 'demo', frames: 240 } },
    interval: intervalMs,
    expireIn: '2m',
    metadata: { source: 'quickstart', operation: true },
  });
  print(`started operation ${monitor.monitorId}: jobwatch sends POST /renders itself and watches what it answers (state ${monitor.state})`);
  return { monitorId: monitor.monitorId, operation: true };
}

async function openDatabase(config: Config): Promise<DatabaseHandle> {
  const database = config.databaseUrl ? openPostgres(config.databaseUrl) : await openPglite(config.pgliteDir);
  try {
    await migrateHandle(database);
    return database;
  } catch (error) {
    await database.close();
    throw error;
  }
}

/**
 * What the demo's jobs do, in turn, so that the demo shows each way a monitor ends: the job
 * completes, the job fails, the job outlives its monitor's expiry, the producer cancels.
 */
interface DemoPlan {
  /** Printed beside the job. */
  what: string;
  /** Asked of the demo job service; without a duration, it draws one (2 to 8 s). */
  job: { outcome: 'Completed' | 'Failed'; durationMs?: number };
  expireIn: string;
  /** The producer cancels the monitor once it has polled this many times. */
  cancelAfterPolls?: number;
}

/** Long enough that these jobs are still running when their monitors end. */
const OUTLIVES_THE_DEMO_MS = 10 * 60_000;

const DEMO_PLANS: readonly DemoPlan[] = [
  { what: 'completes', job: { outcome: 'Completed' }, expireIn: '2m' },
  { what: 'fails after 4 s', job: { outcome: 'Failed', durationMs: 4_000 }, expireIn: '2m' },
  { what: 'runs on; its monitor expires after 7 s', job: { outcome: 'Completed', durationMs: OUTLIVES_THE_DEMO_MS }, expireIn: '7s' },
  { what: 'runs on; the producer cancels its monitor after 3 polls', job: { outcome: 'Completed', durationMs: OUTLIVES_THE_DEMO_MS }, expireIn: '2m', cancelAfterPolls: 3 },
];

interface DemoMonitor {
  monitorId: string;
  cancelAfterPolls?: number;
  /** An operation: jobwatch sent its start request. */
  operation?: boolean;
}

async function startDemoMonitors(
  client: JobwatchClient, apiUrl: string, count: number, intervalMs: number, print: (line: string) => void,
): Promise<DemoMonitor[]> {
  const monitors: DemoMonitor[] = [];
  for (let i = 0; i < count; i++) {
    const plan = DEMO_PLANS[i % DEMO_PLANS.length]!;
    const response = await fetch(`${apiUrl}/jobs`, { method: 'POST', body: JSON.stringify(plan.job) });
    const job = (await response.json()) as { id: string };
    const { monitor } = await client.startMonitor({
      jobId: job.id,
      monitorId: `demo-${job.id.slice(0, 8)}`,
      statusUrl: `${apiUrl}/jobs/{jobId}`,
      interval: intervalMs,
      expireIn: plan.expireIn,
      metadata: { source: 'quickstart', n: i + 1 },
    });
    monitors.push({ monitorId: monitor.monitorId, cancelAfterPolls: plan.cancelAfterPolls });
    print(`started job ${job.id} (${plan.what}), watched by monitor ${monitor.monitorId}`);
  }
  return monitors;
}

/** Prints each final status as it lands, and cancels the monitors the producer means to cancel. */
async function watchUntilEnded(client: JobwatchClient, monitors: DemoMonitor[], print: (line: string) => void): Promise<void> {
  const pending = new Map(monitors.map((monitor) => [monitor.monitorId, monitor]));
  const canceled = new Set<string>();
  const deadline = Date.now() + 150_000;
  while (pending.size > 0 && Date.now() < deadline) {
    for (const monitor of [...pending.values()]) {
      const state = await client.getMonitor(monitor.monitorId);
      if (state?.state === 'ended' && state.persisted) {
        pending.delete(monitor.monitorId);
        if (monitor.operation) {
          const answer = state.operation?.answer;
          const started = answer ? `its start answered ${answer.status}${answer.watching ? `, watching ${answer.watching}` : ''}` : 'its start was never answered';
          print(`operation ${monitor.monitorId} ended: ${state.outcome} (${started}; the service said ${state.jobStatus}) after ${state.polls} polls`);
        } else {
          print(`monitor ${monitor.monitorId} ended: ${state.outcome} (job said ${state.jobStatus}) after ${state.polls} polls`);
        }
      } else if (state && state.state !== 'ended' && state.polls >= (monitor.cancelAfterPolls ?? Infinity) && !canceled.has(monitor.monitorId)) {
        canceled.add(monitor.monitorId);
        await client.cancelMonitor(monitor.monitorId);
        print(`producer canceled monitor ${monitor.monitorId} after ${state.polls} polls`);
      }
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  if (pending.size > 0) throw new Error(`monitors did not end in time: ${[...pending.keys()].join(', ')}`);
}

async function printRows(database: DatabaseHandle, monitorIds: string[], print: (line: string) => void): Promise<void> {
  const rows = await findResultsByFinish(database.db, monitorIds.map((monitorId) => ({ monitorId })));
  print(`\nmonitor_results in ${database.description}:`);
  print(['monitor_id'.padEnd(16), 'outcome'.padEnd(10), 'job_status'.padEnd(11), 'polls'].join(' '));
  for (const row of rows) {
    print([row.monitorId.padEnd(16), row.outcome.padEnd(10), (row.jobStatus ?? '').padEnd(11), String(row.polls)].join(' '));
  }
}
