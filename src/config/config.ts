import { z } from 'zod';
import { ConfigError } from '../errors/errors.ts';
import { DEFAULT_RUNNING_STATUSES } from '../monitor/statuses.ts';
import { MAX_EXPIRE_IN_MS, MAX_INTERVAL_MS, MIN_INTERVAL_MS } from '../monitor/limits.ts';
import { formatDuration, parseDuration } from '../time/durations.ts';
import type { MonitorDefaults } from '../monitor/input.ts';
import { HISTORY_MODES, type HistoryMode } from '../monitor/history.ts';
import { NO_RATE_LIMITS, parseRateLimits, type RateLimits } from '../monitor/rate-limits.ts';

/**
 * jobwatch's whole configuration, read from the environment once at start-up and passed down.
 * Nothing below the entry points reads `process.env`.
 */
export interface Config {
  /** `REDIS_URL`. @defaultValue `redis://127.0.0.1:6379` */
  readonly redisUrl: string;
  /** `DATABASE_URL`: where results are persisted. Unset, the quickstart uses an embedded PGlite. */
  readonly databaseUrl: string | undefined;
  /** `JOBWATCH_PREFIX`: BullMQ key prefix, so several deployments can share one Redis. @defaultValue `jobwatch` */
  readonly prefix: string;
  /** `JOBWATCH_DEFAULT_INTERVAL`: time between polls when a monitor names none. @defaultValue 60s */
  readonly defaultIntervalMs: number;
  /** `JOBWATCH_DEFAULT_EXPIRE_IN`: monitor lifetime when a monitor names none. @defaultValue 24h */
  readonly defaultExpireInMs: number;
  /** `JOBWATCH_STATUS_TIMEOUT`: longest a status call may take. @defaultValue 10s */
  readonly statusTimeoutMs: number;
  /** `JOBWATCH_RUNNING_STATUSES`: comma-separated statuses that mean "poll again". @defaultValue Processing, Running, Pending, Queued, InProgress, NotStarted, ... */
  readonly runningStatuses: readonly string[];
  /** `JOBWATCH_MAX_STATUS_FAILURES`: failed status checks in a row that end a monitor as errored. @defaultValue 10 */
  readonly maxStatusFailures: number;
  /** `JOBWATCH_RETRY_BASE`: first retry delay after a failed check (capped by the interval). @defaultValue 1s */
  readonly retryBaseMs: number;
  /** `JOBWATCH_RETRY_MAX`: longest retry delay after failed checks. @defaultValue 5m */
  readonly retryMaxMs: number;
  /** `JOBWATCH_NOT_FOUND_ENDS`: whether a 404 ends the monitor at once as errored. @defaultValue true */
  readonly notFoundEndsMonitor: boolean;
  /** `JOBWATCH_STATUS_HOOK`: path of a module exporting `getJobStatus(jobId, context)`. */
  readonly statusHookPath: string | undefined;
  /** `JOBWATCH_CONCURRENCY`: polls one worker process runs at once. @defaultValue 50 */
  readonly concurrency: number;
  /** `JOBWATCH_SHUTDOWN_TIMEOUT`: how long SIGTERM waits for in-flight polls. @defaultValue 30s */
  readonly shutdownTimeoutMs: number;
  /** `JOBWATCH_MIN_INTERVAL`: shortest interval a monitor may ask for. @defaultValue 100ms */
  readonly minIntervalMs: number;
  /**
   * `JOBWATCH_LOCK_DURATION`: how long a poll's lock lasts without renewal (workers renew it every
   * half of it). A crashed worker's polls are taken over within about twice this. @defaultValue 30s
   */
  readonly lockDurationMs: number;
  /**
   * `JOBWATCH_SHARDS`: poll queues monitors are spread over, by a stable hash of their id. More than
   * one spreads polls over the nodes of a Redis Cluster. Fixed for the life of a deployment's
   * monitors: workers refuse a value that differs from the one running monitors were started with.
   * @defaultValue 1
   */
  readonly shards: number;
  /** `REDIS_CLUSTER_NODES`: `host:port,...` of a Redis Cluster to use instead of REDIS_URL. */
  readonly redisClusterNodes: readonly { host: string; port: number }[] | undefined;
  /** `JOBWATCH_PGLITE_DIR`: data folder of the embedded Postgres used when DATABASE_URL is unset. @defaultValue `.jobwatch/pglite` */
  readonly pgliteDir: string;
  /**
   * `JOBWATCH_API_TOKEN`: the HTTP API's bearer token, and the board's basic-auth password. Unset,
   * `jobwatch server` serves loopback only. At least 16 visible characters; never logged.
   */
  readonly apiToken: string | undefined;
  /**
   * `JOBWATCH_ALLOWED_STATUS_URLS`: comma-separated URL prefixes the HTTP API accepts status URLs
   * under. @defaultValue unset: loopback URLs only (the API must not be an open proxy)
   */
  readonly allowedStatusUrls: readonly string[] | undefined;
  /** `JOBWATCH_BOARD_WRITE`: whether Bull Board may retry, promote, clean or remove jobs, and the monitors page (/ui) cancel monitors. @defaultValue false */
  readonly boardWrite: boolean;
  /** `JOBWATCH_MAX_BODY_BYTES`: largest HTTP request body; larger ones get 413. @defaultValue 65536 */
  readonly maxBodyBytes: number;
  /**
   * `JOBWATCH_BULLMQ_PATH`: how a poll re-schedules its job and how monitors are looked up. `fast`:
   * one Redis script per re-schedule (BullMQ's own moveToDelayed, with the context and a cancel
   * check), used only with the BullMQ release it was written for; with another one jobwatch logs one
   * line and uses `public`. `public`: BullMQ's documented API only (updateData and an EXISTS sent
   * together, then moveToDelayed: one round trip more). @defaultValue `fast`
   */
  readonly bullmqPath: BullmqPath;
  /**
   * `JOBWATCH_EARLY_STATUS_TTL`: how long a status pushed for a monitor that has not started yet is
   * kept for it; a terminal one ends the monitor at its first poll, without a status call. @defaultValue 1h
   */
  readonly earlyStatusTtlMs: number;
  /**
   * `JOBWATCH_CALLBACK_SECRET`: the HMAC key of callback URLs (`/callbacks/{monitorId}/{token}`),
   * which take a pushed status without the API token. At least 16 visible characters; never logged.
   * @defaultValue unset: no callback URLs
   */
  readonly callbackSecret: string | undefined;
  /** `JOBWATCH_PUBLIC_URL`: the server's address as jobs reach it, the base of callback URLs. @defaultValue `http://127.0.0.1:3000` */
  readonly publicUrl: string;
  /**
   * `JOBWATCH_HISTORY`: which status checks monitors keep in `monitor_checks` (a monitor's `history`
   * overrides it). `off`, `changes` (the first check, each change of status, each failed check and
   * the last check) or `all`. @defaultValue `changes`
   */
  readonly history: HistoryMode;
  /** `JOBWATCH_NOTIFY_URL`: where every monitor's end is POSTed, signed, unless the monitor names its own `notifyUrl`. */
  readonly notifyUrl: string | undefined;
  /**
   * `JOBWATCH_NOTIFY_SECRET`: the key notifications are signed with (HMAC-SHA256, Standard
   * Webhooks): `whsec_` and base64, or any text of at least 16 characters. Required when any
   * notification URL is used; never logged.
   */
  readonly notifySecret: string | undefined;
  /** `JOBWATCH_NOTIFY_FOR`: how long a notification that is not accepted is retried. @defaultValue 24h */
  readonly notifyForMs: number;
  /** `JOBWATCH_NOTIFY_RETRY_BASE`: first retry delay of a notification, doubling up to 1h. @defaultValue 5s */
  readonly notifyRetryBaseMs: number;
  /**
   * `JOBWATCH_NOTIFY_TIMEOUT`: longest a notification POST may take. An attempt holds its
   * notification for this plus 2 s; a worker that dies mid-attempt leaves it to be sent again
   * (same webhook-id) after that. @defaultValue 10s
   */
  readonly notifyTimeoutMs: number;
  /** `JOBWATCH_NOTIFY_QUEUE_PREFIX`: BullMQ prefix of the queues monitors name in `notifyQueue`. @defaultValue `bull` (BullMQ's own default) */
  readonly notifyQueuePrefix: string;
  /** `JOBWATCH_RETENTION`: final records (and done notifications) older than this are purged. @defaultValue off (kept for ever) */
  readonly retentionMs: number | undefined;
  /** `JOBWATCH_HISTORY_RETENTION`: history rows older than this are purged. @defaultValue off (kept for ever) */
  readonly historyRetentionMs: number | undefined;
  /**
   * `JOBWATCH_PURGE_EVERY`: how often the purge runs when a retention is set, from one BullMQ job
   * scheduler per deployment (one run at a time, however many workers). @defaultValue 1h
   */
  readonly purgeEveryMs: number;
  /**
   * `JOBWATCH_BATCH_MAX`: most job ids in one batch status request (`batchStatusUrl`, or a status
   * hook's `getJobStatuses`); a batch that reaches it is sent at once. @defaultValue 100
   */
  readonly batchMaxIds: number;
  /**
   * `JOBWATCH_BATCH_WINDOW`: longest a batch status check waits in its worker process for others
   * due on the same source before the batch is sent. @defaultValue 20ms
   */
  readonly batchWindowMs: number;
  /**
   * `JOBWATCH_RATE_LIMITS`: requests per second (`/s`), minute (`/m`) or hour (`/h`) per rate key,
   * shared by every worker process, e.g. `jobs.internal=50/s,api.vendor.com:443=5/s,*=200/s` (`*`:
   * each key not listed). A monitor's key is its `rateKey`, else its status URL's `host[:port]`.
   * @defaultValue unset: no rate limits (Retry-After holds and circuits still apply)
   */
  readonly rateLimits: RateLimits;
  /**
   * `JOBWATCH_HOST_FAILURES`: failed status requests in a row to one rate key, across its monitors
   * (connection refused, timeouts, 5xx), that open its circuit; `0`: no circuits. @defaultValue 20
   */
  readonly hostFailures: number;
  /** `JOBWATCH_HOST_PROBE_EVERY`: while a key's circuit is open, one request is let through this often to test it. @defaultValue 30s */
  readonly hostProbeEveryMs: number;
  /** `LOG_LEVEL`: pino level. @defaultValue `info` */
  readonly logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
}

