import { Hono, type Context } from 'hono';
import type { Logger } from 'pino';
import { isCallbackToken } from '../../client/callback-url.ts';
import type { JobwatchClient } from '../../client/jobwatch-client.ts';
import type { PushAnswer } from '../../client/push-answer.ts';
import { MonitorNotFoundError } from '../../errors/errors.ts';
import { callbackAnswer, type CallbackAnswer } from '../api-schemas.ts';
import { readJsonBody } from './monitors.ts';

export interface PushRoutesDeps {
  client: JobwatchClient;
  logger: Logger;
  /** JOBWATCH_CALLBACK_SECRET; without it there are no callback routes. */
  callbackSecret: string | undefined;
  /** JOBWATCH_MAX_BODY_BYTES: the largest body read. */
  maxBodyBytes: number;
}

/**
 * A pushed status, the same behind both routes: 200 with the monitor after the push (`accepted`
 * says whether this push decided its end), or 202 when no monitor has the id yet and it is kept.
 * Through a callback URL the answer is only `{accepted, state, outcome}`: the URL proves the right
 * to push for one monitor, which a job service holds, not the right to read it.
 */
async function pushStatus(c: Context, deps: PushRoutesDeps, monitorId: string, via: 'api' | 'callback'): Promise<Response> {
  const answer = await deps.client.reportStatus(monitorId, await readJsonBody(c, deps.maxBodyBytes, '{"status": "Completed"}'));
  deps.logger.info({ monitorId, via, state: answer.state, accepted: answer.accepted }, 'status pushed');
  const code = answer.state === 'not-started' ? 202 : 200;
  return via === 'callback' ? c.json(callbackAnswer(answer) satisfies CallbackAnswer, code) : c.json(answer satisfies PushAnswer, code);
}

/** `POST /api/monitors/:id/status`, behind the API's bearer token. */
export function pushRoutes(deps: PushRoutesDeps): Hono {
  const app = new Hono();
  app.post('/:id/status', (c) => pushStatus(c, deps, c.req.param('id'), 'api'));
  return app;
}

/**
 * `POST /callbacks/:id/:token`: the same push without the API token; the token in the path is the
 * credential. A wrong token answers exactly as an unknown route does, so it tells nothing.
 */
export function callbackRoutes(deps: PushRoutesDeps): Hono {
  const app = new Hono();
  app.post('/:id/:token', (c) => {
    const monitorId = c.req.param('id');
    if (!deps.callbackSecret || !isCallbackToken(deps.callbackSecret, monitorId, c.req.param('token'))) {
      throw new MonitorNotFoundError(`no monitor with id ${monitorId}`);
    }
    return pushStatus(c, deps, monitorId, 'callback');
  });
  return app;
}
