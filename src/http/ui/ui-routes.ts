import { Hono, type Context, type MiddlewareHandler } from 'hono';
import type { AuthEnv } from '../auth.ts';
import type { QuotaRoutesDeps } from '../routes/quotas.ts';
import { quotaUsage } from '../../quotas/quota-report.ts';
import { ALL_NAMESPACES } from '../../access/principal.ts';
import { readableNamespaces } from '../../access/request-namespace.ts';
import { monitorOf } from '../routes/monitors.ts';
import { keyOf, namespaceField } from '../../monitor/namespace.ts';
import { csrf } from 'hono/csrf';
import { html } from 'hono/html';
import { HTTPException } from 'hono/http-exception';
import type { Logger } from 'pino';
import type { JobwatchClient } from '../../client/jobwatch-client.ts';
import type { ListQueryInput } from '../../client/list-query.ts';
import type { MonitorState } from '../../client/monitor-state.ts';
import type { Config } from '../../config/config.ts';
import { MonitorNotFoundError } from '../../errors/errors.ts';
import type { HostState } from '../../monitor/gate/decisions.ts';
import type { HostStateProvider } from '../../monitor/gate/request-gate.ts';
import { toQueueJobId } from '../../monitor/queue-job-id.ts';
import type { MonitorQueues } from '../../queue/queues.ts';
import { withTimeout } from '../../time/with-timeout.ts';
import { answerWithin } from '../answer-within.ts';
import { classifyError, INTERNAL_ERROR } from '../errors-to-http.ts';
import { ASSETS, type AssetName } from './assets.ts';
import { page, UI_PATH, type Html, type Section } from './layout.ts';
import { FILTER_NAMES, listBody, monitorLink, type ListFilters } from './list-page.ts';
import { monitorBody } from './monitor-page.ts';
import { overviewBody, rateKeyOfHost } from './overview-page.ts';

export interface UiDeps {
  client: JobwatchClient;
  /** The deployment's queues, for the board links. */
  queues: MonitorQueues;
  config: Config;
  logger: Logger;
  /** Where Bull Board is mounted, for links to a monitor's job. */
  boardPath: string;
  /** Each status host's rate-limit and circuit state; absent: the host table has no state column. */
  hostStates?: HostStateProvider;
  /** Longest a page may take before it answers 503 (Redis or Postgres not answering). */
  timeoutMs: number;
  /** @defaultValue Date.now */
  clock?: () => number;
  /** Where each namespace's use of its quotas is read, and its quotas; absent: no quota section. */
  quotas?: QuotaRoutesDeps;
}

/** Checks per page of a monitor's timeline. */
export const TIMELINE_PAGE = 200;

/**
 * Nothing but jobwatch's own script and stylesheet runs or loads; forms post to jobwatch only; no
 * other site may frame the pages.
 */
const CONTENT_SECURITY_POLICY = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

/**
 * The monitors page, server-rendered HTML at /ui: the overview, the monitor list and each
 * monitor's page. Every view is a plain GET that works without JavaScript; the only write is the
 * cancel form, offered when JOBWATCH_BOARD_WRITE allows the board's writes too.
 */
