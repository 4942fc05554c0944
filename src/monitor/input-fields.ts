import { z } from 'zod';
import { formatDuration } from '../time/durations.ts';
import { toBoundedJson } from '../json/bounded-json.ts';
import { LONE_SURROGATE } from '../json/unicode.ts';
import { DEFAULT_JITTER, MAX_BACKOFF_FACTOR } from './schedule.ts';
import { HISTORY_MODES } from './history.ts';
import { DEFAULT_NAMESPACE, NAMESPACE_PATTERN, NAMESPACE_RULE } from './namespace.ts';
import { MAX_RATE_KEY_LENGTH, rateKeyProblem } from './gate/rate-key.ts';
import {
  MAX_EXPIRE_IN_MS, MAX_ID_LENGTH, MAX_INTERVAL_MS, MAX_METADATA_BYTES, MAX_SOURCE_PARAMS, MAX_STATUS_FIELD_LENGTH, MAX_STATUS_URL_LENGTH,
  MIN_INTERVAL_MS, SOURCE_NAME_PATTERN,
} from './input-limits.ts';

/**
 * Every field of a monitor's input, each declared once: its check, what it means, its default and
 * its `jobwatch enqueue` flag. The input schema (and so the `MonitorInput` type and the OpenAPI
 * document), the enqueue flags and their help, and docs/configuration.md are made from this list.
 */
export interface MonitorField {
  /** The check of a value that is given; every field but jobId may be left out. */
  readonly schema: z.ZodType;
  readonly required?: true;
  /** What the field means, for the API document and the configuration page. */
  readonly description: string;
  readonly examples?: readonly unknown[];
  /** What a monitor that leaves the field out gets, in words. */
  readonly default?: string;
  /** The environment variable whose value a monitor that leaves the field out gets. */
  readonly defaultEnv?: string;
  /** Its `jobwatch enqueue` flag; a field without one is not settable from the command line. */
  readonly flag?: MonitorFlag;
}

/**
 * How a flag's text becomes the field's value: as it is, a number, a JSON object, `FACTOR,MAX`, a
 * switch (present: true), or `KEY=VALUE` pairs, one per repeated flag, as an object. The CLI reads each form; the schema then checks the value as any other.
 */
export type FlagForm = 'text' | 'number' | 'json' | 'factor-max' | 'switch' | 'pairs';

export interface MonitorFlag {
  /** Without the dashes: `job-id`. */
  readonly name: string;
  /** The value's placeholder in the help (`URL`); none for a switch. */
  readonly value?: string;
  /** One line for `jobwatch enqueue --help`, in the command line's words. */
  readonly help: string;
  readonly form?: FlagForm;
}

/** The status field a monitor reads when it names none. */
export const DEFAULT_STATUS_FIELD = 'status';

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

const field = <const F extends MonitorField>(spec: F): F => spec;

