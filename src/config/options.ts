import { z } from 'zod';
import { DEFAULT_RUNNING_STATUSES } from '../monitor/statuses.ts';
import { MAX_EXPIRE_IN_MS, MAX_INTERVAL_MS, MIN_INTERVAL_MS } from '../monitor/input-limits.ts';
import { HISTORY_MODES } from '../monitor/history.ts';
import { NO_RATE_LIMITS } from '../monitor/gate/rate-limits.ts';
import {
  boolean, canParseUrl, clusterNodes, present, commaList, DAY, duration, HOUR, httpUrl, integer, MIN_API_TOKEN_LENGTH, namespaceQuotas, oneOf, quota,
  ratio, rateLimits, retention, secret, sourcesFile, statusUrlRule, text, type Check,
} from './checks.ts';

export { MIN_API_TOKEN_LENGTH } from './checks.ts';

/**
 * Every option jobwatch reads from the environment, each declared once: its variable, its check,
 * its default and what it means. The `Config` type, `DEFAULTS`, `loadConfig` and
 * docs/configuration.md (`npm run docs:config`) are all made from this list; an option added here
 * is read, typed and documented.
 */

interface OptionBase<T> {
  /** The environment variable. */
  readonly env: string;
  readonly check: Check<T>;
  /** What the option does, for people: one or a few sentences. */
  readonly description: string;
}

/** An option that always has a value: its default when the variable is unset. */
export interface DefaultedOption<T> extends OptionBase<T> {
  readonly default: T;
  /** The default in words, where the value alone would not say it. */
  readonly defaultText?: string;
}

/** An option that may stay unset (`undefined` in the config); `unset` says what that means. */
export interface OptionalOption<T> extends OptionBase<T> {
  readonly default?: undefined;
  readonly unset: string;
}

/** Any one option of the list, its value's type forgotten. */
export type ConfigOption = DefaultedOption<unknown> | OptionalOption<unknown>;

const option = <T>(spec: OptionBase<T> & { default: NoInfer<T>; defaultText?: string }): DefaultedOption<T> => spec;
const optional = <T>(spec: OptionBase<T> & { unset: string }): OptionalOption<T> => spec;

/** Most job ids one batch status request may carry (`JOBWATCH_BATCH_MAX`). */
export const MAX_BATCH_IDS = 10_000;
/** Longest batch window (`JOBWATCH_BATCH_WINDOW`): a poll waits this long before its request leaves. */
export const MAX_BATCH_WINDOW_MS = 10_000;
/** Most poll queues one deployment may use (`JOBWATCH_SHARDS`). Each is a BullMQ worker (and a blocking connection) per process. */
export const MAX_SHARDS = 64;
/** Most polls one worker process may have in flight (`JOBWATCH_CONCURRENCY`, `--concurrency`). */
export const MAX_CONCURRENCY = 10_000;

/** Whether status requests pass the request gate: `off` only measures what the gate costs. */
export const GATE_MODES = ['on', 'off'] as const;

/** How workers re-schedule a poll and read jobs: see `bullmqPath` below and queue/bullmq-seam.ts. */
export const BULLMQ_PATHS = ['fast', 'public'] as const;
export type BullmqPath = (typeof BULLMQ_PATHS)[number];

/** The values of OTEL_TRACES_EXPORTER jobwatch accepts: it exports OTLP or nothing. */
export const TRACES_EXPORTERS = ['otlp', 'none'] as const;
/** OTLP over HTTP, in either encoding; the SDK's gRPC exporter is not shipped. */
export const OTLP_PROTOCOLS = ['http/protobuf', 'http/json'] as const;
/** OpenTelemetry's built-in samplers (the spec's OTEL_TRACES_SAMPLER values). */
export const TRACES_SAMPLERS = [
  'always_on', 'always_off', 'traceidratio', 'parentbased_always_on', 'parentbased_always_off', 'parentbased_traceidratio',
] as const;

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

