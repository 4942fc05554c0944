import { Hono, type Context } from 'hono';
import type { Logger } from 'pino';
import type { JobwatchClient } from '../../client/jobwatch-client.ts';
import type { MonitorPage } from '../../client/list-monitors.ts';
import type { CheckPage } from '../../client/check-page.ts';
import type { MonitorState } from '../../client/monitor-state.ts';
import { monitorDefaults, type Config } from '../../config/config.ts';
import { InvalidInputError, MonitorNotFoundError } from '../../errors/errors.ts';
import { parseMonitorInput } from '../../monitor/input.ts';
import { readJson } from '../../json/bounded-json.ts';
import type { StatusUrlPolicy } from '../allowed-urls.ts';
import { BodyTooLargeError } from '../errors-to-http.ts';
import type { AuthEnv } from '../auth.ts';
import { startCounted, type QuotaDeps } from '../counted-start.ts';
import { namespaceFor, readableNamespaces } from '../../access/request-namespace.ts';
import { DEFAULT_NAMESPACE, namespaceField, type MonitorRef } from '../../monitor/namespace.ts';

export interface MonitorRoutesDeps {
  client: JobwatchClient;
  config: Config;
  statusUrls: StatusUrlPolicy;
  logger: Logger;
  quotas: QuotaDeps;
}

/** `/api/monitors`: start, list, read and cancel monitors, each in the caller's namespaces; thin over JobwatchClient. */
export function monitorRoutes(deps: MonitorRoutesDeps): Hono<AuthEnv> {
  const { client, logger } = deps;
  const app = new Hono<AuthEnv>();

  app.post('/', async (c) => {
    const input = await readJsonBody(c, deps.config.maxBodyBytes);
    const principal = c.get('principal');
    const namespace = namespaceFor(principal, isObject(input) ? input.namespace : undefined);
    // The one validation of monitor input, then the HTTP-only rule: the allow-list of status URLs.
    // The client takes the validated monitor as it is.
    const validated = parseMonitorInput(isObject(input) ? { ...input, namespace } : input, monitorDefaults(deps.config), Date.now());
    if (validated.status.kind === 'http') deps.statusUrls.assertAllowed(validated.status.url, validated.jobId);
    if (validated.status.kind === 'batch') assertUrlAllowed(deps.statusUrls, validated.status.url, validated.jobId, 'batchStatusUrl');
    // A notification URL is a request jobwatch makes on the caller's behalf, as a status URL is.
    if (validated.notify?.url) assertUrlAllowed(deps.statusUrls, validated.notify.url, validated.jobId, 'notifyUrl');
    const { monitor, created } = await startCounted(client, deps.quotas, principal, validated, { traceparent: c.req.header('traceparent'), tracestate: c.req.header('tracestate') });
    if (created) logger.info({ ...namespaceField(validated), monitorId: monitor.monitorId, jobId: monitor.jobId, via: 'http', key: principal.name }, 'monitor started');
    c.header('Location', monitorPath(monitor));
    return c.json(monitor satisfies MonitorState, created ? 201 : 200);
  });

  app.get('/', async (c) => {
    const principal = c.get('principal');
    const { state, limit, cursor, namespace, idPrefix, metadata, from, to } = c.req.query();
    // A namespace the query names must be one the key may read; without one, every namespace it may.
    if (namespace !== undefined) namespaceFor(principal, namespace);
    const page = await client.listMonitors({ state, limit, cursor, namespace, idPrefix, metadata, from, to }, readableNamespaces(principal));
    return c.json(page satisfies MonitorPage);
  });

  app.get('/:id', async (c) => {
    const monitor = monitorOf(c);
    const state = await client.getMonitor(monitor);
    if (!state) throw new MonitorNotFoundError(`no monitor with id ${monitor.monitorId}`);
    return c.json(state satisfies MonitorState);
  });

  app.get('/:id/checks', async (c) => {
    const { limit, cursor } = c.req.query();
    return c.json((await client.getChecks(monitorOf(c), { limit, cursor })) satisfies CheckPage);
  });

  app.delete('/:id', async (c) => {
    const state = await client.cancelMonitor(monitorOf(c));
    logger.info({ ...namespaceField(state), monitorId: state.monitorId, jobId: state.jobId, via: 'http', state: state.state, key: c.get('principal').name }, 'cancel requested');
    return c.json(state satisfies MonitorState);
  });

  return app;
}

/** The monitor a request names: `:id` in the namespace the key acts in (`?namespace=` picks one of several). */
export function monitorOf(c: Context<AuthEnv>): MonitorRef {
  return { namespace: namespaceFor(c.get('principal'), c.req.query('namespace')), monitorId: c.req.param('id')! };
}

/** A monitor's URL in the API: its id, and its namespace unless that is the default one. */
export function monitorPath(monitor: { namespace: string; monitorId: string }): string {
  const query = monitor.namespace === DEFAULT_NAMESPACE ? '' : `?namespace=${monitor.namespace}`;
  return `/api/monitors/${encodeURIComponent(monitor.monitorId)}${query}`;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * The request's body as JSON, read within bounds (size, UTF-8, depth); an empty or malformed one is
 * bad input naming `body` (or the field too deep). `example` is what the error suggests.
 */
export async function readJsonBody(c: Context, maxBytes: number, example = '{"jobId": "j-1", "statusUrl": "http://127.0.0.1:4000/jobs/{jobId}"}'): Promise<unknown> {
  const bytes = new Uint8Array(await c.req.arrayBuffer());
  if (bytes.every(isJsonSpace)) {
    throw new InvalidInputError('body', `is empty; send a JSON object such as ${example}`);
  }
  const json = readJson(bytes, { maxBytes });
  if (json.ok) return json.value;
  if (json.problem === 'too-large') throw new BodyTooLargeError(`body: ${json.reason} (JOBWATCH_MAX_BODY_BYTES)`);
  // Too deep: named by the field it sits in (`metadata`), not by a path 64 keys long.
  throw new InvalidInputError(json.problem === 'too-deep' ? topField(json.path) : 'body', json.reason);
}

function isJsonSpace(byte: number): boolean {
  return byte === 0x20 || byte === 0x09 || byte === 0x0a || byte === 0x0d;
}

/** The leading array indexes of a path and the first field name after them: `[0, 'metadata']`. */
function topField(path: readonly (string | number)[]): (string | number)[] {
  const field = path.findIndex((segment) => typeof segment === 'string');
  return field < 0 ? ['body'] : path.slice(0, field + 1);
}

/** The allow-list check of status URLs, for another URL field; its error names that field. */
export function assertUrlAllowed(policy: StatusUrlPolicy, url: string, jobId: string, field: string): void {
  try {
    policy.assertAllowed(url, jobId);
  } catch (error) {
    throw error instanceof InvalidInputError ? error.at(field) : error;
  }
}
