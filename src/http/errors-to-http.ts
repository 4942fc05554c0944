import type { Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { Logger } from 'pino';
import { isTransientDatabaseError, postgresErrorCode } from '../db/postgres-errors.ts';
import {
  coerceError, InvalidInputError, JobwatchError, MonitorConflictError, MonitorNotFoundError, ServiceUnavailableError,
} from '../errors/errors.ts';
import type { ErrorBody } from './api-schemas.ts';

/** A request body over the configured limit (JOBWATCH_MAX_BODY_BYTES). */
export class BodyTooLargeError extends JobwatchError {
  readonly exitCode = 2;
}

/** Which HTTP status each error jobwatch acts on becomes. */
const STATUS_OF: [new (...args: never[]) => JobwatchError, ContentfulStatusCode][] = [
  [InvalidInputError, 400],
  [MonitorNotFoundError, 404],
  [MonitorConflictError, 409],
  [BodyTooLargeError, 413],
  [ServiceUnavailableError, 503],
];

/**
 * The response for a thrown error. Known errors say what was wrong; anything else is a 500 whose
 * details go to the log only, since an unexpected message might carry internals.
 */
export function errorResponse(c: Context, caught: unknown, logger: Logger): Response {
  const error = asServiceError(coerceError(caught));
  const status = STATUS_OF.find(([type]) => error instanceof type)?.[1];
  if (status === undefined) {
    logger.error({ err: error, method: c.req.method, path: c.req.path }, 'request failed');
    return c.json({ error: 'internal error; see the server log' } satisfies ErrorBody, 500);
  }
  const body: ErrorBody = { error: error.message };
  if (error instanceof InvalidInputError) {
    body.field = error.field;
    body.reason = error.reason;
  }
  if (status >= 500) logger.warn({ err: error, path: c.req.path }, 'request failed: a service is unavailable');
  return c.json(body, status);
}

/** Postgres unreachable (refused, reset, shutting down) is a 503 the client may retry, not a bug. */
function asServiceError(error: Error): Error {
  if (error instanceof JobwatchError || !isTransientDatabaseError(error)) return error;
  return new ServiceUnavailableError(`Postgres is unreachable (${postgresErrorCode(error)}); see /healthz`, { cause: error });
}
