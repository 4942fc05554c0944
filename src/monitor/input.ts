import { z } from 'zod';
import { parseDuration, formatDuration } from '../time/durations.ts';
import { InvalidInputError, type InputPath } from '../errors/errors.ts';
import { toBoundedJson } from '../json/bounded-json.ts';
import { LONE_SURROGATE } from '../json/unicode.ts';
import type { MonitorContext, StatusSource } from './context.ts';
import { DEFAULT_JITTER, firstPollDelay, MAX_BACKOFF_FACTOR, type Schedule } from './schedule.ts';
import { HISTORY_MODES, type HistoryMode } from './history.ts';
import { MAX_RATE_KEY_LENGTH, rateKeyProblem } from './gate/rate-key.ts';
import {
  MAX_EXPIRE_IN_MS, MAX_ID_LENGTH, MAX_INTERVAL_MS, MAX_METADATA_BYTES, MAX_STATUS_FIELD_LENGTH,
  MAX_STATUS_URL_LENGTH, MIN_INTERVAL_MS,
} from './input-limits.ts';

/**
 * What a producer hands jobwatch to start a monitor. The library API, the CLI and the HTTP API all
 * validate through `parseMonitorInput`, so a monitor is checked once, at the edge, and handed on
 * as a `ValidatedMonitor`.
 */
export interface MonitorInput {
  /** The job's id in the service that runs it. */
  jobId: string;
  /** URL that returns the job's status as JSON; `{jobId}` is replaced. Give this, `batchStatusUrl` or `statusHook`. */
  statusUrl?: string;
  /**
   * URL to POST `{"ids": [...]}` to, with the ids of the monitors of this URL due together; it
   * answers a JSON object with each job's status body under its id. Give this, `statusUrl` or `statusHook`.
   */
  batchStatusUrl?: string;
  /** Read the status through the workers' status hook module instead of a URL. */
  statusHook?: boolean;
  /** @defaultValue the jobId */
  monitorId?: string;
  /** Time between polls: milliseconds or a duration such as `30s`. @defaultValue the configured default (60s) */
  interval?: number | string;
  /** How long the monitor may run: milliseconds or a duration such as `2h`. @defaultValue the configured default (24h) */
  expireIn?: number | string;
  /** An absolute expiry instead of `expireIn`. */
  expireAt?: Date | string | number;
  /** Dotted path to the status in the JSON body. @defaultValue `status` */
  statusField?: string;
  /** Free-form JSON object kept with the monitor and written with its result. */
  metadata?: Record<string, unknown>;
  /** After each running status, the interval grows by `factor` (1 to 10), up to `max` (a duration). @defaultValue none: a fixed interval */
  backoff?: { factor: number; max: number | string };
  /** The fraction of each delay that is random, 0 to 1. @defaultValue 0.1 (DEFAULT_JITTER) */
  jitter?: number;
  /** When the first poll is due after the start: milliseconds or a duration. @defaultValue 0 (at once) */
  firstPollIn?: number | string;
  /** Which status checks to keep in the monitor's history. @defaultValue the configured default (JOBWATCH_HISTORY, `changes`) */
  history?: HistoryMode;
  /** POST the final record here, signed, once the monitor has ended (HTTP API: under JOBWATCH_ALLOWED_STATUS_URLS). @defaultValue JOBWATCH_NOTIFY_URL */
  notifyUrl?: string;
  /** Add a job (id = monitor id) with the final record to this BullMQ queue, in the same Redis, once. */
  notifyQueue?: string;
  /**
   * The key this monitor's status requests are rate-limited, held and circuit-broken under, shared
   * with every monitor that names it (JOBWATCH_RATE_LIMITS may give it a limit). @defaultValue the
   * status URL's `host[:port]`; hook monitors: the hook module's `rateKey` export, or `hook`
   */
  rateKey?: string;
}

export interface MonitorDefaults {
  intervalMs: number;
  expireInMs: number;
  /** The shortest interval accepted. @defaultValue MIN_INTERVAL_MS (100ms) */
  minIntervalMs?: number;
}

const CONTROL_CHARS = /[\u0000-\u001f\u007f]/;

const id = z
  .string({ error: 'must be a string' })
  .min(1, { error: 'must not be empty' })
  .max(MAX_ID_LENGTH, { error: `must be at most ${MAX_ID_LENGTH} characters` })
  .refine((value) => value.trim().length > 0, { error: 'must not be blank' })
  .refine((value) => !CONTROL_CHARS.test(value), { error: 'must not contain control characters' })
  .refine((value) => !LONE_SURROGATE.test(value), { error: 'must be valid Unicode (it holds half a surrogate pair)' });

