/**
 * The errors jobwatch code acts on. Each names the value that was wrong and how to fix it, so
 * that the CLI can print `error.message` as one line and exit without a stack trace.
 */
export abstract class JobwatchError extends Error {
  /** Process exit code the CLI uses when this error ends a command. */
  abstract readonly exitCode: number;

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** An environment variable or option that cannot be used. */
export class ConfigError extends JobwatchError {
  readonly exitCode = 2;
}

/**
 * Where in an input a bad value sits, as zod reports it: `['interval']`, `['inputs', 3, 'statusUrl']`,
 * `['--interval']`; empty for the input as a whole.
 */
export type InputPath = readonly (string | number)[];

/**
 * A monitor input (CLI flag, library call, HTTP body) that fails validation. Nothing was enqueued.
 * It carries the `path` of the bad value and the `reason` apart, so that each edge can name the
 * value in its own words (`--interval` in the CLI, `inputs[3].statusUrl` in a bulk call) with
 * `at` or `under`, without taking the message apart.
 */
export class InvalidInputError extends JobwatchError {
  readonly exitCode = 2;
  /** Where the bad value sits; empty when the input as a whole is wrong. */
  readonly path: InputPath;
  /** What is wrong with it and how to fix it, e.g. `10ms is out of range; use 100ms to 7d`. */
  readonly reason: string;
  /** The path as one name, e.g. `statusUrl` or `inputs[3].interval`; `subject` when the path is empty. */
  readonly field: string;

  /**
   * @param path - a name (`statusUrl`, `--interval`) or a path (`['inputs', 3, 'statusUrl']`)
   * @param subject - what an empty path names in the message. @defaultValue `input`
   */
  constructor(path: string | InputPath, reason: string, subject = 'input') {
    const segments = typeof path === 'string' ? [path] : path;
    const field = segments.length > 0 ? formatInputPath(segments) : subject;
    super(`${field}: ${reason}`);
    this.path = Object.freeze([...segments]);
    this.reason = reason;
    this.field = field;
  }

  /** The same reason at another path: an edge naming the value in its users' words (`--interval`). */
  at(path: string | InputPath): InvalidInputError {
    return new InvalidInputError(path, this.reason);
  }

  /** The same error inside a larger input: `under(['inputs', 3])` turns `interval` into `inputs[3].interval`. */
  under(prefix: InputPath): InvalidInputError {
    return new InvalidInputError([...prefix, ...this.path], this.reason);
  }
}

/** A value over its size limit (a pushed status's `body` over 16 KiB): bad input that the HTTP API answers 413. Nothing was kept. */
export class InputTooLargeError extends InvalidInputError {}

/** `['inputs', 3, 'statusUrl']` as `inputs[3].statusUrl`. */
export function formatInputPath(path: InputPath): string {
  return path.map((segment, i) => (typeof segment === 'number' ? `[${segment}]` : i === 0 ? segment : `.${segment}`)).join('');
}

/** Redis or Postgres does not answer; the message says how to start it. */
export class ServiceUnavailableError extends JobwatchError {
  readonly exitCode = 1;
}

/** The database lacks tables or migrations this version needs. */
export class SchemaMissingError extends JobwatchError {
  readonly exitCode = 1;
}

/** A monitor id that is taken by a monitor of another job. */
export class MonitorConflictError extends JobwatchError {
  readonly exitCode = 1;
}

/**
 * The caller may not do this: its key lacks the scope, or may not act in the namespace, or the
 * source is not open to it. The message names what is missing (HTTP 403).
 */
export class ForbiddenError extends JobwatchError {
  readonly exitCode = 2;
}

/** No monitor with that id, running or ended. */
export class MonitorNotFoundError extends JobwatchError {
  readonly exitCode = 1;
}


/**
 * A final record the database refuses for what it holds (a data exception or a constraint), so that
 * writing it again would fail again: it is left in the completion queue's failed set, not retried.
 */
export class UnstorableResultError extends JobwatchError {
  readonly exitCode = 1;