export const MONITOR_FIELDS = {
  jobId: field({
    schema: id,
    required: true,
    description: "The job's id in the service that runs it",
    flag: { name: 'job-id', value: 'ID', help: "the job's id in the service that runs it (required)" },
  }),
  statusUrl: field({
    schema: statusUrl,
    description: 'http(s) URL to GET for the status as JSON; `{jobId}` is replaced by the URL-encoded job id. Give this, batchStatusUrl, statusHook or source',
    flag: { name: 'status-url', value: 'URL', help: 'GET this URL for the status; {jobId} in it is replaced' },
  }),
  batchStatusUrl: field({
    schema: statusUrl.refine((value) => !value.includes('{jobId}'), { error: 'must not contain {jobId}: the job ids are sent in the POST body' }),
    description: 'http(s) URL to POST `{"ids": [...]}` to, for the jobs of every monitor of this URL due together; it answers a JSON object ' +
      "with each job's status body under its id (an id left out is not-found). Give this instead of statusUrl",
    flag: {
      name: 'batch-status-url', value: 'URL',
      help: 'POST {"ids": [...]} here with the jobs due together; the answer holds each job\'s status body under its id',
    },
  }),
  statusHook: field({
    schema: z.boolean({ error: 'must be true or false' }),
    description: "true: read the status through the workers' JOBWATCH_STATUS_HOOK module instead of a URL",
    flag: { name: 'status-hook', form: 'switch', help: "read the status through the workers' JOBWATCH_STATUS_HOOK module" },
  }),
  source: field({
    schema: z.string({ error: 'must be a string' }).regex(SOURCE_NAME_PATTERN, { error: 'must be the name of a source in the sources file, e.g. runs' }),
    description: "The name of a source in the deployment's sources file (JOBWATCH_SOURCES), which says where the status is, " +
      'with which credentials and how to read it. Give this, statusUrl, batchStatusUrl or statusHook',
    examples: ['runs'],
    flag: { name: 'source', value: 'NAME', help: 'read the status from this source of the sources file (JOBWATCH_SOURCES)' },
  }),
  params: field({
    schema: z.record(z.string(), z.string({ error: 'must be a string' }), { error: 'must be an object of param names and values' })
      .refine((params) => Object.keys(params).length <= MAX_SOURCE_PARAMS, { error: `must have at most ${MAX_SOURCE_PARAMS} params` }),
    description: "Values for the params the source's URL declares, e.g. {\"owner\": \"acme\", \"repo\": \"api\"}; each fills one path segment " +
      'or query value, so none may be empty, `.`, `..` or hold `/` (not even percent-encoded); no param may be named `__proto__`, `constructor` or `prototype`',
    examples: [{ owner: 'acme', repo: 'api' }],
    default: 'none',
    flag: { name: 'param', value: 'KEY=VALUE', form: 'pairs', help: "a value for one of the source's params; repeat for each" },
  }),
  namespace: field({
    schema: z.string({ error: 'must be a string' }).regex(NAMESPACE_PATTERN, { error: `must be ${NAMESPACE_RULE}` }),
    description: 'The namespace the monitor belongs to; its id is unique within it. Over the API, a key that acts in one namespace ' +
      'puts its monitors there, and any other key may name only a namespace it may act in',
    examples: ['team-a'],
    default: `${DEFAULT_NAMESPACE}, or the API key's own namespace`,
    flag: { name: 'namespace', value: 'NAME', help: 'the namespace the monitor belongs to (default: default)' },
  }),
  monitorId: field({
    schema: id,
    description: "The monitor's id; starting one whose id exists starts nothing",
    default: 'the jobId',
    flag: { name: 'monitor-id', value: 'ID', help: "the monitor's id" },
  }),
  interval: field({
    schema: duration,
    description: `Time between polls: milliseconds or a duration, ${formatDuration(MIN_INTERVAL_MS)} to ${formatDuration(MAX_INTERVAL_MS)}`,
    examples: ['30s', 60_000],
    defaultEnv: 'JOBWATCH_DEFAULT_INTERVAL',
    flag: { name: 'interval', value: 'DURATION', help: 'time between polls, e.g. 30s, 1m' },
  }),
  expireIn: field({
    schema: duration,
    description: `How long to poll: milliseconds or a duration, at most ${formatDuration(MAX_EXPIRE_IN_MS)}`,
    examples: ['2h'],
    defaultEnv: 'JOBWATCH_DEFAULT_EXPIRE_IN',
    flag: { name: 'expire-in', value: 'DURATION', help: 'how long to keep polling, e.g. 2h' },
  }),
  expireAt: field({
    schema: z.union([z.date(), z.string(), z.number()]),
    description: 'An absolute expiry instead of expireIn: an ISO time or epoch milliseconds',
  }),
  statusField: field({
    schema: z
      .string({ error: 'must be a string' })
      .max(MAX_STATUS_FIELD_LENGTH)
      .regex(/^[^.\s]+(\.[^.\s]+)*$/, { error: 'must be a dotted path such as status or data.state' }),
    description: 'Dotted path to the status in the JSON body',
    default: `\`${DEFAULT_STATUS_FIELD}\``,
    flag: { name: 'status-field', value: 'PATH', help: 'dotted path to the status in the JSON body' },
  }),
  metadata: field({
    schema: z
      .record(z.string(), z.unknown(), { error: 'must be a JSON object' })
      .check((ctx) => {
        // Bounded: a library caller's metadata may be cyclic or nested deep enough to overflow a stringify.
        const json = toBoundedJson(ctx.value, { maxBytes: MAX_METADATA_BYTES });
        if (json.ok) return;
        const message = json.problem === 'too-large' ? `must be at most ${MAX_METADATA_BYTES} bytes of JSON` : json.reason;
        ctx.issues.push({ code: 'custom', message, input: ctx.value });
      }),
    description: `A JSON object of at most ${MAX_METADATA_BYTES} bytes, kept with the monitor and its result; no key at any depth may be \`__proto__\`, \`constructor\` or \`prototype\``,
    flag: { name: 'meta', value: 'JSON', form: 'json', help: 'a JSON object kept with the monitor and written with its result' },
  }),
  backoff: field({
    schema: z.strictObject({
      factor: z.number({ error: 'must be a number' }).min(1, { error: 'must be at least 1' }).max(MAX_BACKOFF_FACTOR, { error: `must be at most ${MAX_BACKOFF_FACTOR}` }),
      max: duration,
    }, { error: (issue) => (issue.code === 'unrecognized_keys' ? `unknown field ${issue.keys.join(', ')}` : 'must be an object such as {"factor": 1.5, "max": "5m"}') }),
    description: `After each running status the interval grows by \`factor\` (1 to ${MAX_BACKOFF_FACTOR}), up to \`max\` (at least the interval). The first interval is \`interval\``,
    default: 'a fixed interval',
    flag: { name: 'backoff', value: 'FACTOR,MAX', form: 'factor-max', help: 'after each running status the interval grows by FACTOR up to MAX, e.g. 1.5,5m' },
  }),
  jitter: field({
    schema: z.number({ error: 'must be a number from 0 to 1' }).min(0, { error: 'must be from 0 to 1' }).max(1, { error: 'must be from 0 to 1' }),
    description: 'The fraction of each delay that is random (a delay d becomes one in [d*(1-jitter), d]), first poll included',
    default: String(DEFAULT_JITTER),
    flag: { name: 'jitter', value: 'FRACTION', form: 'number', help: 'the random fraction of each delay, 0 to 1' },
  }),
  firstPollIn: field({
    schema: duration,
    description: 'When the first poll is due: milliseconds or a duration',
    examples: ['2m'],
    default: 'at once',
    flag: { name: 'first-poll-in', value: 'DURATION', help: 'when the first poll is due, e.g. 2m' },
  }),
  history: field({
    schema: z.enum(HISTORY_MODES, { error: `must be one of ${HISTORY_MODES.join(', ')}` }),
    description: 'Which status checks to keep in the history (GET /api/monitors/{id}/checks): off, changes (first, changes, failures, the end) or all',
    defaultEnv: 'JOBWATCH_HISTORY',
    flag: { name: 'history', value: 'MODE', help: 'which status checks to keep: off, changes or all' },
  }),
  notifyUrl: field({
    schema: statusUrl,
    description: 'http(s) URL to POST the final record to, signed as Standard Webhooks says, once the monitor has ended',
    defaultEnv: 'JOBWATCH_NOTIFY_URL',
    flag: { name: 'notify-url', value: 'URL', help: 'POST the final record here, signed, once the monitor has ended' },
  }),
  notifyQueue: field({
    schema: z.string({ error: 'must be a string' }).regex(/^[A-Za-z0-9_.-]{1,100}$/, { error: 'must be 1-100 letters, digits, _ . or -' }),
    description: 'A BullMQ queue (same Redis) to add one job to, id = monitor id, with the final record',
    flag: { name: 'notify-queue', value: 'NAME', help: 'add one job (id = monitor id) with the final record to this BullMQ queue' },
  }),
  rateKey: field({
    schema: z.string({ error: 'must be a string' }).max(MAX_RATE_KEY_LENGTH, { error: `must be at most ${MAX_RATE_KEY_LENGTH} characters` })
      .check((ctx) => {
        const problem = rateKeyProblem(ctx.value);
        if (problem) ctx.issues.push({ code: 'custom', message: problem, input: ctx.value });
      }),
    description: "The key this monitor's status requests are rate-limited (JOBWATCH_RATE_LIMITS), held (Retry-After) and circuit-broken under, " +
      `shared with every monitor of the key. 1-${MAX_RATE_KEY_LENGTH} letters, digits or . _ ~ : @ / [ ] + -; compared ignoring case`,
    examples: ['billing-api', 'api.vendor.com:443'],
    default: "the status URL's host[:port]; hook monitors: the hook module's rateKey export, or `hook`; source monitors: the source's rateKey, or its name",
    flag: { name: 'rate-key', value: 'KEY', help: "rate-limit (JOBWATCH_RATE_LIMITS), hold and circuit-break this monitor's status requests under KEY" },
  }),
} as const;

/** The default of a field in words: the variable that gives it, or the text; undefined when there is none. */
export function fieldDefault(spec: MonitorField): string | undefined {
  return spec.defaultEnv ?? spec.default;
}

function isHttpUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.hostname.length > 0;
  } catch {
    return false;
  }
}