const duration = z.union([z.number(), z.string()], { error: 'must be milliseconds or a duration such as 30s' });

const statusUrl = z
  .string({ error: 'must be a string' })
  .max(MAX_STATUS_URL_LENGTH, { error: `must be at most ${MAX_STATUS_URL_LENGTH} characters` })
  .refine(isHttpUrl, { error: 'must be an absolute http:// or https:// URL' });

/** The shape of a monitor input; `parseMonitorInput` adds the rules that span fields, and the OpenAPI document is made from it. */
export const monitorInputSchema = z.strictObject(
  {
    jobId: id.meta({ description: "The job's id in the service that runs it" }),
    statusUrl: statusUrl.optional().meta({
      description: 'http(s) URL to GET for the status as JSON; `{jobId}` is replaced by the URL-encoded job id. Give this or statusHook',
    }),
    batchStatusUrl: statusUrl
      .refine((value) => !value.includes('{jobId}'), { error: 'must not contain {jobId}: the job ids are sent in the POST body' })
      .optional().meta({
        description: 'http(s) URL to POST `{"ids": [...]}` to, for the jobs of every monitor of this URL due together; it answers a JSON object ' +
          "with each job's status body under its id (an id left out is not-found). Give this instead of statusUrl",
      }),
    statusHook: z.boolean({ error: 'must be true or false' }).optional()
      .meta({ description: "true: read the status through the workers' JOBWATCH_STATUS_HOOK module instead of a URL" }),
    monitorId: id.optional().meta({ description: 'Defaults to the jobId' }),
    interval: duration.optional().meta({
      description: `Time between polls: milliseconds or a duration, ${formatDuration(MIN_INTERVAL_MS)} to ${formatDuration(MAX_INTERVAL_MS)}; default JOBWATCH_DEFAULT_INTERVAL`,
      examples: ['30s', 60_000],
    }),
    expireIn: duration.optional().meta({
      description: `How long to poll: milliseconds or a duration, at most ${formatDuration(MAX_EXPIRE_IN_MS)}; default JOBWATCH_DEFAULT_EXPIRE_IN`,
      examples: ['2h'],
    }),
    expireAt: z.union([z.date(), z.string(), z.number()]).optional()
      .meta({ description: 'An absolute expiry instead of expireIn: an ISO time or epoch milliseconds' }),
    statusField: z
      .string({ error: 'must be a string' })
      .max(MAX_STATUS_FIELD_LENGTH)
      .regex(/^[^.\s]+(\.[^.\s]+)*$/, { error: 'must be a dotted path such as status or data.state' })
      .optional()
      .meta({ description: 'Dotted path to the status in the JSON body; default `status`' }),
    metadata: z
      .record(z.string(), z.unknown(), { error: 'must be a JSON object' })
      .check((ctx) => {
        // Bounded: a library caller's metadata may be cyclic or nested deep enough to overflow a stringify.
        const json = toBoundedJson(ctx.value, { maxBytes: MAX_METADATA_BYTES });
        if (json.ok) return;
        const message = json.problem === 'too-large' ? `must be at most ${MAX_METADATA_BYTES} bytes of JSON` : json.reason;
        ctx.issues.push({ code: 'custom', message, input: ctx.value });
      })
      .optional()
      .meta({ description: `A JSON object of at most ${MAX_METADATA_BYTES} bytes, kept with the monitor and its result` }),
    backoff: z.strictObject({
      factor: z.number({ error: 'must be a number' }).min(1, { error: 'must be at least 1' }).max(MAX_BACKOFF_FACTOR, { error: `must be at most ${MAX_BACKOFF_FACTOR}` }),
      max: duration,
    }, { error: (issue) => (issue.code === 'unrecognized_keys' ? `unknown field ${issue.keys.join(', ')}` : 'must be an object such as {"factor": 1.5, "max": "5m"}') })
      .optional()
      .meta({ description: 'After each running status the interval grows by `factor`, up to `max` (at least the interval). The first interval is `interval`' }),
    jitter: z.number({ error: 'must be a number from 0 to 1' }).min(0, { error: 'must be from 0 to 1' }).max(1, { error: 'must be from 0 to 1' }).optional()
      .meta({ description: `The fraction of each delay that is random (a delay d becomes one in [d*(1-jitter), d]), first poll included; default ${DEFAULT_JITTER}` }),
    firstPollIn: duration.optional().meta({ description: 'When the first poll is due: milliseconds or a duration; default at once', examples: ['2m'] }),
    history: z.enum(HISTORY_MODES, { error: `must be one of ${HISTORY_MODES.join(', ')}` }).optional().meta({
      description: 'Which status checks to keep in the history (GET /api/monitors/{id}/checks): off, changes (first, changes, failures, the end) or all; default JOBWATCH_HISTORY',
    }),
    notifyUrl: statusUrl.optional().meta({
      description: 'http(s) URL to POST the final record to, signed as Standard Webhooks says, once the monitor has ended; default JOBWATCH_NOTIFY_URL',
    }),
    notifyQueue: z.string({ error: 'must be a string' }).regex(/^[A-Za-z0-9_.-]{1,100}$/, { error: 'must be 1-100 letters, digits, _ . or -' }).optional()
      .meta({ description: 'A BullMQ queue (same Redis) to add one job to, id = monitor id, with the final record' }),
    rateKey: z.string({ error: 'must be a string' }).max(MAX_RATE_KEY_LENGTH, { error: `must be at most ${MAX_RATE_KEY_LENGTH} characters` })
      .check((ctx) => {
        const problem = rateKeyProblem(ctx.value);
        if (problem) ctx.issues.push({ code: 'custom', message: problem, input: ctx.value });
      })
      .optional()
      .meta({
        description: "The key this monitor's status requests are rate-limited (JOBWATCH_RATE_LIMITS), held (Retry-After) and circuit-broken under, " +
          "shared with every monitor of the key; default the status URL's host[:port] (hook monitors: the hook module's rateKey export, or `hook`). " +
          `1-${MAX_RATE_KEY_LENGTH} letters, digits or . _ ~ : @ / [ ] + -; compared ignoring case`,
        examples: ['billing-api', 'api.vendor.com:443'],
      }),
  },
  { error: (issue) => (issue.code === 'unrecognized_keys' ? `unknown field ${issue.keys.join(', ')}` : 'must be an object') },
);

