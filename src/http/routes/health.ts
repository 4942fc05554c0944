import { Hono } from 'hono';
import type { RedisConnection } from '../../redis/connection.ts';
import { pingDatabase, type DatabaseHandle } from '../../db/database.ts';
import { postgresErrorCode } from '../../db/postgres-errors.ts';
import { coerceError } from '../../errors/errors.ts';
import { withTimeout } from '../../time/with-timeout.ts';
import type { HealthReport } from '../api-schemas.ts';

/** Longest /healthz waits for each service; an answer later than this counts as down. */
const PROBE_TIMEOUT_MS = 2_000;

export interface HealthDeps {
  redis: RedisConnection;
  database: DatabaseHandle;
}

/**
 * `/healthz`: 200 when Redis and Postgres both answer, 503 naming what is down. Open without a
 * token, for load balancers and orchestrators; it says nothing an attacker could use.
 */
export function healthRoutes(deps: HealthDeps): Hono {
  const app = new Hono();
  app.get('/healthz', async (c) => {
    const [redis, postgres] = await Promise.all([
      probe(() => deps.redis.ping(), 'Redis'),
      probe(() => pingDatabase(deps.database), 'Postgres'),
    ]);
    const up = redis === 'ok' && postgres === 'ok';
    return c.json({ status: up ? 'ok' : 'down', redis, postgres } satisfies HealthReport, up ? 200 : 503);
  });
  return app;
}

/** `ok`, or `down: <reason>` with a code or a short message; never a connection URL. */
async function probe(call: () => Promise<unknown>, what: string): Promise<string> {
  try {
    await withTimeout(call(), PROBE_TIMEOUT_MS, what);
    return 'ok';
  } catch (caught) {
    return `down: ${postgresErrorCode(caught) ?? coerceError(caught).message}`;
  }
}