export const DEFAULTS = {
  redisUrl: 'redis://127.0.0.1:6379',
  prefix: 'jobwatch',
  defaultIntervalMs: 60_000,
  defaultExpireInMs: 24 * 3_600_000,
  statusTimeoutMs: 10_000,
  maxStatusFailures: 10,
  retryBaseMs: 1_000,
  retryMaxMs: 5 * 60_000,
  concurrency: 50,
  shutdownTimeoutMs: 30_000,
  pgliteDir: '.jobwatch/pglite',
  logLevel: 'info',
  minIntervalMs: MIN_INTERVAL_MS,
  shards: 1,
  lockDurationMs: 30_000,
  boardWrite: false,
  maxBodyBytes: 64 * 1024,
  bullmqPath: 'fast',
  earlyStatusTtlMs: 3_600_000,
  publicUrl: 'http://127.0.0.1:3000',
  history: 'changes',
  notifyForMs: 24 * 3_600_000,
  notifyRetryBaseMs: 5_000,
  notifyQueuePrefix: 'bull',
  notifyTimeoutMs: 10_000,
  purgeEveryMs: 3_600_000,
  batchMaxIds: 100,
  batchWindowMs: 20,
  hostFailures: 20,
  hostProbeEveryMs: 30_000,
} as const;