// MonitorInput documents the fields for library users; this fails to compile if it and the schema part ways.
const sameInput: [MonitorInput, z.input<typeof monitorInputSchema>] extends [z.input<typeof monitorInputSchema>, MonitorInput] ? true : false = true;
void sameInput;

declare const validated: unique symbol;

/**
 * A monitor input that passed `parseMonitorInput`: the context of a new monitor, its defaults
 * filled in and its start time fixed where it was validated. `JobwatchClient` takes it as it is,
 * without a second parse; only `parseMonitorInput` makes one (a look-alike object is raw input).
 */
export type ValidatedMonitor = Readonly<MonitorContext> & { readonly [validated]: true };

/** The objects `parseMonitorInput` returned. A WeakSet, so that the brand cannot be forged by copying fields. */
const VALIDATED = new WeakSet<object>();

/** Whether `value` came out of `parseMonitorInput` (and so needs no second validation). */
export function isValidatedMonitor(value: unknown): value is ValidatedMonitor {
  return typeof value === 'object' && value !== null && VALIDATED.has(value);
}

/** What an empty error path names: the input as a whole. */
const SUBJECT = 'monitor';

/**
 * Validates a producer's input and builds the context of a new monitor, or throws
 * InvalidInputError with the `path` of the first bad value and the `reason`.
 */
