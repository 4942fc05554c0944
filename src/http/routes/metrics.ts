import { Hono } from 'hono';
import type { Metrics } from '../../metrics/metrics.ts';

/** `/metrics`: Prometheus text exposition of this process's metrics. */
export function metricsRoutes(metrics: Metrics): Hono {
  const app = new Hono();
  app.get('/metrics', async (c) => {
    const { contentType, body } = await metrics.render();
    return c.body(body, 200, { 'Content-Type': contentType });
  });
  return app;
}
