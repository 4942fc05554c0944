import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDemoApi, type RunningDemoApi } from '../../src/demo/demo-api.ts';
import { ConfigError } from '../../src/errors/errors.ts';
import { request } from '../helpers/http.ts';
import { waitFor } from '../helpers/wait.ts';

// The demo job service that `npm start` and `jobwatch demo-api` run, over real HTTP.
let api: RunningDemoApi;
beforeAll(async () => {
  api = await startDemoApi({ port: 0, minDurationMs: 60_000, maxDurationMs: 60_000 });
});
afterAll(() => api.close());

describe('the demo job service', () => {
  it('starts a job that reports Processing, then its final status', async () => {
    const started = await request(`${api.url}/jobs`, { method: 'POST', body: { durationMs: 300, outcome: 'Failed' } });
    expect(started.status).toBe(201);
    expect(started.json).toMatchObject({ status: 'Processing' });
    const ended = await waitFor(async () => {
      const reply = await request(`${api.url}/jobs/${started.json.id}`);
      return reply.json.status !== 'Processing' && reply;
    }, { what: 'the job to end' });
    expect(ended.status).toBe(200);
    expect(ended.json).toMatchObject({ id: started.json.id, status: 'Failed', progress: 1 });
    expect(ended.json.finishedAt).toEqual(expect.any(String));
  });

  it('draws a duration when none is asked for, and accepts an empty body', async () => {
    const started = await request(`${api.url}/jobs`, { method: 'POST' });
    expect(started.status).toBe(201);
    const reply = await request(`${api.url}/jobs/${started.json.id}`);
    expect(reply.json).toMatchObject({ status: 'Processing' });
    expect(reply.json.progress).toBeLessThan(1);
  });

  it('refuses a body that is not JSON, or too large, and says what to send', async () => {
    const bad = await request(`${api.url}/jobs`, { method: 'POST', body: 'not json' });
    expect(bad.status).toBe(400);
    expect(bad.json.error).toMatch(/body must be JSON/);
    const large = await request(`${api.url}/jobs`, { method: 'POST', body: { pad: 'x'.repeat(5_000) } });
    expect(large.status).toBe(413);
  });

  it('answers 404 for an unknown job or route', async () => {
    expect(await request(`${api.url}/jobs/nope`)).toMatchObject({ status: 404, json: { error: 'no such job' } });
    expect(await request(`${api.url}/elsewhere`)).toMatchObject({ status: 404, json: { error: 'try POST /jobs, GET /jobs/:id, POST /renders or GET /renders/:id/status' } });
  });

  it('names the flag when its port is taken', async () => {
    const port = Number(new URL(api.url).port);
    await expect(startDemoApi({ port })).rejects.toThrow(ConfigError);
    await expect(startDemoApi({ port })).rejects.toThrow(`--port ${port}: already in use`);
  });
});
