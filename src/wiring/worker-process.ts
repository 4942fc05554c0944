import type { Logger } from 'pino';
import { requireDatabaseUrl, type Config } from '../config/config.ts';
import { openPostgres, type DatabaseHandle } from '../db/database.ts';
import { ResultBatcher } from '../db/result-batcher.ts';
import { HistoryWriter } from '../db/history-writer.ts';
import { withNotificationOutbox } from '../db/notification-outbox.ts';
import type { ClaimedNotification, NotificationObserver } from '../monitor/notification.ts';
import { startNotificationDispatcher, type NotificationDispatcher } from '../notifications/notification-dispatcher.ts';
import { purgeOldRows } from '../db/purge.ts';
import { retentionCutoffs, type Purge } from '../monitor/retention.ts';
import { startPurgeScheduler } from '../queue/purge-scheduler.ts';
import { concurrencyPerShard, layoutOf } from '../queue/shards.ts';
import { assertSchemaReady } from '../db/migrate.ts';
import type { FaultHook } from '../queue/fault-points.ts';
import { combineObservers, type PollObserver } from '../monitor/poll-observer.ts';
import { RedisQuotas } from '../quotas/redis-quotas.ts';
import { quotaReleases } from './quota-releases.ts';
import { assertRedisReady, closeRedis, connectRedis } from '../redis/connection.ts';
import { startWorkers, type WorkerRoles } from '../queue/workers.ts';
import { createStatusProvider } from '../status/create-provider.ts';
import type { RequestGate } from '../monitor/gate/request-gate.ts';
import { RedisRequestGate } from '../gate/redis-gate.ts';
import { GateWatch } from '../gate/gate-watch.ts';
import { OPEN_GATE } from '../monitor/gate/open-gate.ts';
import { withSourceRateLimits } from '../sources/source-rate-limits.ts';
import { describeRateLimits } from '../monitor/gate/rate-limits.ts';
import type { RedisConnection } from '../redis/connection.ts';

export interface WorkerProcessOptions {
  roles?: WorkerRoles;
  concurrency?: number;
  /** Use this database instead of opening DATABASE_URL (the quickstart's embedded PGlite). */
  database?: DatabaseHandle;
  faultHook?: FaultHook;
  observer?: PollObserver;
  notificationObserver?: NotificationObserver;
  /** Admits every status request (rate limits, host-wide holds, circuits); batch requests once per batch. @defaultValue the Redis gate JOBWATCH_RATE_LIMITS, JOBWATCH_HOST_FAILURES and JOBWATCH_HOST_PROBE_EVERY configure */
  gate?: RequestGate;
  /** Where sources' `{ "env": NAME }` credentials are looked up, at each request. @defaultValue process.env */
  env?: Readonly<Record<string, string | undefined>>;
  /** @internal Test-only: called when a notification went out, before it is recorded. */
  afterNotificationSend?(notification: ClaimedNotification): void | Promise<void>;
}

export interface WorkerProcess {
  close(timeoutMs?: number): Promise<boolean>;
}

/**
 * Checks that Redis and Postgres are ready, then runs the poll and completion workers. Fails fast
 * with what to do when something is missing, before any job is taken.
 */
