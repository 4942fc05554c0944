import type { Logger } from 'pino';
import { withSourceRateLimits } from '../sources/source-rate-limits.ts';
import { JobwatchClient } from '../client/jobwatch-client.ts';
import { requireDatabaseUrl, type Config } from '../config/config.ts';
import { openPostgres, type DatabaseHandle } from '../db/database.ts';
import { assertSchemaReady } from '../db/migrate.ts';
import { createMetrics, type Metrics } from '../metrics/metrics.ts';
import { scrapeReaders } from './scrape-readers.ts';
import { openMonitorQueues } from '../queue/queues.ts';
import { assertRedisReady, closeRedis, connectRedis } from '../redis/connection.ts';
import { listen } from '../http/listen.ts';
import { assertBindAllowed, assertStatusUrlsRestricted } from '../http/loopback.ts';
import { BOARD_PATH, createHttpApp } from '../http/server.ts';
import { UI_PATH } from '../http/ui/layout.ts';
import type { HostStateProvider } from '../monitor/gate/request-gate.ts';
import { RedisHostStates } from '../gate/host-states.ts';
import { openKeyStore } from '../keys/key-store.ts';
import { LastUseRecorder } from '../keys/last-use.ts';

export interface ServerOptions {
  port: number;
  host: string;
  /** Use this database instead of opening DATABASE_URL (the quickstart's embedded PGlite). */
  database?: DatabaseHandle;
  /**
   * The status hosts' rate-limit and circuit state, for the monitors page's host table.
   * @defaultValue read from the gate's keys in Redis, with this config's JOBWATCH_RATE_LIMITS
   */
  hostStates?: HostStateProvider;
  /** Where `/api/sources` looks up sources' `{ "env": NAME }` credentials. @defaultValue process.env */
  env?: Readonly<Record<string, string | undefined>>;
  /** For keys' expiry and last use. @defaultValue Date.now */
  clock?: () => number;
}

export interface RunningServer {
  url: string;
  boardUrl: string;
  /** This process's metrics; give `metrics.observer` to workers in the same process. */
  metrics: Metrics;
  close(): Promise<void>;
}

/**
 * Checks the bind address (beyond loopback: a token, and status URLs restricted), Redis and Postgres, then serves the HTTP API, the monitors page, the board and /metrics.
 * Fails fast, with what to do, before listening.
 */
export async function startServer(config: Config, logger: Logger, options: ServerOptions): Promise<RunningServer> {
  assertBindAllowed('--host', options.host, config);
  assertStatusUrlsRestricted('--host', options.host, config.allowedStatusUrls);
  // Read before anything is opened: a keys file missing or bad at start stops the server with one line naming it.
  const keys = config.keysFile === undefined ? undefined : openKeyStore(config.keysFile, { logger, ...(options.clock ? { clock: options.clock } : {}) });
  try {
    await assertRedisReady(config, { requireNoEviction: false });
  } catch (error) {
    keys?.close();
    throw error;
  }
  const database = options.database ?? openPostgres(requireDatabaseUrl(config, 'for `jobwatch server` (ended monitors are read from it)'), { max: 4 });
  const ownsDatabase = !options.database;
  const redis = connectRedis(config);
  redis.on('error', (error) => logger.warn({ err: error }, 'Redis connection error; reconnecting'));
  const queues = openMonitorQueues(redis, config);
  const client = new JobwatchClient({ config, database, connection: redis });
  const closeServices = async () => {
    await closeRedis(redis, async () => {
      await client.close();
      await queues.close();
    });
    if (ownsDatabase) await database.close();
    keys?.close();
  };
  try {
    await assertSchemaReady(database);
    const metrics = createMetrics({ queues, logger, readers: scrapeReaders(config, redis, queues, database) });
    const app = createHttpApp({
      config, logger, client, queues, redis, database, metrics, env: options.env ?? process.env,
      ...(keys ? { keys, lastUse: new LastUseRecorder(redis, config.prefix, logger, options.clock) } : {}),
      ...(options.clock ? { clock: options.clock } : {}),
      hostStates: options.hostStates ?? new RedisHostStates(redis, {
        prefix: config.prefix, limits: withSourceRateLimits(config.rateLimits, config.sources), hostFailures: config.hostFailures, probeEveryMs: config.hostProbeEveryMs,
      }),
    });
    const server = await listen(app, { port: options.port, host: options.host });
    logger.info({ url: server.url, board: `${server.url}${BOARD_PATH}`, ui: `${server.url}${UI_PATH}`, auth: authDescription(config) }, 'server listening');
    return {
      url: server.url,
      boardUrl: `${server.url}${BOARD_PATH}`,
      metrics,
      async close() {
        await server.close();
        await closeServices();
        logger.info('server stopped');
      },
    };
  } catch (error) {
    await closeServices();
    throw error;
  }
}

/** What the server asks of a caller, for its start line. */
function authDescription(config: Config): string {
  if (config.keysFile !== undefined) return config.apiToken ? 'keys file and token' : 'keys file';
  return config.apiToken ? 'token' : 'none (loopback only)';
}
