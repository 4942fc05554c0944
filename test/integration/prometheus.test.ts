import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JobwatchClient } from '../../src/client/jobwatch-client.ts';
import { request, spawnServing, type ServingProcess } from '../helpers/http.ts';
import { createIsolation, type Isolated } from '../helpers/isolation.ts';
import { readYaml } from '../helpers/metric-names.ts';
import { freePort } from '../helpers/ports.ts';
import { startStatusServer, type StatusServer } from '../helpers/status-server.ts';
import { startTcpProxy, type TcpProxy } from '../helpers/tcp-proxy.ts';
import { waitFor } from '../helpers/wait.ts';
import { startWebhookReceiver, type WebhookReceiver } from '../helpers/webhook-receiver.ts';
import { testClient } from '../helpers/workers.ts';

/*
 * A real Prometheus scrapes a real `jobwatch worker --metrics-port` and a real `jobwatch server`
 * while monitors of every outcome run, with the rules of deploy/prometheus loaded. Every PromQL
 * expression of the dashboard and of the rules must parse in it, the rules must evaluate without
 * error, and each dashboard query must return data: the run makes every event they show happen
 * (none is excluded), including a scrape that cannot read Postgres.
 */

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const RULES = join(ROOT, 'deploy/prometheus/jobwatch-rules.yml');
const DASHBOARD = join(ROOT, 'deploy/grafana/jobwatch.json');
// Debian's prometheus package brings the prometheus binary; CI installs it (.ci/run).
const hasPrometheus = spawnSync('prometheus', ['--version']).status === 0;
if (!hasPrometheus && process.env.CI) throw new Error('prometheus is not installed: apt-get install -y prometheus');
if (!hasPrometheus) console.warn('prometheus is not installed (apt-get install -y prometheus): the real-Prometheus test is skipped');

interface Panel { type: string; title: string; targets?: { expr: string }[]; panels?: Panel[] }
interface Rule { alert: string; expr: string }

const dashboard = JSON.parse(readFileSync(DASHBOARD, 'utf8')) as { panels: Panel[] };
const panels = dashboard.panels.flatMap((panel) => [panel, ...(panel.panels ?? [])]).filter((panel) => panel.type !== 'row');
const rules = readYaml<{ groups: { rules: Rule[] }[] }>(RULES).groups.flatMap((group) => group.rules);

/**
 * Grafana's $__rate_interval is at least four scrape intervals; with the 1 s scrape here, 10 s
 * holds enough samples for a rate even when a loaded machine delays a scrape or two.
 */
const RATE_INTERVAL = '10s';
const queryOf = (expr: string) => expr.replaceAll('$__rate_interval', RATE_INTERVAL);

let iso: Isolated;
let scratch: string;
let status: StatusServer;
let failing: StatusServer;
let receiver: WebhookReceiver;
let serverPostgres: TcpProxy;
let client: JobwatchClient;
let worker: ServingProcess;
let server: ServingProcess;
let prometheus: ChildProcess | undefined;
let prometheusUrl: string;
let prometheusOutput = '';

const hostPort = (url: string) => new URL(url).host;

async function startPrometheus(targets: string[]): Promise<void> {
  const port = await freePort();
  prometheusUrl = `http://127.0.0.1:${port}`;
  const config = join(scratch, 'prometheus.yml');
  writeFileSync(config, JSON.stringify({
    global: { scrape_interval: '1s', evaluation_interval: '1s' },
    rule_files: [RULES],
    scrape_configs: [{ job_name: 'jobwatch', static_configs: [{ targets }] }],
  }));
  prometheus = spawn('prometheus', [
    `--config.file=${config}`, `--storage.tsdb.path=${join(scratch, 'data')}`, `--web.listen-address=127.0.0.1:${port}`, '--log.level=warn',
  ], { stdio: ['ignore', 'pipe', 'pipe'] });
  prometheus.stdout!.on('data', (chunk) => (prometheusOutput += chunk));
  prometheus.stderr!.on('data', (chunk) => (prometheusOutput += chunk));
  await waitFor(async () => {
    if (prometheus!.exitCode !== null) throw new Error(`prometheus exited ${prometheus!.exitCode}: ${prometheusOutput}`);
    return (await request(`${prometheusUrl}/-/ready`).catch(() => undefined))?.status === 200;
  }, { what: 'prometheus ready', timeoutMs: 30_000 });
}

async function stopPrometheus(): Promise<void> {
  const child = prometheus;
  if (!child || child.exitCode !== null) return;
  const exit = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exit;
}

/** An instant query through Prometheus's HTTP API: its status, error and result vector. */
async function query(expr: string): Promise<{ status: string; error?: string; result: unknown[] }> {
  const reply = await request(`${prometheusUrl}/api/v1/query?query=${encodeURIComponent(expr)}`);
  const body = reply.json as { status: string; error?: string; data?: { result: unknown[] } };
  return { status: body.status, ...(body.error ? { error: body.error } : {}), result: body.data?.result ?? [] };
}