/** Most job ids one batch status request may carry (`JOBWATCH_BATCH_MAX`). */
export const MAX_BATCH_IDS = 10_000;

/** Longest batch window (`JOBWATCH_BATCH_WINDOW`): a poll waits this long before its request leaves. */
export const MAX_BATCH_WINDOW_MS = 10_000;

/** Shortest API token accepted: shorter ones can be guessed. */
export const MIN_API_TOKEN_LENGTH = 16;

/** How workers re-schedule a poll and read jobs: see `bullmqPath` above and queue/bullmq-seam.ts. */
export type BullmqPath = 'fast' | 'public';

/** Most poll queues one deployment may use (`JOBWATCH_SHARDS`). Each is a BullMQ worker (and a blocking connection) per process. */
export const MAX_SHARDS = 64;

/** Most polls one worker process may have in flight (`JOBWATCH_CONCURRENCY`, `--concurrency`). */
export const MAX_CONCURRENCY = 10_000;

const duration = (min: number, max: number) =>
  z.string().transform((text, ctx) => {
    const ms = parseDuration(text);
    if (ms === undefined) {
      ctx.addIssue({ code: 'custom', message: `"${text}" is not a duration; use e.g. 500ms, 30s, 1m, 2h` });
      return z.NEVER;
    }
    if (ms < min || ms > max) {
      ctx.addIssue({ code: 'custom', message: `${text} is out of range; use ${formatDuration(min)} to ${formatDuration(max)}` });
      return z.NEVER;
    }
    return ms;
  });

