import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/logging/logger.ts';
import type { HostStateProvider } from '../../src/monitor/gate/request-gate.ts';
import { startServer, type RunningServer } from '../../src/wiring/start-server.ts';
import type { WorkerProcess } from '../../src/wiring/worker-process.ts';
import { basicAuth, request, serveApp } from '../helpers/http.ts';
import { createIsolation, type Isolated } from '../helpers/isolation.ts';
import { startStatusServer, type StatusServer } from '../helpers/status-server.ts';
import { waitFor } from '../helpers/wait.ts';
import { startTestWorker } from '../helpers/workers.ts';

/**
 * The monitors page's status-host table with the gate's state, as a real worker leaves it in
 * Redis: a host whose circuit opened, one that asked to wait (Retry-After), one over its rate
 * limit, one that is fine. Each status server is its own host:port, so its own rate key.
 */
const TOKEN = 'host-states-token-4c2e';
const AUTH = basicAuth('ops', TOKEN);
const silent = createLogger({ logLevel: 'silent' }, { pretty: false });

let iso: Isolated;
let worker: WorkerProcess;
let server: RunningServer;
const hosts: Record<'down' | 'busy' | 'limited' | 'fine', StatusServer & { key: string }> = {} as never;
let env: Record<string, string>;

beforeAll(async () => {
  iso = await createIsolation();
  for (const name of ['down', 'busy', 'limited', 'fine'] as const) {
    const status = await startStatusServer();
    hosts[name] = Object.assign(status, { key: new URL(status.url).host });
  }
  hosts.down.script('down-job', [{ code: 502, body: {} }]);
  hosts.busy.script('busy-job', [{ status: 'Processing' }, { code: 429, headers: { 'retry-after': '3600' }, body: {} }]);
  for (const id of ['limited-1', 'limited-2', 'limited-3']) hosts.limited.script(id, [{ status: 'Processing' }]);
  hosts.fine.script('fine-job', [{ status: 'Processing' }]);
  // The same settings for server and worker, as one deployment's: the server describes the limits the worker keeps.
  env = {
    JOBWATCH_API_TOKEN: TOKEN, JOBWATCH_HISTORY: 'all', JOBWATCH_HOST_FAILURES: '2', JOBWATCH_HOST_PROBE_EVERY: '1h',
    JOBWATCH_MAX_STATUS_FAILURES: '100', JOBWATCH_RATE_LIMITS: `${hosts.limited.key}=1/m`,
  };
  worker = await startTestWorker(iso, env);
  server = await startServer(iso.config(env), silent, { port: 0, host: '127.0.0.1', database: iso.database });
  const start = (jobId: string, host: StatusServer) =>
    request(`${server.url}/api/monitors`, { method: 'POST', token: TOKEN, body: { jobId, statusUrl: host.template, interval: '100ms', expireIn: '1h' } });
  for (const [jobId, host] of [['down-job', hosts.down], ['busy-job', hosts.busy], ['limited-1', hosts.limited], ['limited-2', hosts.limited],
    ['limited-3', hosts.limited], ['fine-job', hosts.fine]] as const) {
    expect((await start(jobId, host)).status).toBe(201);
  }
});

afterAll(async () => {
  await worker?.close(5_000);
  await server?.close();
  for (const host of Object.values(hosts)) await host?.close();
  await iso?.cleanup();
});

/** The state cell of each host row: its word and its tooltip. */
function hostStates(page: string): Map<string, { state: string; detail: string }> {
  const states = new Map<string, { state: string; detail: string }>();
  for (const [, host, detail, state] of page.matchAll(/<tr><td class="mono">([^<]+)<\/td>[\s\S]*?<td><span class="[^"]*" title="([^"]*)">([^<]+)<\/span><\/td><\/tr>/g)) {
    states.set(host!, { state: state!, detail: detail! });
  }
  return states;
}

describe('the overview\'s status hosts, with the gate\'s state', () => {
  it('shows each host as the workers\' gate left it: circuit open, held by Retry-After, rate-limited, ok', async () => {
    const states = await waitFor(async () => {
      const page = await request(`${server.url}/ui`, { headers: AUTH });
      expect(page.status).toBe(200);
      const found = hostStates(page.text);
      const wanted = { [hosts.down.key]: 'circuit-open', [hosts.busy.key]: 'held', [hosts.limited.key]: 'rate-limited', [hosts.fine.key]: 'ok' };
      return Object.entries(wanted).every(([host, state]) => found.get(host)?.state === state) ? found : undefined;
    }, { what: 'every host in its state on the overview', timeoutMs: 30_000 });
    expect(states.get(hosts.down.key)!.detail).toMatch(/^circuit open: one probe every 3600 s, the next at \d{4}-\d\d-\d\dT/);
    expect(states.get(hosts.busy.key)!.detail).toMatch(/^Retry-After: held until \d{4}-\d\d-\d\dT/);
    expect(states.get(hosts.limited.key)!.detail).toMatch(/^limit 1\/m: slots booked [1-9]\d* ahead \(\d+ s\)$/);
    expect(states.get(hosts.fine.key)!.detail).toBe('');
    // The circuit opened on the second failure: no more calls went to the host meanwhile (the probe is an hour away).
    expect(hosts.down.calls('down-job')).toBe(2);
  });

  it('the monitor API says the same: the monitor of the host whose circuit is open is held by it', async () => {
    // The failure that opened the circuit was an ordinary failed check; the monitor's next poll is the one held.
    const down = await waitFor(async () => {
      const state = await request(`${server.url}/api/monitors/down-job`, { token: TOKEN });
      return state.json.held ? state : undefined;
    }, { what: 'down-job held by its host\'s circuit' });
    expect(down.json.held).toMatch(new RegExp(`^${hosts.down.key.replaceAll('.', '\\.')} circuit open until `));
  });
});

describe('when the state cannot be read', () => {
  const provider = (hostStates: HostStateProvider['hostStates']): HostStateProvider => ({ hostStates });

  it('a provider that fails leaves the column empty, with a note; the rest of the overview is there', async () => {
    const failing = await serveApp(iso, {
      database: iso.database, env, hostStates: provider(async () => {
        throw new Error('Redis is gone');
      }),
    });
    try {
      const page = await request(`${failing.url}/ui`, { headers: AUTH });
      expect(page.status).toBe(200);
      expect(page.text).toContain(`<td class="mono">${hosts.fine.key}</td>`);
      expect(page.text).toMatch(/<th title="[^"]+">state<\/th>/);
      expect(hostStates(page.text).size).toBe(0);
      expect(page.text).toContain('The hosts\' state could not be read from Redis just now');
    } finally {
      await failing.close();
    }
  });

  it('a page kept waiting past the time limit answers a 503 page in HTML, not the API\'s JSON', async () => {
    const hanging = await serveApp(iso, { database: iso.database, env, hostStates: provider(() => new Promise(() => {})), apiTimeoutMs: 300 });
    try {
      const page = await request(`${hanging.url}/ui`, { headers: AUTH });
      expect(page.status).toBe(503);
      expect(page.headers.get('content-type')).toMatch(/^text\/html/);
      expect(page.text).toContain('Redis or Postgres did not answer within 300ms; see /healthz');
      const api = await request(`${hanging.url}/api/monitors/no-such-monitor`, { token: TOKEN });
      expect(api.status).toBe(404);
      expect(api.headers.get('content-type')).toMatch(/^application\/json/);
    } finally {
      await hanging.close();
    }
  });
});
