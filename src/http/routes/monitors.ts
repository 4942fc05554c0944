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

export interface MonitorRoutesDeps {
  client: JobwatchClient;
  config: Config;
  statusUrls: StatusUrlPolicy;
  logger: Logger;
}

/** `/api/monitors`: start, list, read and cancel monitors; thin over JobwatchClient. */
export function monitorRoutes(deps: MonitorRoutesDeps): Hono {
  const { client, logger } = deps;
  const app = new Hono();

  app.post('/', async (c) => {
    const input = await readJsonBody(c, deps.config.maxBodyBytes);
    // The one validation of monitor input, then the HTTP-only rule: the allow-list of status URLs.
    // The client takes the validated monitor as it is.
    const validated = parseMonitorInput(input, monitorDefaults(deps.config), Date.now());
    if (validated.status.kind === 'http') deps.statusUrls.assertAllowed(validated.status.url, validated.jobId);
    if (validated.status.kind === 'batch') assertUrlAllowed(deps.statusUrls, validated.status.url, validated.jobId, 'batchStatusUrl');
    // A notification URL is a request jobwatch makes on the caller's behalf, as a status URL is.
    if (validated.notify?.url) assertUrlAllowed(deps.statusUrls, validated.notify.url, validated.jobId, 'notifyUrl');
    const { monitor, created } = await client.startMonitor(validated);
    if (created) logger.info({ monitorId: monitor.monitorId, jobId: monitor.jobId, via: 'http' }, 'monitor started');
    c.header('Location', `/api/monitors/${encodeURIComponent(monitor.monitorId)}`);
    return c.json(monitor satisfies MonitorState, created ? 201 : 200);
  });

  app.get('/', async (c) => {
    const { state, limit, cursor, idPrefix, metadata, from, to } = c.req.query();
    return c.json((await client.listMonitors({ state, limit, cursor, idPrefix, metadata, from, to })) satisfies MonitorPage);
  });

  app.get('/:id', async (c) => {
    const monitorId = c.req.param('id');
    const state = await client.getMonitor(monitorId);
    if (!state) throw new MonitorNotFoundError(`no monitor with id ${monitorId}`);
    return c.json(state satisfies MonitorState);
  });

  app.get('/:id/checks', async (c) => {
    const { limit, cursor } = c.req.query();
    return c.json((await client.getChecks(c.req.param('id'), { limit, cursor })) satisfies CheckPage);
  });

  app.delete('/:id', async (c) => {
    const state = await client.cancelMonitor(c.req.param('id'));
    logger.info({ monitorId: state.monitorId, jobId: state.jobId, via: 'http', state: state.state }, 'cancel requested');
    return c.json(state satisfies MonitorState);
  });

  return app;
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
function assertUrlAllowed(policy: StatusUrlPolicy, url: string, jobId: string, field: string): void {
  try {
    policy.assertAllowed(url, jobId);
  } catch (error) {
    throw error instanceof InvalidInputError ? error.at(field) : error;
  }
}
