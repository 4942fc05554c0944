import { UnstorableResultError } from '../errors/errors.ts';

/**
 * The Postgres error code (`23505`) or socket error code (`ECONNREFUSED`) behind a database error.
 * Drizzle wraps driver errors, so the code may sit on the error or on its cause.
 */
export function postgresErrorCode(error: unknown): string | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 5 && current && typeof current === 'object'; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    const errors = (current as { errors?: unknown[] }).errors;
    if (Array.isArray(errors) && errors.length > 0) current = errors[0];
    else current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

/** Codes that mean "Postgres is not reachable right now": worth retrying later, not a bug. */
export const TRANSIENT_POSTGRES_CODES: ReadonlySet<string> = new Set([
  'ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN', 'CONNECT_TIMEOUT', 'CONNECTION_CLOSED',
  'CONNECTION_ENDED', 'CONNECTION_DESTROYED',
  '57P01', // admin_shutdown
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now (starting up)
  '53300', // too_many_connections
  '08000', '08003', '08006', '08001', '08004', // connection exceptions
  '40001', // serialization_failure
  '40P01', // deadlock_detected
]);

export function isTransientDatabaseError(error: unknown): boolean {
  const code = postgresErrorCode(error);
  return code !== undefined && TRANSIENT_POSTGRES_CODES.has(code);
}

/** A data error as the ResultStore port names it (UnstorableResultError); any other error as it is. */
export function asStoreError(error: unknown, monitorId: string): unknown {
  return isDataError(error) ? new UnstorableResultError(monitorId, error, postgresErrorCode(error)) : error;
}

/**
 * A row that can never be written as it is (a data exception, 22xxx, or an integrity violation,
 * 23xxx): retrying the same statement would fail the same way.
 */
export function isDataError(error: unknown): boolean {
  const code = postgresErrorCode(error);
  return code !== undefined && (code.startsWith('22') || code.startsWith('23')) && !isTransientDatabaseError(error);
}
