import { Hono } from 'hono';
import type { Logger } from 'pino';
import type { JobwatchClient } from '../../client/jobwatch-client.ts';
import type { MonitorState } from '../../client/monitor-state.ts';
import { operationDefaults, type Config } from '../../config/config.ts';
import { namespaceFor } from '../../access/request-namespace.ts';
import { namespaceField } from '../../monitor/namespace.ts';
import { parseOperationInput } from '../../monitor/operation-input.ts';
import type { StatusUrlPolicy } from '../allowed-urls.ts';
import type { AuthEnv } from '../auth.ts';
import { startCounted, type QuotaDeps } from '../counted-start.ts';
import { assertUrlAllowed, monitorPath, readJsonBody } from './monitors.ts';

export interface OperationRoutesDeps {
  client: JobwatchClient;
  config: Config;
  statusUrls: StatusUrlPolicy;
  logger: Logger;
  quotas: QuotaDeps;
}

const EXAMPLE = '{"source": "render", "request": {"body": {"scene": 7}}, "monitorId": "render-42"}';

/**
 * `POST /api/operations`: starts an operation in the caller's namespace, within its quotas. The
 * start request itself is the workers' first step: this answers as soon as the operation exists.
 */
export function operationRoutes(deps: OperationRoutesDeps): Hono<AuthEnv> {
  const app = new Hono<AuthEnv>();
  app.post('/', async (c) => {
    const input = await readJsonBody(c, deps.config.maxBodyBytes, EXAMPLE);
    const principal = c.get('principal');
    const isObject = typeof input === 'object' && input !== null && !Array.isArray(input);
    const namespace = namespaceFor(principal, isObject ? (input as Record<string, unknown>).namespace : undefined);
    const operation = parseOperationInput(isObject ? { ...input, namespace } : input, operationDefaults(deps.config), Date.now());
    // A notification URL is a request jobwatch makes on the caller's behalf; the start and status URLs are the source's.
    if (operation.notify?.url) assertUrlAllowed(deps.statusUrls, operation.notify.url, operation.monitorId, 'notifyUrl');
    const { monitor, created } = await startCounted(deps.client, deps.quotas, principal, operation, { traceparent: c.req.header('traceparent'), tracestate: c.req.header('tracestate') });
    if (created) {
      deps.logger.info({ ...namespaceField(operation), monitorId: monitor.monitorId, source: operation.status.kind === 'source' ? operation.status.name : undefined, via: 'http', key: principal.name }, 'operation started');
    }
    c.header('Location', monitorPath(monitor));
    return c.json(monitor satisfies MonitorState, created ? 201 : 200);
  });
  return app;
}