  constructor(
    readonly monitorId: string,
    cause: unknown,
    /** The database's error code, e.g. `22P05`. */
    readonly code: string | undefined,
  ) {
    super(`result of ${monitorId} cannot be stored: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
  }
}

/** The quotas a namespace is held to (src/access/quotas.ts lists them; the two must agree). */
export type QuotaName = 'runningMonitors' | 'startsPerSecond' | 'earlyPushes' | 'earlyPushBytes';

/** How a refusal names each quota: what is counted, the option of its default, and what to do. */
const QUOTA_WORDS: Record<QuotaName, { counted: string; option: string; advice: string }> = {
  runningMonitors: { counted: 'running monitors', option: 'JOBWATCH_QUOTA_RUNNING_MONITORS', advice: 'end some or raise the quota' },
  startsPerSecond: { counted: 'monitors started in the last second', option: 'JOBWATCH_QUOTA_STARTS_PER_SECOND', advice: 'start them more slowly or raise the quota' },
  earlyPushes: { counted: 'early pushes kept', option: 'JOBWATCH_QUOTA_EARLY_PUSHES', advice: 'start their monitors, wait for them to expire or raise the quota' },
  earlyPushBytes: { counted: 'bytes of early pushes kept', option: 'JOBWATCH_QUOTA_EARLY_PUSH_BYTES', advice: 'start their monitors, wait for them to expire or raise the quota' },
};

/** The option whose value is a quota's default, e.g. `JOBWATCH_QUOTA_RUNNING_MONITORS`. */
export function quotaOption(quota: QuotaName): string {
  return QUOTA_WORDS[quota].option;
}

/** What a refusal says of the namespace's use: `used` now, the `limit`, and how much more was asked for. */
export interface QuotaRefusalDetails {
  quota: QuotaName;
  namespace: string;
  /** How long until the request may fit (the HTTP API's Retry-After). */
  retryAfterMs: number;
  used: number;
  limit: number;
  /** What the refused request would have added (monitors, pushes or bytes). */
  requested: number;
}

/**
 * A namespace is at one of its quotas: nothing was written. The HTTP API answers 429 with
 * Retry-After; the message names the namespace, the quota and its option.
 */
export class QuotaExceededError extends JobwatchError {
  readonly exitCode = 1;
  readonly quota: QuotaName;
  readonly namespace: string;
  readonly retryAfterMs: number;
  readonly details: Readonly<QuotaRefusalDetails>;

  constructor(details: QuotaRefusalDetails) {
    super(quotaMessage(details));
    this.quota = details.quota;
    this.namespace = details.namespace;
    this.retryAfterMs = details.retryAfterMs;
    this.details = Object.freeze({ ...details });
  }
}

/**
 * `quota: namespace team-a has 100000 running monitors (JOBWATCH_QUOTA_RUNNING_MONITORS); end some or
 * raise the quota`, or, where what was asked for alone makes the difference, how much more it was.
 */
function quotaMessage({ quota, namespace, used, limit, requested }: QuotaRefusalDetails): string {
  const { counted, option, advice } = QUOTA_WORDS[quota];
  const use = used >= limit ? `${used} ${counted}` : `${used} ${counted}, and ${requested} more would pass its quota of ${limit}`;
  return `quota: namespace ${namespace} has ${use} (${option}); ${advice}`;
}

/** The status hook module cannot be loaded or has no `getJobStatus` export. */
export class StatusHookError extends JobwatchError {
  readonly exitCode = 2;
}

/** Turns any caught value into an Error, so that logs and records always have a message. */
export function coerceError(value: unknown): Error {
  if (value instanceof Error) return value;
  if (typeof value === 'string') return new Error(value);
  try {
    return new Error(`Non-error thrown: ${JSON.stringify(value)}`);
  } catch {
    return new Error(`Non-error thrown: ${String(value)}`);
  }
}
