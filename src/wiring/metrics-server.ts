import { Hono } from 'hono';
import type { Logger } from 'pino';
import type { Config } from '../config/config.ts';
import { createMetrics, type Metrics } from '../metrics/metrics.ts';
import { openMonitorQueues } from '../queue/queues.ts';
import { closeRedis, connectRedis } from '../redis/connection.ts';
import { requireAccess, type AuthEnv } from '../http/auth.ts';
import { openKeyStore } from '../keys/key-store.ts';
import { LastUseRecorder } from '../keys/last-use.ts';
import { listen } from '../http/listen.ts';
import { assertBindAllowed } from '../http/loopback.ts';
import { metricsRoutes } from '../http/routes/metrics.ts';
import { openPostgres } from '../db/database.ts';
import { scrapeReaders } from './scrape-readers.ts';

export interface WorkerMetricsServer {
  url: string;
  /** Give `metrics.observer` to the workers of this process. */
  metrics: Metrics;
  close(): Promise<void>;
}

/**
 * `/metrics` alone, for worker processes (`jobwatch worker --metrics-port N`): the same metrics
 * and the same rules as `jobwatch server` (an `admin` key of JOBWATCH_KEYS_FILE, which this
 * process reloads as it changes, or JOBWATCH_API_TOKEN; loopback only with neither).
 */
export async function startWorkerMetricsServer(
  config: Config, logger: Logger, options: { port: number; host: string },
): Promise<WorkerMetricsServer> {
  assertBindAllowed('--metrics-host', options.host, config);
  const keys = config.keysFile === undefined ? undefined : openKeyStore(config.keysFile, { logger });
  const redis = connectRedis(config);
  redis.on('error', (error) => logger.warn({ err: error }, 'Redis connection error (metrics); reconnecting'));
  const queues = openMonitorQueues(redis, config);
  // One connection, opened at the first scrape, for the notification backlog the outbox holds.
  const database = config.databaseUrl === undefined ? undefined : openPostgres(config.databaseUrl, { max: 1 });
  const closeQueues = async () => {
    await closeRedis(redis, () => queues.close());
    await database?.close();
    keys?.close();
  };
  const metrics = createMetrics({ queues, logger, readers: scrapeReaders(config, redis, queues, database) });
  const app = new Hono<AuthEnv>();
  app.use('*', requireAccess({ apiToken: config.apiToken, keys, logger, ...(keys ? { lastUse: new LastUseRecorder(redis, config.prefix, logger) } : {}) }));
  app.route('/', metricsRoutes(metrics));
  app.notFound((c) => c.json({ error: 'only GET /metrics is served here' }, 404));
  try {
    const server = await listen(app, { ...options, portFlag: '--metrics-port' });
    logger.info({ url: `${server.url}/metrics` }, 'metrics listening');
    return {
      url: server.url,
      metrics,
      async close() {
        await server.close();
        await closeQueues();
      },
    };
  } catch (error) {
    await closeQueues();
    throw error;
  }
}
