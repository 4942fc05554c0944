import type { Context, MiddlewareHandler } from 'hono';
import type { IncomingMessage } from 'node:http';
import { ServiceUnavailableError } from '../errors/errors.ts';
import { formatDuration } from '../time/durations.ts';
import { TimedOutError, withTimeout } from '../time/with-timeout.ts';
import { BodyTimeoutError } from './errors-to-http.ts';

/**
 * Answers within `ms`. When the time runs out while the request's body is still arriving, the
 * client is slow: a 408 naming the body, and the connection closed (the rest of the body is not
 * waited for). Otherwise Redis or Postgres kept the request waiting: a 503 saying what to check.
 * It throws, so that the app it runs in answers its own way (the API JSON, the monitors page HTML).
 */
export function answerWithin(ms: number): MiddlewareHandler {
  return async (c, next) => {
    try {
      await withTimeout(next(), ms, 'the request');
    } catch (error) {
      if (!(error instanceof TimedOutError)) throw error;
      if (bodyStillArriving(c)) {
        c.header('Connection', 'close');
        throw new BodyTimeoutError('body', `was not received within ${formatDuration(ms)}; send the whole body at once`);
      }
      throw new ServiceUnavailableError(`Redis or Postgres did not answer within ${ms}ms; see /healthz`);
    }
  };
}

/**
 * Whether node has not yet received the whole request (`complete` is set once the last byte of
 * the body is in). Off node's HTTP server (`app.request` in a test) there is no socket to be slow.
 */
function bodyStillArriving(c: Context): boolean {
  const incoming = (c.env as { incoming?: IncomingMessage } | undefined)?.incoming;
  return incoming !== undefined && !incoming.complete;
}
