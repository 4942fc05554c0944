import { Hono } from 'hono';
import type { z } from 'zod';
import type { QuotaSettings } from '../../access/quotas.ts';
import { quotaUsage, quotaUseJson } from '../../quotas/quota-report.ts';
import type { RedisQuotas } from '../../quotas/redis-quotas.ts';
import type { quotaListSchema } from '../api-schemas.ts';
import type { AuthEnv } from '../auth.ts';
import { readableNamespaces } from '../../access/request-namespace.ts';

export interface QuotaRoutesDeps {
  quotas: Pick<RedisQuotas, 'usage' | 'namespacesCounted'>;
  settings: QuotaSettings;
}

/** `/api/quotas`: each of the caller's namespaces' use of its quotas against them, as `jobwatch quotas` shows it. */
export function quotaRoutes(deps: QuotaRoutesDeps): Hono<AuthEnv> {
  const app = new Hono<AuthEnv>();
  app.get('/', async (c) => {
    const uses = await quotaUsage(deps.quotas, deps.settings, readableNamespaces(c.get('principal')) ?? '*');
    return c.json({ namespaces: uses.map(quotaUseJson) } satisfies z.infer<typeof quotaListSchema>);
  });
  return app;
}
