import type { Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { Logger } from 'pino';
import { isTransientDatabaseError, postgresErrorCode } from '../db/postgres-errors.ts';
import {
  coerceError, ForbiddenError, InputTooLargeError, InvalidInputError, JobwatchError, MonitorConflictError, MonitorNotFoundError,
  QuotaExceededError, ServiceUnavailableError,
} from '../errors/errors.ts';
import type { ErrorBody } from './api-schemas.ts';

/** A request body over the configured limit (JOBWATCH_MAX_BODY_BYTES). */
export class BodyTooLargeError extends JobwatchError {
  readonly exitCode = 2;
}

/**
 * A request whose body did not all arrive within the API's time limit: the client's slowness, not
 * a bad value, but named as one (field `body`) so that the answer says what was late.
 */
export class BodyTimeoutError extends InvalidInputError {}

/** Which HTTP status each error jobwatch acts on becomes; the first type that matches wins, so subclasses come first. */
const STATUS_OF: [new (...args: never[]) => JobwatchError, ContentfulStatusCode][] = [
  [BodyTimeoutError, 408],
  [InputTooLargeError, 413],
  [InvalidInputError, 400],
  [ForbiddenError, 403],
  [MonitorNotFoundError, 404],
  [MonitorConflictError, 409],
  [BodyTooLargeError, 413],
  [QuotaExceededError, 429],
  [ServiceUnavailableError, 503],
];

/**
 * The response for a thrown error. Known errors say what was wrong; anything else is a 500 whose
 * details go to the log only, since an unexpected message might carry internals.
 */
export function errorResponse(c: Context, caught: unknown, logger: Logger): Response {
  const { status, error } = classifyError(c, caught, logger);
  if (!error) return c.json({ error: INTERNAL_ERROR } satisfies ErrorBody, status);
  const body: ErrorBody = { error: error.message };
  if (error instanceof InvalidInputError) {
    body.field = error.field;
    body.reason = error.reason;
  }
  if (error instanceof QuotaExceededError) c.header('Retry-After', retryAfterSeconds(error.retryAfterMs));
  return c.json(body, status);
}

/** Retry-After in whole seconds, rounded up and at least 1: `0` would invite a client to retry at once, into the same refusal. */
export function retryAfterSeconds(ms: number): string {
  return String(Math.max(1, Math.ceil(ms / 1_000)));
}

/** What an unexpected error's answer says: its own message might carry internals. */
export const INTERNAL_ERROR = 'internal error; see the server log';

/**
 * The HTTP status of a thrown error, logged as its kind deserves; `error` is absent for an
 * unexpected one (a 500), whose message must not reach the client. The API answers JSON, the
 * monitors page HTML, from the same decision.
 */
export function classifyError(c: Context, caught: unknown, logger: Logger): { status: ContentfulStatusCode; error?: JobwatchError } {
  const error = asServiceError(coerceError(caught));
  const status = STATUS_OF.find(([type]) => error instanceof type)?.[1];
  if (status === undefined || !(error instanceof JobwatchError)) {
    logger.error({ err: error, method: c.req.method, path: c.req.path }, 'request failed');
    return { status: 500 };
  }
  if (status >= 500) logger.warn({ err: error, path: c.req.path }, 'request failed: a service is unavailable');
  return { status, error };
}

/** Postgres unreachable (refused, reset, shutting down) is a 503 the client may retry, not a bug. */
function asServiceError(error: Error): Error {
  if (error instanceof JobwatchError || !isTransientDatabaseError(error)) return error;
  return new ServiceUnavailableError(`Postgres is unreachable (${postgresErrorCode(error)}); see /healthz`, { cause: error });
}
