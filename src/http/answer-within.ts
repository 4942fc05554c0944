import type { MiddlewareHandler } from 'hono';
import { ServiceUnavailableError } from '../errors/errors.ts';
import { TimedOutError, withTimeout } from '../time/with-timeout.ts';

/**
 * A 503 saying what to check when Redis or Postgres keeps a request waiting longer than `ms`. It
 * throws, so that the app it runs in answers the 503 its own way (the API JSON, the monitors page HTML).
 */
export function answerWithin(ms: number): MiddlewareHandler {
  return async (_c, next) => {
    try {
      await withTimeout(next(), ms, 'the request');
    } catch (error) {
      if (!(error instanceof TimedOutError)) throw error;
      throw new ServiceUnavailableError(`Redis or Postgres did not answer within ${ms}ms; see /healthz`);
    }
  };
}