const integer = (min: number, max: number) =>
  z.string().regex(/^\d+$/, { error: 'must be a whole number' }).transform(Number).pipe(
    z.number().min(min, { error: `must be at least ${min}` }).max(max, { error: `must be at most ${max}` }),
  );

const boolean = z.enum(['true', 'false', '1', '0', 'yes', 'no'], { error: 'must be true or false' })
  .transform((value) => value === 'true' || value === '1' || value === 'yes');

// Messages never echo the value: it is a secret.
const apiToken = z.string()
  .min(MIN_API_TOKEN_LENGTH, { error: `must be at least ${MIN_API_TOKEN_LENGTH} characters; generate one with \`openssl rand -hex 32\`` })
  .regex(/^[\x21-\x7e]+$/, { error: 'must be visible ASCII characters without spaces, e.g. from `openssl rand -hex 32`' });

const urlPrefixes = z.string().transform((text) => text.split(',').map((s) => s.trim()).filter(Boolean))
  .refine((list) => list.length > 0, { error: 'must list at least one URL prefix, e.g. https://jobs.internal/' })
  .refine((list) => list.every(isHttpPrefix), { error: 'each entry must be an http:// or https:// URL, e.g. https://jobs.internal/api/' });

const redisUrl = z.string().refine((value) => /^rediss?:\/\//.test(value) && canParseUrl(value), {
  error: 'must be a redis:// or rediss:// URL, e.g. redis://127.0.0.1:6379',
});
const databaseUrl = z.string().refine((value) => /^postgres(ql)?:\/\//.test(value) && canParseUrl(value), {
  error: 'must be a postgres:// URL, e.g. postgres://postgres@127.0.0.1:5432/jobwatch',
});

/** A retention: `off`, or a duration of at least a minute. */
const retention = z.union([z.literal('off').transform(() => undefined), duration(60_000, 100 * 365 * 24 * 3_600_000)], {
  error: 'must be off or a duration of at least 1m, such as 30d',
});

