import { z } from 'zod';
import { parseDuration, formatDuration } from '../time/durations.ts';
import { InvalidInputError, type InputPath } from '../errors/errors.ts';
import type { MonitorContext, StatusSource } from './context.ts';
import { DEFAULT_JITTER, firstPollDelay, type Schedule } from './schedule.ts';
import { DEFAULT_STATUS_FIELD, fieldDefault, MONITOR_FIELDS, type MonitorField } from './input-fields.ts';
import { DEFAULT_NAMESPACE } from './namespace.ts';
import { MAX_EXPIRE_IN_MS, MAX_INTERVAL_MS, MIN_INTERVAL_MS } from './input-limits.ts';
import { findForbiddenKey } from '../json/forbidden-keys.ts';

/**
 * What a producer hands jobwatch to start a monitor; its fields are declared, with their meaning
 * and defaults, in `MONITOR_FIELDS` (monitor/input-fields.ts). The library API, the CLI and the
 * HTTP API all validate through `parseMonitorInput`, so a monitor is checked once, at the edge,
 * and handed on as a `ValidatedMonitor`.
 */
export type MonitorInput = z.input<typeof monitorInputSchema>;

export interface MonitorDefaults {
  intervalMs: number;
  expireInMs: number;
  /** The shortest interval accepted. @defaultValue MIN_INTERVAL_MS (100ms) */
  minIntervalMs?: number;
  /**
   * Checks a monitor's `source` and `params` against the deployment's sources file (`monitorDefaults`
   * builds it from JOBWATCH_SOURCES). @defaultValue none: a monitor that names a source is refused
   */
  checkSource?: SourceCheck;
}

/**
 * Whether the sources file has the source and its URL takes these params for this job; throws
 * InvalidInputError naming `source` or `params.<name>`. Answers the source's rate key, which a
 * monitor that names none is limited under.
 */
export type SourceCheck = (name: string, jobId: string, params: Readonly<Record<string, string>>, namespace: string) => { rateKey: string };

type Fields = typeof MONITOR_FIELDS;
/** A field's schema in the input: optional unless the field is required. */
type InputSchemaOf<F> = F extends { schema: infer S extends z.ZodType; required: true } ? S : F extends { schema: infer S extends z.ZodType } ? z.ZodOptional<S> : never;

function inputShape(): { [K in keyof Fields]: InputSchemaOf<Fields[K]> } {
  const entries = Object.entries(MONITOR_FIELDS).map(([name, spec]: [string, MonitorField]) => {
    const given = fieldDefault(spec);
    const description = given === undefined ? spec.description : `${spec.description}; default ${given}`;
    const schema = spec.required ? spec.schema : spec.schema.optional();
    return [name, schema.meta({ description, ...(spec.examples ? { examples: [...spec.examples] } : {}) })];
  });
  return Object.fromEntries(entries) as { [K in keyof Fields]: InputSchemaOf<Fields[K]> };
}

/** The shape of a monitor input; `parseMonitorInput` adds the rules that span fields, and the OpenAPI document is made from it. */
export const monitorInputSchema = z.strictObject(
  inputShape(),
  { error: (issue) => (issue.code === 'unrecognized_keys' ? `unknown field ${issue.keys.join(', ')}` : 'must be an object') },
);

declare const validated: unique symbol;

/**
 * A monitor input that passed `parseMonitorInput`: the context of a new monitor, its defaults
 * filled in and its start time fixed where it was validated. `JobwatchClient` takes it as it is,
 * without a second parse; only `parseMonitorInput` makes one (a look-alike object is raw input).
 */
