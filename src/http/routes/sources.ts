import { Hono } from 'hono';
import type { Config } from '../../config/config.ts';
import { InvalidInputError } from '../../errors/errors.ts';
import type { SecretEnv } from '../../status/source-credentials.ts';
import { summarizeSources } from '../../status/source-list.ts';
import { trySource } from '../../status/source-try.ts';
import { sourceTryInputSchema, type sourceListSchema, type sourceTrySchema } from '../api-schemas.ts';
import { readJsonBody } from './monitors.ts';
import type { AuthEnv } from '../auth.ts';
import { namespaceFor, readableNamespaces } from '../../access/request-namespace.ts';
import { isOpenTo } from '../../sources/check-monitor-source.ts';
import { sourceNamed } from '../../sources/sources-file.ts';
import type { z } from 'zod';

export interface SourceRoutesDeps {
  config: Config;
  /** Where the server looks up sources' `{ "env": NAME }` credentials. */
  env: SecretEnv;
}

/**
 * `/api/sources`: the sources of JOBWATCH_SOURCES open to the caller's namespaces (never a
 * secret), and one tried check of a source for a job, in the namespace the caller acts in.
 */
export function sourceRoutes(deps: SourceRoutesDeps): Hono<AuthEnv> {
  const { config, env } = deps;
  const app = new Hono<AuthEnv>();

  app.get('/', async (c) => {
    const readable = readableNamespaces(c.get('principal'));
    const openToCaller = (name: string) => {
      const source = config.sources && sourceNamed(config.sources, name);
      return readable === undefined || (source !== undefined && readable.some((namespace) => isOpenTo(source, namespace)));
    };
    const sources = (await summarizeSources(config.sources, env)).filter((summary) => openToCaller(summary.name));
    return c.json({ sources } satisfies z.infer<typeof sourceListSchema>);
  });

  app.post('/:name/try', async (c) => {
    const parsed = sourceTryInputSchema.safeParse(await readJsonBody(c, config.maxBodyBytes, '{"jobId": "17", "params": {"owner": "acme"}}'));
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      throw new InvalidInputError(issue.path.filter((part): part is string | number => typeof part !== 'symbol'), issue.message, 'body');
    }
    const { jobId, params = {} } = parsed.data;
    // One real request, as a worker's poll would make it; nothing is started or written.
    const namespace = namespaceFor(c.get('principal'), c.req.query('namespace'));
    return c.json((await trySource(config.sources, env, config.statusTimeoutMs, c.req.param('name'), jobId, params, namespace)) satisfies z.infer<typeof sourceTrySchema>);
  });

  return app;
}