const envSchema = z.object({
  REDIS_URL: redisUrl.default(DEFAULTS.redisUrl),
  DATABASE_URL: databaseUrl.optional(),
  JOBWATCH_PREFIX: z.string().regex(/^[A-Za-z0-9_.{}-]{1,64}$/, {
    error: 'must be 1-64 letters, digits, or _ . - { } (no colons or spaces)',
  }).default(DEFAULTS.prefix),
  JOBWATCH_DEFAULT_INTERVAL: duration(MIN_INTERVAL_MS, MAX_INTERVAL_MS).optional(),
  JOBWATCH_DEFAULT_EXPIRE_IN: duration(1_000, MAX_EXPIRE_IN_MS).optional(),
  JOBWATCH_STATUS_TIMEOUT: duration(10, 600_000).optional(),
  JOBWATCH_RUNNING_STATUSES: z.string().transform((text) => text.split(',').map((s) => s.trim()).filter(Boolean))
    .refine((list) => list.length > 0, { error: 'must list at least one status, e.g. Processing,Running' }).optional(),
  JOBWATCH_MAX_STATUS_FAILURES: integer(1, 1_000).optional(),
  JOBWATCH_RETRY_BASE: duration(10, 3_600_000).optional(),
  JOBWATCH_RETRY_MAX: duration(10, 24 * 3_600_000).optional(),
  JOBWATCH_NOT_FOUND_ENDS: boolean.optional(),
  JOBWATCH_STATUS_HOOK: z.string().min(1).optional(),
  JOBWATCH_CONCURRENCY: integer(1, MAX_CONCURRENCY).optional(),
  JOBWATCH_SHUTDOWN_TIMEOUT: duration(0, 3_600_000).optional(),
  JOBWATCH_PGLITE_DIR: z.string().min(1).optional(),
  JOBWATCH_MIN_INTERVAL: duration(1, 3_600_000).optional(),
  JOBWATCH_SHARDS: integer(1, MAX_SHARDS).optional(),
  REDIS_CLUSTER_NODES: z.string().transform((text, ctx) => {
    const nodes = text.split(',').map((s) => s.trim()).filter(Boolean).map((entry) => {
      const match = /^([^:\s]+):(\d{1,5})$/.exec(entry);
      return match ? { host: match[1]!, port: Number(match[2]) } : undefined;
    });
    if (nodes.length === 0 || nodes.some((node) => !node || node.port < 1 || node.port > 65_535)) {
      ctx.addIssue({ code: 'custom', message: 'must be host:port pairs separated by commas, e.g. 10.0.0.1:7000,10.0.0.2:7000' });
      return z.NEVER;
    }
    return nodes as { host: string; port: number }[];
  }).optional(),
  JOBWATCH_LOCK_DURATION: duration(1_000, 600_000).optional(),
  JOBWATCH_API_TOKEN: apiToken.optional(),
  JOBWATCH_ALLOWED_STATUS_URLS: urlPrefixes.optional(),
  JOBWATCH_BOARD_WRITE: boolean.optional(),
  JOBWATCH_MAX_BODY_BYTES: integer(1_024, 16 * 1024 * 1024).optional(),
  JOBWATCH_BULLMQ_PATH: z.enum(['fast', 'public'], { error: 'must be fast or public' }).optional(),
  JOBWATCH_EARLY_STATUS_TTL: duration(1_000, 7 * 24 * 3_600_000).optional(),
  JOBWATCH_CALLBACK_SECRET: apiToken.optional(),
  JOBWATCH_PUBLIC_URL: z.string().refine((value) => /^https?:\/\//.test(value) && canParseUrl(value) && !value.includes('?'), {
    error: 'must be an http:// or https:// URL without a query, e.g. https://jobwatch.example.com',
  }).transform((value) => value.replace(/\/+$/, '')).optional(),
  JOBWATCH_HISTORY: z.enum(HISTORY_MODES, { error: `must be one of ${HISTORY_MODES.join(', ')}` }).optional(),
  JOBWATCH_NOTIFY_URL: z.string().refine((value) => /^https?:\/\//.test(value) && canParseUrl(value), {
    error: 'must be an http:// or https:// URL, e.g. https://orders.internal/hooks/jobwatch',
  }).optional(),
  JOBWATCH_NOTIFY_SECRET: z.string().min(MIN_API_TOKEN_LENGTH, { error: `must be at least ${MIN_API_TOKEN_LENGTH} characters, or whsec_ and base64` }).optional(),
  JOBWATCH_NOTIFY_FOR: duration(1_000, 30 * 24 * 3_600_000).optional(),
  JOBWATCH_NOTIFY_RETRY_BASE: duration(10, 3_600_000).optional(),
  JOBWATCH_NOTIFY_TIMEOUT: duration(10, 600_000).optional(),
  JOBWATCH_NOTIFY_QUEUE_PREFIX: z.string().regex(/^[A-Za-z0-9_.{}-]{1,64}$/, { error: 'must be 1-64 letters, digits, or _ . - { }' }).optional(),
  JOBWATCH_RETENTION: retention.optional(),
  JOBWATCH_HISTORY_RETENTION: retention.optional(),
  JOBWATCH_PURGE_EVERY: duration(1_000, 7 * 24 * 3_600_000).optional(),
  JOBWATCH_BATCH_MAX: integer(1, MAX_BATCH_IDS).optional(),
  JOBWATCH_BATCH_WINDOW: duration(0, MAX_BATCH_WINDOW_MS).optional(),
  JOBWATCH_RATE_LIMITS: z.string().transform((text, ctx) => {
    const parsed = parseRateLimits(text);
    if (parsed.ok) return parsed.limits;
    ctx.addIssue({ code: 'custom', message: parsed.problem });
    return z.NEVER;
  }).optional(),
  JOBWATCH_HOST_FAILURES: integer(0, 100_000).optional(),
  JOBWATCH_HOST_PROBE_EVERY: duration(100, 3_600_000).optional(),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], {
    error: 'must be one of fatal, error, warn, info, debug, trace, silent',
  }).optional(),
});