export type ValidatedMonitor = Readonly<MonitorContext> & { readonly jobId: string; readonly [validated]: true };

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
  rejectForbiddenKeys(raw);
  const parsed = monitorInputSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new InvalidInputError(issue.path.filter(isPathSegment), issue.message, SUBJECT);
  }
  const input = parsed.data;
  const sources = [input.statusUrl, input.batchStatusUrl, input.statusHook, input.source].filter(Boolean).length;
  if (sources !== 1) {
    throw new InvalidInputError('statusUrl', 'give exactly one of a status URL, a batch status URL, statusHook: true or a source');
  }
  if (input.params !== undefined && input.source === undefined) throw new InvalidInputError('params', 'are the params of a source; give source too');
  const sourceRateKey = input.source === undefined ? undefined : checkSource(input.source, input.jobId, input.params, input.namespace ?? DEFAULT_NAMESPACE, defaults);
  const monitorId = input.monitorId ?? input.jobId;
  if (input.notifyQueue && (monitorId.includes(':') || /^\d+$/.test(monitorId))) {
    // Its job there is named by the monitor id, and BullMQ refuses these as job ids.
    throw new InvalidInputError(input.monitorId ? 'monitorId' : 'jobId', 'must not contain : or be digits only with notifyQueue (BullMQ refuses such job ids); give a monitorId');
  }
  const intervalMs = resolveDuration('interval', input.interval, defaults.intervalMs, defaults.minIntervalMs ?? MIN_INTERVAL_MS, MAX_INTERVAL_MS);
  const expireAt = resolveExpireAt(input, defaults, now);
  const schedule = resolveSchedule(input, intervalMs);
  const firstPollInMs = resolveDuration('firstPollIn', input.firstPollIn, 0, 0, MAX_INTERVAL_MS);
  const status = Object.freeze(statusSourceOf(input));
  // A batch URL's first poll meets the others at a slot, as every later one does; a hook's or a
  // source's batching is known only to the workers, which slot them from their second poll on.
  const firstPollMs = firstPollDelay(firstPollInMs, schedule.jitter, random(), now, status.kind === 'batch');
  const context: MonitorContext = {
    // Only when another than the default: a default monitor's context is as it was before namespaces.
    ...(input.namespace && input.namespace !== DEFAULT_NAMESPACE ? { namespace: input.namespace } : {}),
    monitorId: input.monitorId ?? input.jobId,
    jobId: input.jobId,
    status,
    statusField: input.statusField ?? DEFAULT_STATUS_FIELD,
    intervalMs,
    expireAt,
    startedAt: now,
    polls: 0,
    consecutiveFailures: 0,
    lastStatus: null,
    lastError: null,
    nextCheckAt: Math.min(expireAt, now + firstPollMs),
    metadata: input.metadata ?? null,
    schedule,
    // Only when given: a monitor on the deployment's default carries no extra bytes in Redis.
    ...(input.history ? { history: input.history } : {}),
    ...(input.notifyUrl || input.notifyQueue
      ? { notify: Object.freeze({ ...(input.notifyUrl ? { url: input.notifyUrl } : {}), ...(input.notifyQueue ? { queue: input.notifyQueue } : {}) }) }
      : {}),
    ...(input.rateKey ?? sourceRateKey ? { rateKey: input.rateKey ?? sourceRateKey } : {}),
  };
  // Frozen: what was checked is what is enqueued, however long the caller holds it.
  Object.freeze(context);
  VALIDATED.add(context);
  return context as ValidatedMonitor;
}

/**
 * `__proto__`, `constructor` or `prototype` as a key of metadata (at any depth) or params: a 400
 * naming it. Looked for before the schema parses, which would drop `__proto__` without a word.
 */
function rejectForbiddenKeys(raw: unknown): void {
  if (typeof raw !== 'object' || raw === null) return;
  for (const field of ['metadata', 'params'] as const) {
    const path = findForbiddenKey((raw as Record<string, unknown>)[field]);
    if (path) throw new InvalidInputError([field, ...path], 'is not allowed as a key', SUBJECT);
  }
}

/** The source's rate key, once the sources file has the source and its URL takes the params. */
function checkSource(name: string, jobId: string, params: Record<string, string> | undefined, namespace: string, defaults: MonitorDefaults): string {
  if (!defaults.checkSource) throw new InvalidInputError('source', 'this deployment has no sources file; set JOBWATCH_SOURCES to one that declares it');
  return defaults.checkSource(name, jobId, params ?? {}, namespace).rateKey;
}

function statusSourceOf(input: z.infer<typeof monitorInputSchema>): StatusSource {
  if (input.source) return { kind: 'source', name: input.source, params: Object.freeze({ ...input.params }) };
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
