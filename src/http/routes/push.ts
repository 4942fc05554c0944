import { Hono, type Context } from 'hono';
import type { Logger } from 'pino';
import { isCallbackToken } from '../../client/callback-url.ts';
import type { JobwatchClient, ReportOptions } from '../../client/jobwatch-client.ts';
import type { Principal } from '../../access/principal.ts';
import { quotaExceeded } from '../../access/quota-ledger.ts';
import { namespaceQuotas } from '../../access/quotas.ts';
import type { QuotaDeps } from '../counted-start.ts';
import type { PushAnswer } from '../../client/push-answer.ts';
import { MonitorNotFoundError } from '../../errors/errors.ts';
import { monitorOf, readJsonBody } from './monitors.ts';
import type { AuthEnv } from '../auth.ts';
import { isNamespace, namespaceField, type MonitorRef } from '../../monitor/namespace.ts';
import { callbackAnswer, type CallbackAnswer } from '../api-schemas.ts';

export interface PushRoutesDeps {
  client: JobwatchClient;
  logger: Logger;
  /** JOBWATCH_CALLBACK_SECRET; without it there are no callback routes. */
  callbackSecret: string | undefined;
  /** JOBWATCH_MAX_BODY_BYTES: the largest body read. */
  maxBodyBytes: number;
  /** Early pushes count against their namespace's quotas. */
  quotas: QuotaDeps;
  /** JOBWATCH_EARLY_STATUS_TTL: how long an early push is kept, and so counted. */
  earlyStatusTtlMs: number;
}

/**
 * Counts an early push against its namespace's quotas before it is kept, as the caller's key is
 * held to them (a callback URL has no key: its namespace's own quotas apply).
 */
function countEarlyPush(deps: PushRoutesDeps, principal: Principal | undefined): ReportOptions['beforeKeep'] {
  return async ({ namespace, key, pushed }) => {
    const limits = namespaceQuotas(deps.quotas.settings, namespace, principal);
    const bytes = Buffer.byteLength(JSON.stringify(pushed));
    const admitted = await deps.quotas.ledger.reserveEarlyPush(namespace, key, bytes, deps.earlyStatusTtlMs, limits);
    if (!admitted.ok) throw quotaExceeded(admitted);
  };
}

/**
 * A pushed status, the same behind both routes: 200 with the monitor after the push (`accepted`
 * says whether this push decided its end), or 202 when no monitor has the id yet and it is kept.
 * Through a callback URL the answer is only `{accepted, state, outcome}`: the URL proves the right
 * to push for one monitor, which a job service holds, not the right to read it.
 */
async function pushStatus(c: Context, deps: PushRoutesDeps, monitor: MonitorRef, via: 'api' | 'callback', principal?: Principal): Promise<Response> {
  const body = await readJsonBody(c, deps.maxBodyBytes, '{"status": "Completed"}');
  const answer = await deps.client.reportStatus(monitor, body, { beforeKeep: countEarlyPush(deps, principal) });
  deps.logger.info({ ...namespaceField(monitor), monitorId: monitor.monitorId, via, state: answer.state, accepted: answer.accepted }, 'status pushed');
  const code = answer.state === 'not-started' ? 202 : 200;
  return via === 'callback' ? c.json(callbackAnswer(answer) satisfies CallbackAnswer, code) : c.json(answer satisfies PushAnswer, code);
}

/** `POST /api/monitors/:id/status`, behind a key with the push scope, in the key's namespace. */
export function pushRoutes(deps: PushRoutesDeps): Hono<AuthEnv> {
  const app = new Hono<AuthEnv>();
  app.post('/:id/status', (c) => pushStatus(c, deps, monitorOf(c), 'api', c.get('principal')));
  return app;
}

/**
 * `POST /callbacks/:id/:token` (a monitor of the default namespace) and
 * `POST /callbacks/:namespace/:id/:token`: the same push without a key; the token in the path is
 * the credential, an HMAC of the namespace and id, so it pushes to that one monitor only. A wrong
 * token answers exactly as an unknown route does, so it tells nothing.
 */
export function callbackRoutes(deps: PushRoutesDeps): Hono {
  const app = new Hono();
  const push = (c: Context, monitor: MonitorRef, token: string) => {
    if (!deps.callbackSecret || !isCallbackToken(deps.callbackSecret, monitor, token)) {
      throw new MonitorNotFoundError(`no monitor with id ${monitor.monitorId}`);
    }
    return pushStatus(c, deps, monitor, 'callback');
  };
  app.post('/:id/:token', (c) => push(c, { monitorId: c.req.param('id') }, c.req.param('token')));
  app.post('/:namespace/:id/:token', (c) => {
    const namespace = c.req.param('namespace');
    // Not a namespace's name: answered as any wrong callback URL is.
    if (!isNamespace(namespace)) throw new MonitorNotFoundError(`no monitor with id ${c.req.param('id')}`);
    return push(c, { namespace, monitorId: c.req.param('id') }, c.req.param('token'));
  });
  return app;
}