/** Reads and validates the environment; throws ConfigError naming the first bad variable. */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  // An empty variable counts as unset, as in most shells' `VAR= command` idiom.
  const present = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== undefined && value !== ''));
  const parsed = envSchema.safeParse(present);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new ConfigError(`${issue.path.join('.')}: ${issue.message}`);
  }
  const e = parsed.data;
  if (e.JOBWATCH_PREFIX.includes('{') && ((e.JOBWATCH_SHARDS ?? 1) > 1 || e.REDIS_CLUSTER_NODES)) {
    // Redis hashes the first {...} of a key: one in the prefix would put every shard in one slot.
    throw new ConfigError('JOBWATCH_PREFIX: must not contain { or } with JOBWATCH_SHARDS > 1 or a Redis Cluster; jobwatch adds the hash tags itself');
  }
  if (e.JOBWATCH_NOTIFY_URL && !e.JOBWATCH_NOTIFY_SECRET) {
    throw new ConfigError('JOBWATCH_NOTIFY_SECRET: is required with JOBWATCH_NOTIFY_URL, to sign notifications; generate one with `openssl rand -hex 32`');
  }
  const config: Config = {
    redisUrl: e.REDIS_URL,
    databaseUrl: e.DATABASE_URL,
    prefix: e.JOBWATCH_PREFIX,
    defaultIntervalMs: e.JOBWATCH_DEFAULT_INTERVAL ?? DEFAULTS.defaultIntervalMs,
    defaultExpireInMs: e.JOBWATCH_DEFAULT_EXPIRE_IN ?? DEFAULTS.defaultExpireInMs,
    statusTimeoutMs: e.JOBWATCH_STATUS_TIMEOUT ?? DEFAULTS.statusTimeoutMs,
    runningStatuses: Object.freeze(e.JOBWATCH_RUNNING_STATUSES ?? [...DEFAULT_RUNNING_STATUSES]),
    maxStatusFailures: e.JOBWATCH_MAX_STATUS_FAILURES ?? DEFAULTS.maxStatusFailures,
    retryBaseMs: e.JOBWATCH_RETRY_BASE ?? DEFAULTS.retryBaseMs,
    retryMaxMs: e.JOBWATCH_RETRY_MAX ?? DEFAULTS.retryMaxMs,
    notFoundEndsMonitor: e.JOBWATCH_NOT_FOUND_ENDS ?? true,
    statusHookPath: e.JOBWATCH_STATUS_HOOK,
    concurrency: e.JOBWATCH_CONCURRENCY ?? DEFAULTS.concurrency,
    shutdownTimeoutMs: e.JOBWATCH_SHUTDOWN_TIMEOUT ?? DEFAULTS.shutdownTimeoutMs,
    pgliteDir: e.JOBWATCH_PGLITE_DIR ?? DEFAULTS.pgliteDir,
    minIntervalMs: e.JOBWATCH_MIN_INTERVAL ?? DEFAULTS.minIntervalMs,
    shards: e.JOBWATCH_SHARDS ?? DEFAULTS.shards,
    redisClusterNodes: e.REDIS_CLUSTER_NODES,
    lockDurationMs: e.JOBWATCH_LOCK_DURATION ?? DEFAULTS.lockDurationMs,
    apiToken: e.JOBWATCH_API_TOKEN,
    allowedStatusUrls: e.JOBWATCH_ALLOWED_STATUS_URLS ? Object.freeze(e.JOBWATCH_ALLOWED_STATUS_URLS) : undefined,
    boardWrite: e.JOBWATCH_BOARD_WRITE ?? DEFAULTS.boardWrite,
    maxBodyBytes: e.JOBWATCH_MAX_BODY_BYTES ?? DEFAULTS.maxBodyBytes,
    bullmqPath: e.JOBWATCH_BULLMQ_PATH ?? DEFAULTS.bullmqPath,
    earlyStatusTtlMs: e.JOBWATCH_EARLY_STATUS_TTL ?? DEFAULTS.earlyStatusTtlMs,
    callbackSecret: e.JOBWATCH_CALLBACK_SECRET,
    publicUrl: e.JOBWATCH_PUBLIC_URL ?? DEFAULTS.publicUrl,
    history: e.JOBWATCH_HISTORY ?? DEFAULTS.history,
    notifyUrl: e.JOBWATCH_NOTIFY_URL,
    notifySecret: e.JOBWATCH_NOTIFY_SECRET,
    notifyForMs: e.JOBWATCH_NOTIFY_FOR ?? DEFAULTS.notifyForMs,
    notifyRetryBaseMs: e.JOBWATCH_NOTIFY_RETRY_BASE ?? DEFAULTS.notifyRetryBaseMs,
    notifyQueuePrefix: e.JOBWATCH_NOTIFY_QUEUE_PREFIX ?? DEFAULTS.notifyQueuePrefix,
    notifyTimeoutMs: e.JOBWATCH_NOTIFY_TIMEOUT ?? DEFAULTS.notifyTimeoutMs,
    retentionMs: e.JOBWATCH_RETENTION,
    historyRetentionMs: e.JOBWATCH_HISTORY_RETENTION,
    purgeEveryMs: e.JOBWATCH_PURGE_EVERY ?? DEFAULTS.purgeEveryMs,
    batchMaxIds: e.JOBWATCH_BATCH_MAX ?? DEFAULTS.batchMaxIds,
    batchWindowMs: e.JOBWATCH_BATCH_WINDOW ?? DEFAULTS.batchWindowMs,
    rateLimits: e.JOBWATCH_RATE_LIMITS ?? NO_RATE_LIMITS,
    hostFailures: e.JOBWATCH_HOST_FAILURES ?? DEFAULTS.hostFailures,
    hostProbeEveryMs: e.JOBWATCH_HOST_PROBE_EVERY ?? DEFAULTS.hostProbeEveryMs,
    logLevel: e.LOG_LEVEL ?? DEFAULTS.logLevel,
  };
  return Object.freeze(config);
}

