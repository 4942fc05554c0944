import type { Context, MiddlewareHandler } from 'hono';
import type { Logger } from 'pino';
import { authenticate, type Refusal } from '../access/authenticate.ts';
import type { KeyTable } from '../access/keys-file.ts';
import { hasScope, type Principal, type Scope } from '../access/principal.ts';
import { ForbiddenError } from '../errors/errors.ts';
import type { ErrorBody } from './api-schemas.ts';
import { credentialOf, inProtectedArea, ruleFor } from './route-access.ts';
import { logRefused } from './refusal-log.ts';

/** What the authentication middleware leaves for the routes: `c.get('principal')`, who is asking. */
export interface AuthEnv {
  Variables: { principal: Principal };
}

export interface AccessOptions {
  /** JOBWATCH_API_TOKEN: one key, admin on every namespace. */
  apiToken?: string | undefined;
  /** The keys file's store (src/keys/key-store.ts); absent when JOBWATCH_KEYS_FILE is unset. */
  keys?: { current(): KeyTable } | undefined;
  /** Where each key's last use goes (coarsely). */
  lastUse?: { record(name: string): void } | undefined;
  logger: Logger;
  /** For keys' expiry. @defaultValue Date.now */
  clock?: () => number;
}

/**
 * The one access check of every request, by the table in route-access.ts: public routes pass;
 * any other request in a protected area must carry a key (`Authorization: Bearer` for the API and
 * /metrics, the basic-auth password for the pages), which must hold the route's scope. With
 * neither JOBWATCH_API_TOKEN nor JOBWATCH_KEYS_FILE, every request is an anonymous admin: such a
 * server listens on loopback only (assertBindAllowed).
 */
export function requireAccess(options: AccessOptions): MiddlewareHandler<AuthEnv> {
  const clock = options.clock ?? Date.now;
  return async (c, next) => {
    const rule = ruleFor(c.req.method, c.req.path);
    if (rule?.access === 'public' || (!rule && !inProtectedArea(c.req.path))) return next();
    const credential = credentialOf(c.req.path);
    const header = c.req.header('authorization');
    const presented = credential === 'basic' ? basicPassword(header) : bearerToken(header);
    const result = authenticate(presented, { apiToken: options.apiToken, keys: options.keys?.current() }, clock());
    if (!result.ok) {
      logRefusal(options.logger, c, result.refusal);
      return credential === 'basic' ? refuseBasic(c, result.refusal) : refuseBearer(c, result.refusal);
    }
    if (result.keyName !== undefined) options.lastUse?.record(result.keyName);
    c.set('principal', result.principal);
    if (!rule) return c.notFound();
    if (rule.access !== 'authenticated' && !hasScope(result.principal, rule.access)) {
      // Answered here rather than thrown, so that an app without the API's error handler (a worker's /metrics) answers it too.
      const { message } = forbidden(rule.access);
      return credential === 'basic' ? c.text(message, 403) : c.json({ error: message } satisfies ErrorBody, 403);
    }
    return next();
  };
}

/** The 403 of a key without the scope a route needs. */
export function forbidden(scope: Scope): ForbiddenError {
  return new ForbiddenError(`forbidden: this key lacks the ${scope} scope`);
}

function refuseBearer(c: Context, refusal: Refusal): Response {
  c.header('WWW-Authenticate', 'Bearer realm="jobwatch"');
  // An expired key is told so, and nothing more: its holder knows which key it is.
  const error = refusal === 'key expired' ? refusal : `${refusal}: send Authorization: Bearer <key> (a key of JOBWATCH_KEYS_FILE, or JOBWATCH_API_TOKEN)`;
  return c.json({ error } satisfies ErrorBody, 401);
}

function refuseBasic(c: Context, refusal: Refusal): Response {
  c.header('WWW-Authenticate', 'Basic realm="jobwatch board", charset="UTF-8"');
  return c.text(refusal === 'key expired' ? refusal : `${refusal}: log in with any user name and an API key (or JOBWATCH_API_TOKEN) as the password`, 401);
}

function bearerToken(header: string | undefined): string | undefined {
  return /^Bearer +(\S+)\s*$/i.exec(header ?? '')?.[1];
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