export const CONFIG_OPTIONS = {
  // Where state lives.
  redisUrl: option({
    env: 'REDIS_URL',
    check: text(z.string().refine((value) => /^rediss?:\/\//.test(value) && canParseUrl(value), {
      error: 'must be a redis:// or rediss:// URL, e.g. redis://127.0.0.1:6379',
    }), 'a redis:// or rediss:// URL'),
    default: 'redis://127.0.0.1:6379',
    description: 'The Redis that holds the BullMQ queues and every running monitor.',
  }),
  redisClusterNodes: optional({
    env: 'REDIS_CLUSTER_NODES',
    check: clusterNodes,
    unset: 'REDIS_URL is used',
    description: "The nodes of a Redis Cluster to use instead of REDIS_URL (whose user, password and `rediss://` then apply to every node); see JOBWATCH_SHARDS.",
  }),
  databaseUrl: optional({
    env: 'DATABASE_URL',
    check: text(z.string().refine((value) => /^postgres(ql)?:\/\//.test(value) && canParseUrl(value), {
      error: 'must be a postgres:// URL, e.g. postgres://postgres@127.0.0.1:5432/jobwatch',
    }), 'a postgres:// URL'),
    unset: 'the quickstart uses an embedded PGlite; other commands that need Postgres refuse to start',
    description: 'The Postgres where final records, history and notifications are persisted (`postgres://user:pass@host:5432/db`). ' +
      'Required by `enqueue`, `status`, `cancel`, `report`, `history`, `list`, `watch`, `top`, `purge`, `migrate`, `server` and `worker` ' +
      '(a `worker --only polls` without it writes no history); not needed by `callback-url` or `demo-api`.',
  }),
  pgliteDir: option({
    env: 'JOBWATCH_PGLITE_DIR',
    check: text(z.string().min(1), 'a folder path'),
    default: '.jobwatch/pglite',
    description: 'Data folder of the embedded Postgres the quickstart uses when DATABASE_URL is unset.',
  }),
  prefix: option({
    env: 'JOBWATCH_PREFIX',
    check: text(z.string().regex(/^[A-Za-z0-9_.{}-]{1,64}$/, { error: 'must be 1-64 letters, digits, or _ . - { } (no colons or spaces)' }),
      '1-64 letters, digits, or `_ . - { }`; no `{ }` with shards or a cluster'),
    default: 'jobwatch',
    description: 'BullMQ key prefix, so that several deployments can share one Redis.',
  }),
  shards: option({
    env: 'JOBWATCH_SHARDS',
    check: integer(1, MAX_SHARDS),
    default: 1,
    description: 'Poll queues monitors are spread over, by a stable hash of their id. More than one spreads polls over the nodes ' +
      "of a Redis Cluster. Fixed for the life of a deployment's monitors: workers refuse a value that differs from the one " +
      'running monitors were started with. See [Scaling](scaling.md).',
  }),

  // Monitors: what a monitor gets when its input names nothing.
  defaultIntervalMs: option({
    env: 'JOBWATCH_DEFAULT_INTERVAL',
    check: duration(MIN_INTERVAL_MS, MAX_INTERVAL_MS),
    default: 60_000,
    description: 'Time between polls when a monitor names none.',
  }),
  defaultExpireInMs: option({
    env: 'JOBWATCH_DEFAULT_EXPIRE_IN',
    check: duration(1_000, MAX_EXPIRE_IN_MS),
    default: DAY,
    description: 'How long a monitor polls when it names no expiry; then it ends as expired.',
  }),
  minIntervalMs: option({
    env: 'JOBWATCH_MIN_INTERVAL',
    check: duration(1, HOUR),
    default: MIN_INTERVAL_MS,
    description: 'The shortest interval a monitor may ask for.',
  }),
  history: option({
    env: 'JOBWATCH_HISTORY',
    check: oneOf(HISTORY_MODES),
    default: 'changes',
    description: "Which status checks monitors keep in `monitor_checks` (a monitor's `history` overrides it): `off`, `changes` " +
      '(the first check, each change of status, each failed check and the last check) or `all`. See [Poll history](history-and-notifications.md#poll-history).',
  }),

  // Status checks.
  statusTimeoutMs: option({
    env: 'JOBWATCH_STATUS_TIMEOUT',
    check: duration(10, 600_000),
    default: 10_000,
    description: 'Longest a status call may take; a slower one is a failed check.',
  }),
  runningStatuses: option({
    env: 'JOBWATCH_RUNNING_STATUSES',
    check: commaList('status', 'Processing,Running'),
    default: Object.freeze([...DEFAULT_RUNNING_STATUSES]) as readonly string[],
    description: 'Statuses that mean "still running, poll again" (compared ignoring case, spaces, `_` and `-`).',
  }),
  maxStatusFailures: option({
    env: 'JOBWATCH_MAX_STATUS_FAILURES',
    check: integer(1, 1_000),
    default: 10,
    description: 'Failed status checks in a row that end a monitor as errored.',
  }),
  retryBaseMs: option({
    env: 'JOBWATCH_RETRY_BASE',
    check: duration(10, HOUR),
    default: 1_000,
    description: "First retry delay after a failed check, doubling with each failure in a row up to JOBWATCH_RETRY_MAX (never more than the monitor's interval to begin with).",
  }),
  retryMaxMs: option({
    env: 'JOBWATCH_RETRY_MAX',
    check: duration(10, DAY),
    default: 5 * 60_000,
    description: 'Longest retry delay after failed checks.',
  }),
  notFoundEndsMonitor: option({
    env: 'JOBWATCH_NOT_FOUND_ENDS',
    check: boolean,
    default: true,
    description: 'Whether a 404 from the status URL ends the monitor at once as errored; `false`: it is a failed check like any other.',
  }),
  statusHookPath: optional({
    env: 'JOBWATCH_STATUS_HOOK',
    check: text(z.string().min(1), 'a module path'),
    unset: 'no status hook: a check of a `statusHook` monitor fails, naming this variable',
    description: 'Path of a module exporting `getJobStatus(jobId, context)`, or `getJobStatuses(jobIds)` for batches (and, if it ' +
      'likes, the `rateKey` of its monitors), for monitors started with `statusHook: true`.',
  }),
  sources: optional({
    env: 'JOBWATCH_SOURCES',
    check: sourcesFile,
    unset: 'no sources: a monitor that names a `source` is refused at start, and a worker counts its checks as failed (`unknown-source`)',
    description: 'Path of the sources file (e.g. `./jobwatch.sources.json`): the job services monitors name as their `source`, ' +
      'each with its URL template, params, credentials (by env or file, never inline) and a convention or mapping. Read and ' +
      'validated at start-up; a bad file stops start-up naming the source and the field. See [Watch a real service](sources.md).',
  }),
  earlyStatusTtlMs: option({
    env: 'JOBWATCH_EARLY_STATUS_TTL',
    check: duration(1_000, 7 * DAY),
    default: HOUR,
    description: 'How long a status pushed for a monitor that has not started yet is kept for it; a terminal one ends the ' +
      'monitor at its first poll, without a status call.',
  }),
  batchMaxIds: option({
    env: 'JOBWATCH_BATCH_MAX',
    check: integer(1, MAX_BATCH_IDS),
    default: 100,
    description: "Most job ids in one batch status request (`batchStatusUrl`, or a status hook's `getJobStatuses`); a batch " +
      'that reaches it is sent at once. See [Batched status checks](batching-and-rate-limits.md#batched-status-checks).',
  }),
  batchWindowMs: option({
    env: 'JOBWATCH_BATCH_WINDOW',
    check: duration(0, MAX_BATCH_WINDOW_MS),
    default: 20,
    description: 'Longest a batch status check waits in its worker process for others due on the same source before the batch is sent.',
  }),
  rateLimits: option({
    env: 'JOBWATCH_RATE_LIMITS',
    check: rateLimits,
    default: NO_RATE_LIMITS,
    defaultText: 'unset: no rate limits (Retry-After holds and circuits still apply)',
    description: 'Requests per second (`/s`), minute (`/m`) or hour (`/h`) per rate key, shared by every worker process, ' +
      "e.g. `jobs.internal=50/s,api.vendor.com:443=5/s,*=200/s`. A monitor's key is its `rateKey`, else its status URL's `host[:port]`. " +
      'See [Rate limits and host-wide backoff](batching-and-rate-limits.md#rate-limits-and-host-wide-backoff).',
  }),
  hostFailures: option({
    env: 'JOBWATCH_HOST_FAILURES',
    check: integer(0, 100_000),
    default: 20,
    description: 'Failed status requests in a row to one rate key, across its monitors (connection refused, timeouts, 5xx, a hook that throws), ' +
      'that open its circuit; `0`: no circuits.',
  }),
  hostProbeEveryMs: option({
    env: 'JOBWATCH_HOST_PROBE_EVERY',
    check: duration(100, HOUR),
    default: 30_000,
    description: "While a key's circuit is open, one request is let through this often to test it.",
  }),
  gate: option({
    env: 'JOBWATCH_GATE',
    check: oneOf(GATE_MODES),
    default: 'on',
    description: '`off` sends every status request with no rate limit, Retry-After hold or circuit, for benchmarking the gate\'s cost only: ' +
      'a host that asks to wait is not waited for.',
  }),

  // Worker processes.
  concurrency: option({
    env: 'JOBWATCH_CONCURRENCY',
    check: integer(1, MAX_CONCURRENCY),
    default: 50,
    description: 'Polls one worker process runs at once (`jobwatch worker --concurrency` overrides it).',
  }),
  lockDurationMs: option({
    env: 'JOBWATCH_LOCK_DURATION',
    check: duration(1_000, 600_000),
    default: 30_000,
    description: "How long a poll's lock lasts without renewal (workers renew it every half of it). A crashed worker's polls " +
      'are taken over within about twice this. Give every worker of a deployment the same value: BullMQ runs one stalled ' +
      "check per interval per queue, so one worker with a longer value slows the others' recovery.",
  }),
  shutdownTimeoutMs: option({
    env: 'JOBWATCH_SHUTDOWN_TIMEOUT',
    check: duration(0, HOUR),
    default: 30_000,
    description: 'How long SIGTERM waits for in-flight polls before the process exits.',
  }),
  bullmqPath: option({
    env: 'JOBWATCH_BULLMQ_PATH',
    check: oneOf(BULLMQ_PATHS),
    default: 'fast',
    description: "How a poll re-schedules its job and how monitors are looked up. `fast`: one Redis script per re-schedule (BullMQ's " +
      'own moveToDelayed, with the context and a cancel check), used only with the BullMQ release it was written for; with ' +
      "another one jobwatch logs one line and uses `public`. `public`: BullMQ's documented API only (updateData and an EXISTS " +
      'sent together, then moveToDelayed: one round trip more). See [How a monitor behaves](how-it-works.md#how-a-monitor-behaves).',
  }),

  // The HTTP server.
  apiToken: optional({
    env: 'JOBWATCH_API_TOKEN',
    check: secret,
    unset: '`server` and `worker --metrics-port` listen on loopback only',
    description: 'A key of its own, named `api-token`, `admin` on every namespace: the bearer token of `/api` and `/metrics`, and the basic-auth password of `/ui` and `/board`. Never logged. See [Security](security.md#api-keys).',
  }),
  keysFile: optional({
    env: 'JOBWATCH_KEYS_FILE',
    check: text(z.string().min(1, { error: 'must be the path of a keys file' }), 'the path of a JSON keys file (see [Security](security.md#api-keys))'),
    unset: 'no keys: JOBWATCH_API_TOKEN alone, or (with neither) `server` and `worker --metrics-port` listen on loopback only',
    description: 'The API keys, each with its namespaces, scopes and expiry, hashed (`jobwatch keys create` adds one). ' +
      'Read at start (a missing file is an error) and again whenever it changes, without a restart.',
  }),
  allowedStatusUrls: optional({
    env: 'JOBWATCH_ALLOWED_STATUS_URLS',
    check: statusUrlRule,
    unset: 'loopback URLs only (the API must not be an open proxy); `server` then listens on loopback only',
    description: 'URL prefixes the HTTP API accepts status, batch status and notification URLs under; `sources` accepts none of them, ' +
      'only monitors of named sources. `server` listens beyond loopback only when this is set. See [Security](security.md).',
  }),
  boardWrite: option({
    env: 'JOBWATCH_BOARD_WRITE',
    check: boolean,
    default: false,
    description: 'Whether Bull Board may retry, promote, clean or remove jobs, and the [monitors page](monitors-page.md#monitors-page) (/ui) cancel monitors.',
  }),
  maxBodyBytes: option({
    env: 'JOBWATCH_MAX_BODY_BYTES',
    check: integer(1_024, 16 * 1024 * 1024),
    default: 64 * 1024,
    description: 'Largest HTTP request body; larger ones get 413.',
  }),
  publicUrl: option({
    env: 'JOBWATCH_PUBLIC_URL',
    check: text(z.string().refine((value) => /^https?:\/\//.test(value) && canParseUrl(value) && !value.includes('?'), {
      error: 'must be an http:// or https:// URL without a query, e.g. https://jobwatch.example.com',
    }).transform((value) => value.replace(/\/+$/, '')), 'an http:// or https:// URL without a query'),
    default: 'http://127.0.0.1:3000',
    description: "The server's address as jobs reach it: the base of callback URLs.",
  }),
  callbackSecret: optional({
    env: 'JOBWATCH_CALLBACK_SECRET',
    check: secret,
    unset: 'no callback URLs',
    description: 'The HMAC key of callback URLs (`/callbacks/{monitorId}/{token}`), which take a pushed status without the API token. Never logged.',
  }),

  // Quotas per namespace, so that one client cannot fill Redis. See [Quotas](security.md#quotas).
  quotaRunningMonitors: option({
    env: 'JOBWATCH_QUOTA_RUNNING_MONITORS',
    check: quota,
    default: 100_000,
    description: 'Most monitors one namespace may have running at once; a start past it is answered 429. `admin` keys have no quotas.',
  }),
  quotaStartsPerSecond: option({
    env: 'JOBWATCH_QUOTA_STARTS_PER_SECOND',
    check: quota,
    default: 1_000,
    description: 'Most monitors one namespace may start in any one second (a sliding window; a batch of N counts N).',
  }),
  quotaEarlyPushes: option({
    env: 'JOBWATCH_QUOTA_EARLY_PUSHES',
    check: quota,
    default: 10_000,
    description: 'Most early pushes (statuses pushed for monitors not started yet) one namespace may have kept at once.',
  }),
  quotaEarlyPushBytes: option({
    env: 'JOBWATCH_QUOTA_EARLY_PUSH_BYTES',
    check: quota,
    default: 64 * 1024 * 1024,
    defaultText: '67108864 (64 MiB)',
    description: 'Most bytes the early pushes one namespace keeps may hold, counted as each pushed status is stored (JSON).',
  }),
  namespaceQuotas: option({
    env: 'JOBWATCH_NAMESPACE_QUOTAS',
    check: namespaceQuotas,
    default: Object.freeze({}),
    defaultText: 'unset: every namespace has the defaults above',
    description: 'Quotas of some namespaces that differ from the defaults: JSON, or the path of a JSON file, e.g. ' +
      '`{"team-a": {"runningMonitors": 5000, "startsPerSecond": 50}, "batch": {"startsPerSecond": "off"}}`. A key\'s own quotas win over these.',
  }),

  // Notifications of a monitor's end.
  notifyUrl: optional({
    env: 'JOBWATCH_NOTIFY_URL',
    check: httpUrl('https://orders.internal/hooks/jobwatch'),
    unset: 'only monitors that name a `notifyUrl` notify',
    description: "Where every monitor's end is POSTed, signed, unless the monitor names its own `notifyUrl`. Needs JOBWATCH_NOTIFY_SECRET. " +
      'See [Notifications](history-and-notifications.md#notifications).',
  }),
  notifySecret: optional({
    env: 'JOBWATCH_NOTIFY_SECRET',
    check: text(z.string().min(MIN_API_TOKEN_LENGTH, { error: `must be at least ${MIN_API_TOKEN_LENGTH} characters, or whsec_ and base64` }),
      `\`whsec_\` and base64, or any text of at least ${MIN_API_TOKEN_LENGTH} characters`),
    unset: 'no notification URL may be used',
    description: "The key notifications are signed with (HMAC-SHA256, Standard Webhooks). Required with JOBWATCH_NOTIFY_URL, and by workers that send a monitor's `notifyUrl`; never logged.",
  }),
  notifyForMs: option({
    env: 'JOBWATCH_NOTIFY_FOR',
    check: duration(1_000, 30 * DAY),
    default: DAY,
    description: 'How long a notification that is not accepted is retried before it is given up.',
  }),
  notifyRetryBaseMs: option({
    env: 'JOBWATCH_NOTIFY_RETRY_BASE',
    check: duration(10, HOUR),
    default: 5_000,
    description: 'First retry delay of a notification, doubling (with jitter) up to 1h.',
  }),
  notifyTimeoutMs: option({
    env: 'JOBWATCH_NOTIFY_TIMEOUT',
    check: duration(10, 600_000),
    default: 10_000,
    description: 'Longest a notification POST may take. An attempt holds its notification for this plus 2 s; a worker that dies ' +
      'mid-attempt leaves it to be sent again (same webhook-id) after that.',
  }),
  notifyQueuePrefix: option({
    env: 'JOBWATCH_NOTIFY_QUEUE_PREFIX',
    check: text(z.string().regex(/^[A-Za-z0-9_.{}-]{1,64}$/, { error: 'must be 1-64 letters, digits, or _ . - { }' }), '1-64 letters, digits, or `_ . - { }`'),
    default: 'bull',
    defaultText: "`bull` (BullMQ's own default)",
    description: 'BullMQ prefix of the queues monitors name in `notifyQueue`.',
  }),

  // Retention.
  retentionMs: optional({
    env: 'JOBWATCH_RETENTION',
    check: retention,
    unset: '`off`: kept for ever',
    description: 'Final records (and delivered or given-up notifications) older than this are purged. See [Retention](history-and-notifications.md#retention).',
  }),
  historyRetentionMs: optional({
    env: 'JOBWATCH_HISTORY_RETENTION',
    check: retention,
    unset: '`off`: kept for ever',
    description: 'History rows older than this are purged.',
  }),
  purgeEveryMs: option({
    env: 'JOBWATCH_PURGE_EVERY',
    check: duration(1_000, 7 * DAY),
    default: HOUR,
    description: 'How often the purge runs when a retention is set, from one BullMQ job scheduler per deployment (one run at a time, however many workers).',
  }),

  // Tracing (OpenTelemetry): docs/tracing.md. These are OpenTelemetry's own variables; jobwatch
  // reads them here to decide whether to load the SDK at all, and the exporter reads its own
  // (headers, timeout, compression) when it is loaded.
  otelSdkDisabled: option({
    env: 'OTEL_SDK_DISABLED',
    check: boolean,
    default: false,
    description: 'Set to `true`, tracing stays off whatever the other OTEL_* variables say, and the OpenTelemetry SDK is never loaded.',
  }),
  otelTracesExporter: optional({
    env: 'OTEL_TRACES_EXPORTER',
    check: oneOf(TRACES_EXPORTERS),
    unset: 'tracing is on only if an OTLP endpoint variable is set',
    description: '`otlp` turns tracing on (to http://localhost:4318 unless an endpoint is set); `none` keeps it off even with an endpoint set. See [Tracing](tracing.md).',
  }),
  otelEndpoint: optional({
    env: 'OTEL_EXPORTER_OTLP_ENDPOINT',
    check: httpUrl('http://127.0.0.1:4318'),
    unset: 'no endpoint: tracing stays off unless OTEL_TRACES_EXPORTER=otlp',
    description: 'The OTLP/HTTP collector, without a path: traces go to its `/v1/traces`. Set, it turns tracing on.',
  }),
  otelTracesEndpoint: optional({
    env: 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT',
    check: httpUrl('http://127.0.0.1:4318/v1/traces'),
    unset: 'OTEL_EXPORTER_OTLP_ENDPOINT + /v1/traces',
    description: 'The full URL traces are posted to, over OTEL_EXPORTER_OTLP_ENDPOINT. Set, it turns tracing on.',
  }),
  otelProtocol: option({
    env: 'OTEL_EXPORTER_OTLP_PROTOCOL',
    check: oneOf(OTLP_PROTOCOLS),
    default: 'http/protobuf',
    description: 'How spans are encoded on OTLP/HTTP: protobuf or JSON (gRPC is not offered).',
  }),
  otelTracesProtocol: optional({
    env: 'OTEL_EXPORTER_OTLP_TRACES_PROTOCOL',
    check: oneOf(OTLP_PROTOCOLS),
    unset: 'OTEL_EXPORTER_OTLP_PROTOCOL',
    description: 'The protocol of traces alone, over OTEL_EXPORTER_OTLP_PROTOCOL.',
  }),
  otelTracesSampler: option({
    env: 'OTEL_TRACES_SAMPLER',
    check: oneOf(TRACES_SAMPLERS),
    default: 'parentbased_always_on',
    description: 'Which traces are recorded. The `parentbased_` ones follow the caller\'s decision when a monitor is started inside a sampled (or unsampled) trace; a monitor\'s polls always follow its start\'s decision.',
  }),
  otelTracesSamplerArg: optional({
    env: 'OTEL_TRACES_SAMPLER_ARG',
    check: ratio,
    unset: '1: every trace, for the traceidratio samplers',
    description: 'The share of traces the `traceidratio` samplers record, 0 to 1.',
  }),
  otelBatchDelayMs: option({
    env: 'OTEL_BSP_SCHEDULE_DELAY',
    check: integer(0, 600_000),
    default: 5_000,
    description: 'Milliseconds between two exports of finished spans. A process killed (SIGKILL) loses the spans it had not exported yet; the monitor\'s trace goes on from the next poll.',
  }),
  otelServiceName: optional({
    env: 'OTEL_SERVICE_NAME',
    check: text(z.string().min(1), 'a name'),
    unset: 'the process: jobwatch-worker, jobwatch-server, jobwatch-cli, or jobwatch for the library',
    description: 'The `service.name` of jobwatch\'s spans.',
  }),

  // Diagnostics.
  logLevel: option({
    env: 'LOG_LEVEL',
    check: oneOf(LOG_LEVELS),
    default: 'info',
    description: 'The log level. Logs are JSON lines (pino), pretty on a terminal.',
  }),
  debug: option({
    env: 'JOBWATCH_DEBUG',
    check: present,
    default: false,
    defaultText: 'unset: off',
    description: 'Set, a command that fails with an unexpected error prints its stack trace on stderr after the one-line message ([CLI](cli.md)).',
  }),
} as const satisfies Record<string, ConfigOption>;
