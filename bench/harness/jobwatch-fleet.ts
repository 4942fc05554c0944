import { sql } from 'drizzle-orm';
import type { Redis } from 'ioredis';
import { pino } from 'pino';
import { JobwatchClient } from '../../src/client/jobwatch-client.ts';
import { pollJob } from '../../src/client/start-monitors.ts';
import { DEFAULTS, loadConfig, type Config } from '../../src/config/config.ts';
import type { DatabaseHandle } from '../../src/db/database.ts';
import { createLogger, type Logger } from '../../src/logging/logger.ts';
import type { MonitorContext } from '../../src/monitor/context.ts';
import { parseMonitorInput, type MonitorInput } from '../../src/monitor/input.ts';
import type { PollObserver } from '../../src/monitor/poll-observer.ts';
import { openQueues, type MonitorQueues } from '../../src/queue/queues.ts';
import { createRedis } from '../../src/redis/connection.ts';
import { ResultBatcher } from '../../src/db/result-batcher.ts';
import { startWorkers, type WorkerRoles } from '../../src/queue/workers.ts';
import type { StatusProvider } from '../../src/monitor/status-provider.ts';
import type { BenchServices } from './services.ts';

/**
 * jobwatch as a user runs it, on the bench's own prefix and database: a producer client and, per
 * round, real workers. Logs go through jobwatch's own logger at `info` (what production runs),
 * written to /dev/null so that their cost is counted but the table stays readable.
 */
export class JobwatchFleet {
  readonly config: Config;
  readonly client: JobwatchClient;
  readonly logger: Logger;
  /** The fleet's queues, on the producer's connection, for seeding and counting. */
  readonly queues: MonitorQueues;
  private readonly producerConnection: Redis;
  private readonly logFile = pino.destination({ dest: '/dev/null', sync: true });

  constructor(
    private readonly services: BenchServices,
    readonly prefix: string,
    readonly database: DatabaseHandle,
  ) {
    this.config = loadConfig({ REDIS_URL: services.config.redisUrl, JOBWATCH_PREFIX: prefix, LOG_LEVEL: 'info' });
    this.logger = createLogger(this.config, { pretty: false, name: 'jobwatch-bench', destination: this.logFile });
    this.producerConnection = createRedis(this.config.redisUrl);
    this.client = new JobwatchClient({ config: this.config, database, connection: this.producerConnection });
    this.queues = openQueues(this.producerConnection, prefix);
  }

  /** jobwatch's workers, with their own connection, as a worker process starts them. */
  async startWorkers(options: {
    /** The status provider, or one made on the workers' connection (as a worker process gives its request gate). */
    statusProvider: StatusProvider | ((connection: Redis) => StatusProvider);
    observer?: PollObserver; concurrency: number; roles?: WorkerRoles; config?: Config;
  }): Promise<FleetWorkers> {
    const connection = createRedis(this.config.redisUrl);
    const statusProvider = typeof options.statusProvider === 'function' ? options.statusProvider(connection) : options.statusProvider;
    const workers = await startWorkers({
      connection, logger: this.logger, results: new ResultBatcher(this.database.db), ...options, statusProvider, config: options.config ?? this.config,
    });
    return {
      async close() {
        await workers.close(30_000);
        await connection.quit();
      },
    };
  }

  /**
   * Adds monitors whose first polls fall due evenly over `spreadMs` from now, as a fleet in steady
   * state is spread (`startMonitors` makes every new monitor due at once).
   */
  async seedSpread(inputs: readonly MonitorInput[], spreadMs: number): Promise<void> {
    const firstDue = Date.now() + 200;
    for (let start = 0; start < inputs.length; start += 1_000) {
      const now = Date.now();
      const jobs = toContexts(inputs.slice(start, start + 1_000), now).map((validated, offset) => {
        const context = { ...validated, nextCheckAt: firstDue + Math.floor(((start + offset) / inputs.length) * spreadMs) };
        return pollJob(context, Math.max(1, context.nextCheckAt - now));
      });
      await this.queues.pollShards[0]!.addBulk(jobs); // the bench runs one shard
    }
  }

  /** Poll jobs waiting (due) and delayed (between polls). */
  async pollJobCount(): Promise<number> {
    const counts = await this.queues.pollShards[0]!.getJobCounts('waiting', 'delayed');
    return (counts.waiting ?? 0) + (counts.delayed ?? 0);
  }

  /** Back to an empty prefix and table between rounds. */
  async reset(): Promise<void> {
    await this.services.clearPrefix(this.prefix);
    await this.database.db.execute(sql`truncate monitor_results, monitor_checks`);
  }

  async persistedRows(): Promise<number> {
    const rows = (await this.database.db.execute(sql`select count(*)::int as n from monitor_results`)) as unknown as { n: number }[];
    return rows[0]?.n ?? 0;
  }

  async close(): Promise<void> {
    await this.queues.close();
    await this.client.close();
    await this.producerConnection.quit();
    this.logFile.end();
  }
}

export interface FleetWorkers {
  close(): Promise<void>;
}

/** Validated contexts of new monitors, as `parseMonitorInput` builds them, with the default defaults. */
export function toContexts(inputs: readonly MonitorInput[], now = Date.now()): MonitorContext[] {
  const defaults = { intervalMs: DEFAULTS.defaultIntervalMs, expireInMs: DEFAULTS.defaultExpireInMs };
  return inputs.map((input) => parseMonitorInput(input, defaults, now));
}

/** Where the bench's monitors read their status: a status URL, a batch status URL, a source of the sources file with its params, or (none) the hook. */
export interface BenchSource {
  statusUrl?: string | undefined;
  batchStatusUrl?: string | undefined;
  source?: { name: string; params: Record<string, string> } | undefined;
}

/** Inputs of `n` monitors of the bench's shape: ids `${name}-${i}`, a status hook, URL or source, one interval. */
export function monitorInputs(name: string, n: number, shape: BenchSource & { intervalMs: number }): MonitorInput[] {
  return Array.from({ length: n }, (_, i) => ({
    jobId: `${name}-${i}`,
    ...statusFields(shape),
    interval: shape.intervalMs,
    expireIn: '2h',
  }));
}

function statusFields(shape: BenchSource): Partial<MonitorInput> {
  if (shape.source) return { source: shape.source.name, params: shape.source.params };
  if (shape.statusUrl) return { statusUrl: shape.statusUrl };
  return shape.batchStatusUrl ? { batchStatusUrl: shape.batchStatusUrl } : { statusHook: true };
}