export async function startWorkerProcess(config: Config, logger: Logger, options: WorkerProcessOptions = {}): Promise<WorkerProcess> {
  const roles = options.roles ?? { polls: true, completions: true };
  await assertRedisReady(config, { requireNoEviction: true });
  let database = options.database;
  // Completions need Postgres; a poll-only worker opens it when it has one, for the history.
  const ownsDatabase = !database && (roles.completions || config.databaseUrl !== undefined);
  if (ownsDatabase) database = openPostgres(requireDatabaseUrl(config, 'to persist results'));
  try {
    if (database) await assertSchemaReady(database);
    const connection = connectRedis(config);
    connection.on('error', (error) => logger.warn({ err: error }, 'Redis connection error; reconnecting'));
    // Its slots as the workers will have them: the concurrency spread over shards, rounded up per shard.
    const slots = concurrencyPerShard(options.concurrency ?? config.concurrency, config.shards) * config.shards;
    // Every status request passes the deployment's gate, on the workers' connection; the watch
    // spares the round trip of a request to a key the gate does not act on.
    const watch = options.gate || config.gate === 'off' ? undefined : startGateWatch(config, connection, logger);
    const gate = options.gate ?? (config.gate === 'off' ? OPEN_GATE : createGate(config, connection, logger, watch));
    const statusProvider = await createStatusProvider(config, { gate, concurrency: slots, env: options.env ?? process.env }).catch((error: unknown) => {
      void watch?.close();
      connection.disconnect();
      throw error;
    });
    // Its rows name the status host as the gate keys it, the hook module's own key included.
    const history = database && roles.polls ? createHistoryWriter(config, database, logger, statusProvider.hookRateKey) : undefined;
    // Every process that writes final records also sends the notifications they owe; its
    // completion worker wakes it when a record owes one.
    const dispatcher: NotificationDispatcher | undefined = database && roles.completions
      ? startNotificationDispatcher({
        config, db: database.db, connection, logger, observer: options.notificationObserver, afterSend: options.afterNotificationSend,
      })
      : undefined;
    const workers = await startWorkers({
      config, connection, statusProvider, logger, roles,
      // Completions wait a few milliseconds for others and are written with one INSERT; the
      // notifications they owe go into the outbox right after.
      ...(database ? {
        results: withNotificationOutbox(new ResultBatcher(database.db), database.db, { defaultUrl: config.notifyUrl, notifyForMs: config.notifyForMs }),
      } : {}),
      concurrency: options.concurrency, faultHook: options.faultHook, observer: combineObservers(options.observer, history, dispatcher?.observer, quotaReleases(new RedisQuotas(connection, { prefix: config.prefix }), logger)),
    }).catch(async (error: unknown) => {
      await dispatcher?.close();
      await statusProvider.close();
      void watch?.close();
      connection.disconnect();
      throw error;
    });
    const purgeScheduler = database && roles.completions
      ? await startPurgeScheduler({
        connection, prefix: config.prefix, layout: layoutOf(config.shards, config.redisClusterNodes !== undefined),
        everyMs: config.purgeEveryMs, purge: purgeFromConfig(config, database), logger,
      })
      : undefined;
    logger.info({
      roles, concurrency: options.concurrency ?? config.concurrency, shards: config.shards, prefix: config.prefix,
      rateLimits: describeRateLimits(withSourceRateLimits(config.rateLimits, config.sources)), hostFailures: config.hostFailures, hostProbeEveryMs: config.hostProbeEveryMs,
      // The names only: what a monitor of an unknown-source failure can be checked against.
      sources: Object.keys(config.sources?.byName ?? {}),
    }, 'worker started');
    return {
      async close(timeoutMs) {
        const finished = await workers.close(timeoutMs);
        await dispatcher?.close();
        await purgeScheduler?.close();
        // Polls still in flight ask Redis without it.
        await watch?.close();
        if (finished) {
          await statusProvider.close();
          await closeRedis(connection);
        }
        // Otherwise polls are still in flight on this connection: it is left for the process's
        // exit to cut, since closing it under BullMQ's running worker makes it spin on errors.
        // After the polls: the checks they reported are written before the database closes.
        await history?.close();
        if (ownsDatabase) await database?.close();
        logger.info({ finished }, 'worker stopped');
        return finished;
      },
    };
  } catch (error) {
    if (ownsDatabase) await database?.close();
    throw error;
  }
}

/**
 * The gate of the deployment's status requests: JOBWATCH_RATE_LIMITS, host-wide Retry-After holds
 * and circuits, kept in Redis for all workers. Each change of a key's state is logged once, by the
 * process whose request made it.
 */
function createGate(config: Config, connection: RedisConnection, logger: Logger, watch: GateWatch | undefined): RedisRequestGate {
  return new RedisRequestGate(connection, {
    prefix: config.prefix,
    ...(watch ? { watch } : {}),
    limits: withSourceRateLimits(config.rateLimits, config.sources),
    hostFailures: config.hostFailures,
    probeEveryMs: config.hostProbeEveryMs,
    events: {
      circuitOpened: ({ key, failures, probeEveryMs }) => logger.warn({ key, failures, probeEveryMs }, 'circuit opened: polls of this key wait for a probe'),
      circuitClosed: ({ key }) => logger.info({ key }, 'circuit closed: a probe was answered'),
      retryAfter: ({ key, waitMs }) => logger.info({ key, waitMs, until: new Date(Date.now() + waitMs).toISOString() }, 'host asked to wait (Retry-After): its polls are held'),
      observeFailed: ({ key, error }) => logger.warn({ key, err: error }, 'could not record a status answer for host-wide backoff'),
    },
  });
}

/** This process's copy of which keys the gate acts on; until it is trusted, every request asks Redis. */
function startGateWatch(config: Config, connection: RedisConnection, logger: Logger): GateWatch {
  const warn = (error: unknown) => logger.warn({ err: error }, 'gate changes subscriber failed; every status request asks Redis until it is back');
  const watch = new GateWatch(connection, config.prefix, warn);
  watch.start().catch(warn);
  return watch;
}

/** The history writer of this process's polls; a failed write is logged and tried again. */
function createHistoryWriter(config: Config, database: DatabaseHandle, logger: Logger, hookRateKey: string): HistoryWriter {
  return new HistoryWriter(database.db, {
    defaultMode: config.history,
    hookRateKey,
    onError: ({ error, buffered, dropped }) => logger.warn({ err: error, buffered, dropped }, 'history rows wait for Postgres; will retry'),
  });
}

/** The purge JOBWATCH_RETENTION and JOBWATCH_HISTORY_RETENTION ask for; undefined when both are off. */
function purgeFromConfig(config: Config, database: DatabaseHandle): Purge | undefined {
  if (config.retentionMs === undefined && config.historyRetentionMs === undefined) return undefined;
  return () => purgeOldRows(database.db, retentionCutoffs(Date.now(), config.retentionMs, config.historyRetentionMs)!);
}
