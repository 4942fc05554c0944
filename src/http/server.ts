import { Hono, type MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import type { RedisConnection } from '../redis/connection.ts';
import type { Logger } from 'pino';
import { JobwatchClient } from '../client/jobwatch-client.ts';
import type { Config } from '../config/config.ts';
import type { DatabaseHandle } from '../db/database.ts';
import type { Metrics } from '../metrics/metrics.ts';
import type { MonitorQueues } from '../queue/queues.ts';
import { answerWithin } from './answer-within.ts';
import { createStatusUrlPolicy } from './allowed-urls.ts';
import { requireAccess, type AuthEnv } from './auth.ts';
import { createBoard } from './board.ts';
import type { ErrorBody } from './api-schemas.ts';
import { BodyTooLargeError, errorResponse } from './errors-to-http.ts';
import { openApiDocument } from './openapi.ts';
import { healthRoutes } from './routes/health.ts';
import { metricsRoutes } from './routes/metrics.ts';
import { monitorRoutes } from './routes/monitors.ts';
import { callbackRoutes, pushRoutes } from './routes/push.ts';
import { sourceRoutes } from './routes/sources.ts';
import { operationRoutes } from './routes/operations.ts';
import { quotaRoutes } from './routes/quotas.ts';
import { quotaSettings } from '../config/config.ts';
import { RedisQuotas } from '../quotas/redis-quotas.ts';
import type { SecretEnv } from '../status/source-credentials.ts';
import { UI_PATH } from './ui/layout.ts';
import { uiRoutes } from './ui/ui-routes.ts';
import type { HostStateProvider } from '../monitor/gate/request-gate.ts';
import type { KeyStore } from '../keys/key-store.ts';
import type { LastUseRecorder } from '../keys/last-use.ts';

/** Where Bull Board is served. */
export const BOARD_PATH = '/board';
/**
 * Longest an API request may take. The server's Redis connection waits through outages (as the
 * workers' do), so without this a request made while Redis is down would hang until it is back.
 */
export const API_TIMEOUT_MS = 10_000;

export interface HttpAppDeps {
  config: Config;
  logger: Logger;
  client: JobwatchClient;
  /**
   * For the board: queues of the deployment the client works on (same Redis and prefix), opened
   * apart from the client's own, which it keeps private.
   */
  queues: MonitorQueues;
  /** For /healthz. */
  redis: RedisConnection;
  database: DatabaseHandle;
  metrics: Metrics;
  /** @defaultValue API_TIMEOUT_MS */
  apiTimeoutMs?: number;
  /** For the monitors page's host table: each status host's rate-limit and circuit state. Absent: no state column. */
  hostStates?: HostStateProvider;
  /** Each namespace's use of its quotas, for `/api/quotas`. @defaultValue the counts in `redis` under the config's prefix */
  quotas?: RedisQuotas;
  /** Where `/api/sources` looks up sources' `{ "env": NAME }` credentials. @defaultValue none: every such credential is missing */
  env?: SecretEnv;
  /** The keys file (JOBWATCH_KEYS_FILE), reloaded as it changes; absent: no keys, only JOBWATCH_API_TOKEN if set. */
  keys?: KeyStore;
  /** Where each key's last use is written, at most once a minute per key. */
  lastUse?: LastUseRecorder;
  /** For keys' expiry. @defaultValue Date.now */
  clock?: () => number;
}

/**
 * Everything `jobwatch server` serves, as one Hono app: the monitor API, the OpenAPI document,
 * /healthz, /metrics, the monitors page and Bull Board, each behind the authentication it needs.
 */
export function createHttpApp(deps: HttpAppDeps): Hono<AuthEnv> {
  const { config, logger } = deps;
  // Not strict about a trailing slash: the board's pages use /board/ as their base.
  const app = new Hono<AuthEnv>({ strict: false });
  app.use('*', logRequests(logger));
  app.use('*', closeAfterUnreadBody());
  // Who is asking, and whether the route lets them: the table in route-access.ts, for every route.
  app.use('*', requireAccess({ apiToken: config.apiToken, keys: deps.keys, lastUse: deps.lastUse, logger, ...(deps.clock ? { clock: deps.clock } : {}) }));
  const timeoutMs = deps.apiTimeoutMs ?? API_TIMEOUT_MS;
  const within = answerWithin(timeoutMs);
  const limitBody = bodyLimit({
    maxSize: config.maxBodyBytes,
    onError: (c) => errorResponse(c, new BodyTooLargeError(`body: is larger than ${config.maxBodyBytes} bytes (JOBWATCH_MAX_BODY_BYTES)`), logger),
  });
  app.use('/api/*', within, limitBody);
  // Callback URLs carry their own credential (an HMAC token in the path), but the same limits.
  app.use('/callbacks/*', within, limitBody);
  // The monitors page keeps the API's time limit itself, to answer it in HTML.

  app.route('/', healthRoutes({ redis: deps.redis, database: deps.database }));
  app.route('/', metricsRoutes(deps.metrics));
  app.get('/api/openapi.json', (c) => c.json(openApiDocument()));
  const ledger = deps.quotas ?? new RedisQuotas(deps.redis, { prefix: config.prefix });
  const quotas = { ledger, settings: quotaSettings(config) };
  app.route('/api/monitors', monitorRoutes({
    client: deps.client, config, logger, statusUrls: createStatusUrlPolicy(config.allowedStatusUrls), quotas,
  }));
  const push = {
    client: deps.client, logger, callbackSecret: config.callbackSecret, maxBodyBytes: config.maxBodyBytes, quotas, earlyStatusTtlMs: config.earlyStatusTtlMs,
  };
  app.route('/api/monitors', pushRoutes(push));
  app.route('/api/operations', operationRoutes({
    client: deps.client, config, logger, statusUrls: createStatusUrlPolicy(config.allowedStatusUrls), quotas,
  }));
  app.route('/api/sources', sourceRoutes({ config, env: deps.env ?? {} }));
  app.route('/api/quotas', quotaRoutes({ quotas: ledger, settings: quotas.settings }));
  app.route('/callbacks', callbackRoutes(push));
  app.route(UI_PATH, uiRoutes({
    client: deps.client, queues: deps.queues, config, logger, boardPath: BOARD_PATH, timeoutMs, quotas: { quotas: ledger, settings: quotas.settings },
    ...(deps.hostStates ? { hostStates: deps.hostStates } : {}),
  }));
  app.route(BOARD_PATH, createBoard({ queues: deps.queues, basePath: BOARD_PATH, writable: config.boardWrite }));

  app.notFound((c) => c.json({ error: `no route ${c.req.method} ${c.req.path}; see /api/openapi.json` } satisfies ErrorBody, 404));
  app.onError((error, c) => errorResponse(c, error, logger));
  return app;
}

/**
 * An answer given without reading the request's body (a 413, a 401, a 404 for a POST) ends the
 * connection, and says so: the node adapter drains or drops an unread body after the answer, and
 * a keep-alive client that was not told would send its next request into a closing socket
 * ("other side closed", found by the API fuzzer).
 */
function closeAfterUnreadBody(): MiddlewareHandler {
  return async (c, next) => {
    await next();
    if (c.req.raw.body !== null && !c.req.raw.bodyUsed) c.header('Connection', 'close');
  };
}

/** One debug line per request: method, path (no query), status and time; never headers. */
function logRequests(logger: Logger): MiddlewareHandler {
  return async (c, next) => {
    const started = performance.now();
    await next();
    logger.debug({ method: c.req.method, path: c.req.path, status: c.res.status, ms: Math.round(performance.now() - started) }, 'request');
  };
}
