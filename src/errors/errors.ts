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