beforeAll(async () => {
  if (!hasPrometheus) return;
  iso = await createIsolation();
  scratch = mkdtempSync(join(tmpdir(), 'jobwatch-prometheus-'));
  status = await startStatusServer();
  // Another host (its own rate key), whose answers fail until its circuit opens and holds its polls.
  failing = await startStatusServer();
  receiver = await startWebhookReceiver(() => 200);
  client = testClient(iso);
  // The server reaches Postgres through a proxy the test cuts later: its scrapes then miss the
  // notification backlog and count jobwatch_scrape_errors_total{gauge}, a series the dashboard shows.
  const postgresUrl = new URL(iso.databaseUrl);
  serverPostgres = await startTcpProxy(postgresUrl.hostname, Number(postgresUrl.port || 5432));
  postgresUrl.port = String(serverPostgres.port);
  // No API token: on loopback the server serves /metrics to Prometheus without a key.
  [worker, server] = await Promise.all([
    spawnServing(['worker', '--metrics-port', '0', '--concurrency', '4'],
      iso.env({ LOG_LEVEL: 'info', JOBWATCH_RETRY_BASE: '100ms', JOBWATCH_HOST_FAILURES: '3' }), 'metrics listening'),
    spawnServing(['server', '--port', '0', '--host', '127.0.0.1'], iso.env({ LOG_LEVEL: 'info', DATABASE_URL: postgresUrl.toString() }), 'server listening'),
  ]);
  await startPrometheus([hostPort(worker.url), hostPort(server.url)]);
}, 60_000);

afterAll(async () => {
  await stopPrometheus();
  await worker?.stop();
  await server?.stop();
  await serverPostgres?.close();
  await client?.close();
  await receiver?.close();
  await failing?.close();
  await status?.close();
  await iso?.cleanup();
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

describe.runIf(hasPrometheus)('a real Prometheus scraping a worker and a server', () => {
  it('scrapes both processes', async () => {
    await waitFor(async () => {
      const reply = await request(`${prometheusUrl}/api/v1/targets`);
      const targets = (reply.json as { data: { activeTargets: { health: string }[] } }).data.activeTargets;
      return targets.length === 2 && targets.every((target) => target.health === 'up');
    }, { what: 'both targets up' });
  });

  it('parses every PromQL expression of the dashboard and the rules', async () => {
    const exprs = [...panels.flatMap((panel) => (panel.targets ?? []).map((target) => queryOf(target.expr))), ...rules.map((rule) => rule.expr)];
    expect(exprs.length).toBeGreaterThan(rules.length);
    for (const expr of exprs) {
      const answer = await query(expr);
      expect(answer.error, expr).toBeUndefined();
      expect(answer.status, expr).toBe('success');
    }
  });

  it('loads the rules and evaluates each without error', async () => {
    const evaluated = await waitFor(async () => {
      const reply = await request(`${prometheusUrl}/api/v1/rules`);
      const loaded = (reply.json as { data: { groups: { rules: { name: string; health: string; lastError?: string; lastEvaluation: string }[] }[] } })
        .data.groups.flatMap((group) => group.rules);
      return loaded.length === rules.length && loaded.every((rule) => !rule.lastEvaluation.startsWith('0001')) ? loaded : undefined;
    }, { what: 'every rule evaluated once' });
    expect(evaluated.map((rule) => rule.name)).toEqual(rules.map((rule) => rule.alert));
    for (const rule of evaluated) expect(`${rule.name}: ${rule.health} ${rule.lastError ?? ''}`.trim()).toBe(`${rule.name}: ok`);
  });

  it('has data for each dashboard query once monitors of every outcome ran', async () => {
    status.script('done', [{ status: 'Running' }, { status: 'Completed' }]);
    status.script('failed', [{ status: 'Failed' }]);
    status.script('running', [{ status: 'Processing' }]);
    status.script('gone', [{ code: 404 }]);
    status.script('long', [{ status: 'Processing' }]);
    failing.script('down', [{ code: 503 }]);
    const start = (jobId: string, extra: Record<string, unknown> = {}) =>
      client.startMonitor({ jobId, statusUrl: status.template, interval: 100, ...extra });
    await start('done', { notifyUrl: `${receiver.url}/hook` });
    await start('failed');
    await start('gone');
    await start('running', { expireIn: '1500ms' });
    await start('long', { interval: '1h' });
    await client.startMonitor({ jobId: 'down', statusUrl: failing.template, interval: 100, expireIn: '1h' });
    await waitFor(() => status.calls('long') >= 1, { what: 'the monitor to cancel polled' });
    await client.cancelMonitor('long');

    // Every final record, whoever decided it (a cancel that finds its poll job idle ends it
    // without the poll worker), is counted by the worker's completion worker when written.
    const outcomes = ['canceled', 'completed', 'errored', 'expired', 'failed'];
    let written: string[] = [];
    await waitFor(async () => {
      const counted = await query('sum by (outcome) (jobwatch_completions_total)');
      written = (counted.result as { metric: { outcome: string } }[]).map((series) => series.metric.outcome).sort();
      return outcomes.every((outcome) => written.includes(outcome));
    }, { what: 'a final record of every outcome counted in Prometheus', timeoutMs: 20_000 }).catch(() => undefined);
    expect(written).toEqual(outcomes);
    // Postgres gone for the server: the dashboard's "Metrics that could not be read" gets its series.
    await serverPostgres.cut();

    // Each series comes once its event happened and Prometheus scraped it twice: ask again, all
    // the queries still empty together, until each has data or the bound passes.
    let empty = panels.flatMap((panel) => (panel.targets ?? []).map((target) => `${panel.title}: ${target.expr}`));
    const exprOf = new Map(panels.flatMap((panel) => (panel.targets ?? []).map((target) => [`${panel.title}: ${target.expr}`, queryOf(target.expr)])));
    await waitFor(async () => {
      const answers = await Promise.all(empty.map(async (name) => ({ name, answer: await query(exprOf.get(name)!) })));
      empty = answers.filter(({ answer }) => answer.result.length === 0).map(({ name }) => name);
      return empty.length === 0;
    }, { what: 'data for every dashboard query', timeoutMs: 20_000, intervalMs: 500 }).catch(() => undefined);
    expect(empty).toEqual([]);
  }, 45_000);
});
