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

/** A monitor input (CLI flag, library call, HTTP body) that fails validation. Nothing was enqueued. */
export class InvalidInputError extends JobwatchError {
  readonly exitCode = 2;
  constructor(
    /** The field that was wrong, e.g. `statusUrl` or `--interval`. */
    readonly field: string,
    message: string,
  ) {
    super(`${field}: ${message}`);
  }
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