/** What a new monitor gets when its input names no interval or expiry, and the interval floor. */
export function monitorDefaults(config: Config): MonitorDefaults {
  return { intervalMs: config.defaultIntervalMs, expireInMs: config.defaultExpireInMs, minIntervalMs: config.minIntervalMs };
}

/**
 * `DATABASE_URL`, for the commands that cannot run without Postgres; otherwise a ConfigError that
 * says what needs it, e.g. `requireDatabaseUrl(config, 'to persist results')`.
 */
export function requireDatabaseUrl(config: Config, neededFor: string): string {
  if (!config.databaseUrl) {
    throw new ConfigError(`DATABASE_URL: is required ${neededFor}, e.g. postgres://postgres@127.0.0.1:5432/jobwatch`);
  }
  return config.databaseUrl;
}

/**
 * A copy of the config with other values, frozen like the original. The values are not validated
 * again: pass only values that `loadConfig` would accept (or that were derived from ones it did).
 */
export function withOverrides(config: Config, overrides: Partial<Config>): Config {
  return Object.freeze({ ...config, ...overrides });
}

/** An http(s) URL without `{jobId}` or credentials, usable as a status URL prefix. */
function isHttpPrefix(value: string): boolean {
  if (!/^https?:\/\//.test(value) || value.includes('{') || !canParseUrl(value)) return false;
  const url = new URL(value);
  return url.username === '' && url.password === '';
}

function canParseUrl(value: string): boolean {
  try {
    new URL(value);
    return true;
  } catch {
    return false;
  }
}
