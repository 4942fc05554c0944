import { createHash, timingSafeEqual } from 'node:crypto';
import type { Context, MiddlewareHandler } from 'hono';
import type { Logger } from 'pino';
import type { ErrorBody } from './api-schemas.ts';
import { logRefused } from './refusal-log.ts';

/**
 * Compares a presented secret with the expected one in constant time. Both are hashed first, so
 * the buffers have equal lengths (timingSafeEqual demands it) and the length leaks nothing either.
 */
export function secretMatches(presented: string, expected: string): boolean {
  const digest = (value: string) => createHash('sha256').update(value, 'utf8').digest();
  return timingSafeEqual(digest(presented), digest(expected));
}

/** Why a request was refused; logged, never with the header's value. */
type Refusal = 'missing credentials' | 'wrong credentials';

/**
 * `Authorization: Bearer <token>` for the API and /metrics. With no token configured the server
 * listens on loopback only (see assertBindAllowed), and requests pass.
 */
export function requireBearerToken(token: string | undefined, logger: Logger): MiddlewareHandler {
  return async (c, next) => {
    if (!token) return next();
    const presented = /^Bearer +(\S+)\s*$/i.exec(c.req.header('authorization') ?? '')?.[1];
    const refusal = checkSecret(presented, token);
    if (!refusal) return next();
    logRefusal(logger, c, refusal);
    c.header('WWW-Authenticate', 'Bearer realm="jobwatch"');
    return c.json({ error: `${refusal}: send Authorization: Bearer <JOBWATCH_API_TOKEN>` } satisfies ErrorBody, 401);
  };
}

/**
 * HTTP basic auth for the board, which a browser can send by itself: any user name, the API
 * token as the password.
 */
export function requireBasicAuth(token: string | undefined, logger: Logger): MiddlewareHandler {
  return async (c, next) => {
    if (!token) return next();
    const refusal = checkSecret(basicPassword(c.req.header('authorization')), token);
    if (!refusal) return next();
    logRefusal(logger, c, refusal);
    c.header('WWW-Authenticate', 'Basic realm="jobwatch board", charset="UTF-8"');
    return c.text(`${refusal}: log in with any user name and JOBWATCH_API_TOKEN as the password`, 401);
  };
}

function checkSecret(presented: string | undefined, expected: string): Refusal | undefined {
  if (presented === undefined) return 'missing credentials';
  return secretMatches(presented, expected) ? undefined : 'wrong credentials';
}

function basicPassword(header: string | undefined): string | undefined {
  const encoded = /^Basic +([A-Za-z0-9+/=]+)\s*$/i.exec(header ?? '')?.[1];
  if (!encoded) return undefined;
  const decoded = Buffer.from(encoded, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return colon === -1 ? undefined : decoded.slice(colon + 1);
}

/** Bounded (a line a second per client address, the path cut): see RefusalLog. */
function logRefusal(logger: Logger, c: Context, reason: Refusal): void {
  logRefused(logger, c, { method: c.req.method, path: c.req.path, reason });
}
