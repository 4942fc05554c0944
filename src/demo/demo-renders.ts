import { randomUUID } from 'node:crypto';
import type { Hono } from 'hono';

/**
 * The demo job service's long-running-operation endpoint, as the asynchronous request-reply
 * pattern (`http-202`) has it: `POST /renders` answers `202 Accepted` with `Location` (the render's
 * status URL) and `Retry-After`; `GET /renders/:id/status` answers 202 while the render runs and
 * 200 with its result once done. A start that carries an `Idempotency-Key` seen before gets the
 * first start's answer again (IETF draft): a retried start never starts a second render.
 */
export interface DemoRendersOptions {
  /** How long a render takes. */
  durationMs: number;
}

interface Render {
  id: string;
  request: string;
  endsAt: number;
}

/** Keys kept at most; the oldest is forgotten first (a demo runs for seconds). */
const MAX_KEYS = 10_000;

export function addDemoRenders(app: Hono, options: DemoRendersOptions): void {
  const renders = new Map<string, Render>();
  const byKey = new Map<string, Render>();

  app.post('/renders', async (c) => {
    const request = await c.req.text();
    const key = c.req.header('idempotency-key');
    const seen = key === undefined ? undefined : byKey.get(key);
    if (seen && seen.request !== request) return c.json({ error: 'this Idempotency-Key was used for another request' }, 422);
    const render = seen ?? { id: `render-${randomUUID().slice(0, 8)}`, request, endsAt: Date.now() + options.durationMs };
    if (!seen) {
      renders.set(render.id, render);
      if (key !== undefined) remember(byKey, key, render);
    }
    c.header('Location', `/renders/${render.id}/status`);
    c.header('Retry-After', '1');
    return c.json({ id: render.id, status: 'Accepted' }, 202);
  });
  app.get('/renders/:id/status', (c) => {
    const render = renders.get(c.req.param('id'));
    if (!render) return c.json({ error: 'no such render' }, 404);
    if (Date.now() < render.endsAt) {
      c.header('Retry-After', '1');
      return c.json({ id: render.id, status: 'Running' }, 202);
    }
    return c.json({ id: render.id, status: 'Done', frames: 240, url: `/renders/${render.id}/output.mp4` }, 200);
  });
}

function remember(byKey: Map<string, Render>, key: string, render: Render): void {
  if (byKey.size >= MAX_KEYS) byKey.delete(byKey.keys().next().value!);
  byKey.set(key, render);
}