export function parseMonitorInput(raw: unknown, defaults: MonitorDefaults, now: number, random: () => number = Math.random): ValidatedMonitor {
  const parsed = monitorInputSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new InvalidInputError(issue.path.filter(isPathSegment), issue.message, SUBJECT);
  }
  const input = parsed.data;
  const sources = [input.statusUrl, input.batchStatusUrl, input.statusHook].filter(Boolean).length;
  if (sources !== 1) {
    throw new InvalidInputError('statusUrl', 'give exactly one of a status URL, a batch status URL or statusHook: true');
  }
  const monitorId = input.monitorId ?? input.jobId;
  if (input.notifyQueue && (monitorId.includes(':') || /^\d+$/.test(monitorId))) {
    // Its job there is named by the monitor id, and BullMQ refuses these as job ids.
    throw new InvalidInputError(input.monitorId ? 'monitorId' : 'jobId', 'must not contain : or be digits only with notifyQueue (BullMQ refuses such job ids); give a monitorId');
  }
  const intervalMs = resolveDuration('interval', input.interval, defaults.intervalMs, defaults.minIntervalMs ?? MIN_INTERVAL_MS, MAX_INTERVAL_MS);
  const expireAt = resolveExpireAt(input, defaults, now);
  const schedule = resolveSchedule(input, intervalMs);
  const firstPollInMs = resolveDuration('firstPollIn', input.firstPollIn, 0, 0, MAX_INTERVAL_MS);
  const context: MonitorContext = {
    monitorId: input.monitorId ?? input.jobId,
    jobId: input.jobId,
    status: Object.freeze(statusSourceOf(input)),
    statusField: input.statusField ?? 'status',
    intervalMs,
    expireAt,
    startedAt: now,
    polls: 0,
    consecutiveFailures: 0,
    lastStatus: null,
    lastError: null,
    nextCheckAt: Math.min(expireAt, now + firstPollDelay(firstPollInMs, schedule.jitter, random())),
    metadata: input.metadata ?? null,
    schedule,
    // Only when given: a monitor on the deployment's default carries no extra bytes in Redis.
    ...(input.history ? { history: input.history } : {}),
    ...(input.notifyUrl || input.notifyQueue
      ? { notify: Object.freeze({ ...(input.notifyUrl ? { url: input.notifyUrl } : {}), ...(input.notifyQueue ? { queue: input.notifyQueue } : {}) }) }
      : {}),
    ...(input.rateKey ? { rateKey: input.rateKey } : {}),
  };
  // Frozen: what was checked is what is enqueued, however long the caller holds it.
  Object.freeze(context);
  VALIDATED.add(context);
  return context as ValidatedMonitor;
}

function statusSourceOf(input: z.infer<typeof monitorInputSchema>): StatusSource {
  if (input.statusUrl) return { kind: 'http', url: input.statusUrl };
  if (input.batchStatusUrl) return { kind: 'batch', url: input.batchStatusUrl };
  return { kind: 'hook' };
}

function isPathSegment(segment: PropertyKey): segment is string | number {
  return typeof segment !== 'symbol';
}

function resolveDuration(field: string | InputPath, value: number | string | undefined, fallback: number, min: number, max: number): number {
  if (value === undefined) return fallback;
  const ms = typeof value === 'number' ? value : parseDuration(value);
  if (ms === undefined || !Number.isInteger(ms)) {
    throw new InvalidInputError(field, `${JSON.stringify(value)} is not a duration; use milliseconds or e.g. 500ms, 30s, 1m, 2h`);
  }
  if (ms < min || ms > max) {
    throw new InvalidInputError(field, `${formatDuration(ms)} is out of range; use ${formatDuration(min)} to ${formatDuration(max)}`);
  }
  return ms;
}

function resolveSchedule(input: z.infer<typeof monitorInputSchema>, intervalMs: number): Schedule {
  const jitter = input.jitter ?? DEFAULT_JITTER;
  if (!input.backoff) return Object.freeze({ jitter });
  const maxMs = resolveDuration(['backoff', 'max'], input.backoff.max, intervalMs, intervalMs, MAX_INTERVAL_MS);
  return Object.freeze({ jitter, backoff: Object.freeze({ factor: input.backoff.factor, maxMs }) });
}

function resolveExpireAt(input: z.infer<typeof monitorInputSchema>, defaults: MonitorDefaults, now: number): number {
  if (input.expireAt !== undefined && input.expireIn !== undefined) {
    throw new InvalidInputError('expireAt', 'give expireAt or expireIn, not both');
  }
  if (input.expireAt === undefined) {
    return now + resolveDuration('expireIn', input.expireIn, defaults.expireInMs, 1, MAX_EXPIRE_IN_MS);
  }
  const at = new Date(input.expireAt).getTime();
  if (Number.isNaN(at)) throw new InvalidInputError('expireAt', `${JSON.stringify(input.expireAt)} is not a date`);
  if (at <= now) throw new InvalidInputError('expireAt', `${new Date(at).toISOString()} is in the past`);
  if (at - now > MAX_EXPIRE_IN_MS) {
    throw new InvalidInputError('expireAt', `is more than ${formatDuration(MAX_EXPIRE_IN_MS)} away`);
  }
  return at;
}

function isHttpUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.hostname.length > 0;
  } catch {
    return false;
  }
}