export function uiRoutes(deps: UiDeps): Hono<AuthEnv> {
  const { client, config, logger } = deps;
  const clock = deps.clock ?? Date.now;
  const render = (c: Context, title: string, section: Section, body: Html, status: 200 | 400 | 403 | 404 | 500 | 503 = 200) =>
    c.html(page(title, section, body, { boardPath: deps.boardPath }), status);
  const app = new Hono<AuthEnv>();
  app.use('*', securityHeaders(), answerWithin(deps.timeoutMs));
  // Each view shows the namespaces the caller's key may read, and no other.
  const readable = (c: Context<AuthEnv>) => readableNamespaces(c.get('principal'));

  app.get('/assets/:name', (c) => {
    const asset = ASSETS[c.req.param('name') as AssetName];
    if (!Object.hasOwn(ASSETS, c.req.param('name')) || !asset) return render(c, 'Not found', 'none', html`<p class="error">no such asset</p>`, 404);
    c.header('Cache-Control', 'public, max-age=86400');
    return c.body(asset.body, 200, { 'Content-Type': asset.type });
  });

  app.get('/', async (c) => {
    const overview = await client.readOverview(readable(c));
    const hostStates = deps.hostStates && await readHostStates(deps.hostStates, overview.hosts.map(rateKeyOfHost), logger);
    const quotas = deps.quotas && await quotaUsage(deps.quotas.quotas, deps.quotas.settings, readable(c) ?? ALL_NAMESPACES);
    return render(c, 'Overview', 'overview', overviewBody({ overview, history: config.history, ...(hostStates ? { hostStates } : {}), ...(quotas ? { quotas } : {}) }));
  });

  app.get('/monitors', async (c) => {
    const filters = readFilters(c);
    const page = await client.listMonitors({ ...filters, cursor: c.req.query('cursor') || undefined } satisfies ListQueryInput, readable(c));
    return render(c, 'Monitors', 'monitors', listBody(page, filters, clock()));
  });

  app.get('/monitors/:id', async (c) => {
    const named = monitorOf(c);
    const monitorId = named.monitorId;
    const monitor = await client.getMonitor(named);
    if (!monitor) throw new MonitorNotFoundError(`no monitor with id ${monitorId}`);
    const checksCursor = c.req.query('checks') || undefined;
    const checks = await client.getChecks(named, { limit: TIMELINE_PAGE, ...(checksCursor ? { cursor: checksCursor } : {}) });
    return render(c, monitorId, 'monitors', monitorBody({
      monitor, checks, writable: config.boardWrite, boardUrl: boardJobUrl(deps, monitor), now: clock(), ...(checksCursor ? { checksCursor } : {}),
    }));
  });

  // A form post carries the browser's basic-auth credentials by itself: only same-origin posts count.
  app.post('/monitors/:id/cancel', csrf({ origin: (origin, c) => origin === new URL(c.req.url).origin || origin === new URL(config.publicUrl).origin }), async (c) => {
    if (!config.boardWrite) {
      return render(c, 'Not allowed', 'none', html`<p class="error">cancel: the monitors page is read-only; set JOBWATCH_BOARD_WRITE=1 to allow it</p>`, 403);
    }
    const state = await client.cancelMonitor(monitorOf(c));
    logger.info({ ...namespaceField(state), monitorId: state.monitorId, jobId: state.jobId, via: 'ui', state: state.state, key: c.get('principal').name }, 'cancel requested');
    return c.redirect(monitorLink(state), 303);
  });

  app.all('*', (c) => render(c, 'Not found', 'none', html`<p class="error">no page ${c.req.method} ${c.req.path}; start at <a href="${UI_PATH}">${UI_PATH}</a></p>`, 404));

  app.onError((error, c) => {
    if (error instanceof HTTPException && error.status === 403) {
      return render(c, 'Not allowed', 'none', html`<p class="error">cancel: refused a form posted from another site (its Origin is not this server's)</p>`, 403);
    }
    const { status, error: known } = classifyError(c, error, logger);
    const title = status === 400 ? 'Bad request' : status === 404 ? 'Not found' : 'Error';
    return render(c, title, 'none', html`<p class="error">${known?.message ?? INTERNAL_ERROR}</p>`, status as 400 | 404 | 500 | 503);
  });
  return app;
}

/** Longest the overview waits for the status hosts' state before it shows the page without it. */
export const HOST_STATE_TIMEOUT_MS = 2_000;

/**
 * The hosts' gate state, or `unavailable` when it cannot be read now (Redis slow or down): the
 * overview is still worth showing without its state column's values.
 */
async function readHostStates(provider: HostStateProvider, hosts: string[], logger: Logger): Promise<ReadonlyMap<string, HostState> | 'unavailable'> {
  try {
    return await withTimeout(provider.hostStates(hosts), HOST_STATE_TIMEOUT_MS, 'reading the status hosts\' state');
  } catch (error) {
    logger.warn({ err: error }, 'monitors page: the status hosts\' rate-limit and circuit state could not be read; shown without it');
    return 'unavailable';
  }
}

/** The filters of the list's query string; an empty field (as a form sends it) is no filter. */
function readFilters(c: Context): ListFilters {
  const filters: ListFilters = {};
  for (const name of FILTER_NAMES) {
    const value = c.req.query(name);
    if (value) filters[name] = value;
  }
  return filters;
}

/** The monitor's job in Bull Board: its poll job while it runs, its completion job after (kept an hour). */
function boardJobUrl(deps: UiDeps, monitor: MonitorState): string {
  const queue = monitor.state === 'ended' ? deps.queues.completions : deps.queues.pollsOf(monitor.monitorId);
  return `${deps.boardPath}/queue/${encodeURIComponent(queue.name)}/${encodeURIComponent(toQueueJobId(keyOf(monitor)))}`;
}

function securityHeaders(): MiddlewareHandler {
  return async (c, next) => {
    await next();
    c.header('Content-Security-Policy', CONTENT_SECURITY_POLICY);
    c.header('X-Content-Type-Options', 'nosniff');
    c.header('Referrer-Policy', 'same-origin');
    if (!c.req.path.includes('/assets/')) c.header('Cache-Control', 'no-store');
  };
}
