import { Hono } from 'hono';
import type { Config } from '../../config/config.ts';
import { InvalidInputError } from '../../errors/errors.ts';
import type { SecretEnv } from '../../status/source-credentials.ts';
import { summarizeSources } from '../../status/source-list.ts';
import { trySource } from '../../status/source-try.ts';
import { sourceTryInputSchema, type sourceListSchema, type sourceTrySchema } from '../api-schemas.ts';
import { readJsonBody } from './monitors.ts';
import type { z } from 'zod';

export interface SourceRoutesDeps {
  config: Config;
  /** Where the server looks up sources' `{ "env": NAME }` credentials. */
  env: SecretEnv;
}

/** `/api/sources`: the sources of JOBWATCH_SOURCES (never a secret), and one tried check of a source for a job. */
export function sourceRoutes(deps: SourceRoutesDeps): Hono {
  const { config, env } = deps;
  const app = new Hono();

  app.get('/', async (c) => c.json({ sources: await summarizeSources(config.sources, env) } satisfies z.infer<typeof sourceListSchema>));

  app.post('/:name/try', async (c) => {
    const parsed = sourceTryInputSchema.safeParse(await readJsonBody(c, config.maxBodyBytes, '{"jobId": "17", "params": {"owner": "acme"}}'));
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      throw new InvalidInputError(issue.path.filter((part): part is string | number => typeof part !== 'symbol'), issue.message, 'body');
    }
    const { jobId, params = {} } = parsed.data;
    // One real request, as a worker's poll would make it; nothing is started or written.
    return c.json((await trySource(config.sources, env, config.statusTimeoutMs, c.req.param('name'), jobId, params)) satisfies z.infer<typeof sourceTrySchema>);
  });

  return app;
}
