import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request, spawnServing } from '../helpers/http.ts';
import { createIsolation, type Isolated } from '../helpers/isolation.ts';
import { startOtlpReceiver, type OtlpReceiver, type ReceivedSpan } from '../helpers/otlp-receiver.ts';
import { countRows } from '../helpers/results.ts';
import { startStatusServer, type StatusServer } from '../helpers/status-server.ts';
import { renderTrace, renderTraceSvg } from '../helpers/trace-render.ts';
import { waitFor } from '../helpers/wait.ts';
import { startWebhookReceiver, type WebhookReceiver } from '../helpers/webhook-receiver.ts';
import { exited, runCli, spawnWorker } from '../helpers/workers.ts';

const RECORD_IMPORTS = fileURLToPath(new URL('../helpers/record-imports.mjs', import.meta.url));
const NOTIFY_SECRET = 'a-test-secret-of-enough-length';

let iso: Isolated;
let server: StatusServer;
let otlp: OtlpReceiver;
let receiver: WebhookReceiver;
let folder: string;
const workers: ReturnType<typeof spawnWorker>[] = [];

beforeAll(async () => {
  iso = await createIsolation();
  server = await startStatusServer();
  otlp = await startOtlpReceiver();
  receiver = await startWebhookReceiver(() => 200);
  folder = mkdtempSync(join(tmpdir(), 'jobwatch-tracing-'));
});

afterAll(async () => {
  for (const worker of workers) if (worker.exitCode === null && worker.signalCode === null) worker.kill('SIGKILL');
  await Promise.all(workers.map(exited));
  await receiver?.close();
  await otlp?.close();
  await server?.close();
  await iso?.cleanup();
  rmSync(folder, { recursive: true, force: true });
});

/** What a process resolved, with the import recorder loaded into it. */
function recorded(file: string): string {
  return readFileSync(file, 'utf8');
}

/** Writes a trace's waterfall, text and SVG, to test-results/ (gitignored) for a reader; docs/observability.md shows one. */
function saveRendering(name: string, spans: readonly ReceivedSpan[]): string {
  const rendering = renderTrace(spans);
  mkdirSync('test-results', { recursive: true });
  writeFileSync(join('test-results', `trace-${name}.txt`), rendering);
  writeFileSync(join('test-results', `trace-${name}.svg`), renderTraceSvg(spans));
  return rendering;
}

const tracingEnv = () => ({
  OTEL_EXPORTER_OTLP_ENDPOINT: otlp.url, OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json', OTEL_BSP_SCHEDULE_DELAY: '20',
});

describe('tracing off (the default)', () => {
  it('a worker polls a monitor to its end without loading any OpenTelemetry module', async () => {
    const imports = join(folder, 'off.txt');
    server.script('untraced', [{ status: 'Processing' }, { status: 'Completed' }]);
    const worker = spawnWorker({ ...iso.env(), NODE_OPTIONS: `--import ${RECORD_IMPORTS}`, RECORD_IMPORTS_TO: imports });
    workers.push(worker);
    const enqueued = await runCli(['enqueue', '--job-id', 'untraced', '--status-url', server.template, '--interval', '100ms'], iso.env());
    expect(enqueued.code).toBe(0);
    await waitFor(async () => (await countRows(iso)) === 1, { timeoutMs: 30_000, what: 'the monitor to end' });
    worker.kill('SIGTERM');
    expect(await exited(worker)).toBe(0);
    // The recorder saw the worker's modules (BullMQ among them), and none of OpenTelemetry's.
    expect(recorded(imports)).toContain('/bullmq/');
    expect(recorded(imports)).not.toContain('@opentelemetry');
    expect(server.traceparents('untraced').every((header) => header === undefined)).toBe(true);
  }, 60_000);
});

describe('tracing on', () => {
  it("one trace from the CLI's enqueue to the notification, through three polls and a SIGKILL mid-poll", async () => {
    const env = iso.env({ ...tracingEnv(), JOBWATCH_LOCK_DURATION: '1s', JOBWATCH_NOTIFY_SECRET: NOTIFY_SECRET });
    const imports = join(folder, 'on.txt');
    let killed = false;
    // Poll 2 hangs until its worker is killed; the worker that takes it over re-runs poll 2 (call 3), then poll 3 ends it.
    server.script('traced', [{ status: 'Processing' }, { status: 'Processing', delayMs: 20_000 }, { status: 'Processing' }, { status: 'Completed' }]);
    const first = spawnWorker({ ...env, NODE_OPTIONS: `--import ${RECORD_IMPORTS}`, RECORD_IMPORTS_TO: imports });
    workers.push(first);
    server.onCall(() => {
      if (killed || server.calls('traced') !== 2) return;
      killed = true;
      first.kill('SIGKILL');
      workers.push(spawnWorker(env));
    });
    const enqueued = await runCli(['enqueue', '--job-id', 'traced', '--status-url', server.template, '--interval', '100ms', '--notify-url', receiver.url], env);
    expect(enqueued.code).toBe(0);

    await waitFor(() => receiver.deliveries.length === 1, { timeoutMs: 60_000, what: 'the notification' });
    await waitFor(() => otlp.spans.some((span) => span.name === 'notify webhook'), { timeoutMs: 30_000, what: 'the notification span' });
    expect(killed).toBe(true);
    expect(recorded(imports)).toContain('@opentelemetry/sdk-trace');

    const start = otlp.spans.find((span) => span.name === 'start monitor')!;
    expect(start).toMatchObject({ service: 'jobwatch-cli', parentSpanId: undefined, attributes: { 'jobwatch.monitor.id': 'traced' } });
    const trace = otlp.spans.filter((span) => span.traceId === start.traceId);
    // Every span of the monitor, from any of the three processes, is of this one trace.
    const ofMonitor = otlp.spans.filter((span) => span.attributes['jobwatch.monitor.id'] === 'traced');
    expect(new Set(ofMonitor.map((span) => span.traceId))).toEqual(new Set([start.traceId]));

    // The polls: children of the start, across both workers. The killed poll 2 never ended, so its
    // span never left; the take-over's poll 2 and poll 3 did, whatever the killed worker exported.
    const polls = trace.filter((span) => span.name === `poll ${new URL(server.url).host}`);
    for (const poll of polls) expect(poll.parentSpanId).toBe(start.spanId);
    const numbers = polls.map((poll) => poll.attributes['jobwatch.poll.number']);
    expect(numbers).toContain(2);
    expect(numbers).toContain(3);
    expect(polls.find((poll) => poll.attributes['jobwatch.poll.number'] === 3)?.attributes['jobwatch.outcome']).toBe('completed');

    // Each status request: a client span under its poll, whose traceparent the status service saw.
    // The take-over's requests are under its polls 2 and 3. Of the killed worker's, a request may
    // have left without its poll: a batch can go out between the two ends, and the next never did.
    const requests = trace.filter((span) => span.name === 'GET');
    const pollNumberOf = (request: (typeof requests)[number]) => polls.find((poll) => poll.spanId === request.parentSpanId)?.attributes['jobwatch.poll.number'];
    expect(requests.map(pollNumberOf)).toEqual(expect.arrayContaining([2, 3]));
    for (const request of requests) {
      expect(request.parentSpanId).toBeDefined();
      expect(request.attributes).toMatchObject({ 'http.request.method': 'GET', 'server.address': '127.0.0.1', 'http.response.status_code': 200 });
      expect(String(request.attributes['url.full'])).toBe(`${server.url}/jobs/traced`);
    }
    const seen = server.traceparents('traced');
    expect(seen).toHaveLength(4);
    for (const header of seen) expect(header).toMatch(new RegExp(`^00-${start.traceId}-[0-9a-f]{16}-01$`));
    for (const request of requests) expect(seen).toContain(`00-${start.traceId}-${request.spanId}-01`);

    // The final record's write and the notification, in the same trace, the webhook given its traceparent.
    const write = trace.find((span) => span.name === 'write final record');
    expect(write).toMatchObject({ parentSpanId: start.spanId, attributes: { 'jobwatch.outcome': 'completed' } });
    const notify = trace.find((span) => span.name === 'notify webhook')!;
    expect(notify.parentSpanId).toBe(start.spanId);
    expect(receiver.deliveries[0]!.headers.traceparent).toBe(`00-${start.traceId}-${notify.spanId}-01`);
    expect(saveRendering('cli-sigkill', trace)).toContain('start monitor');
  }, 120_000);

  it("a monitor started through `jobwatch server`: the server's start span is a child of the caller's traceparent, the worker's polls join it", async () => {
    const env = iso.env(tracingEnv());
    // The test is the caller: its own (unexported) span is the parent it sends.
    const callerTrace = randomBytes(16).toString('hex');
    const callerSpan = randomBytes(8).toString('hex');
    server.script('via-api', [{ status: 'Processing' }, { status: 'Completed' }]);
    const api = await spawnServing(['server', '--port', '0'], { ...env, LOG_LEVEL: 'info' }, 'server listening');
    const worker = spawnWorker(env);
    workers.push(worker);
    try {
      const created = await request(`${api.url}/api/monitors`, {
        method: 'POST', body: { jobId: 'via-api', statusUrl: server.template, interval: '100ms' },
        headers: { traceparent: `00-${callerTrace}-${callerSpan}-01` },
      });
      expect(created.status).toBe(201);
      const polls = () => otlp.spans.filter((span) => span.traceId === callerTrace && span.name.startsWith('poll '));
      await waitFor(() => polls().some((poll) => poll.attributes['jobwatch.outcome'] === 'completed'), { timeoutMs: 30_000, what: 'the last poll span' });
      await waitFor(() => otlp.spans.some((span) => span.service === 'jobwatch-server' && span.traceId === callerTrace), { timeoutMs: 30_000, what: "the server's spans" });
    } finally {
      expect(await api.stop()).toBe(0);
    }

    const start = otlp.spans.find((span) => span.service === 'jobwatch-server' && span.name === 'start monitor')!;
    expect(start).toMatchObject({ traceId: callerTrace, parentSpanId: callerSpan, attributes: { 'jobwatch.monitor.id': 'via-api' } });
    const trace = otlp.spans.filter((span) => span.traceId === callerTrace);
    const polls = trace.filter((span) => span.name.startsWith('poll '));
    expect(polls.map((poll) => poll.attributes['jobwatch.poll.number']).sort()).toEqual([1, 2]);
    for (const poll of polls) expect(poll).toMatchObject({ service: 'jobwatch-worker', parentSpanId: start.spanId });
    // Every span of this monitor, the server's and the worker's, is of the caller's trace.
    const ofMonitor = otlp.spans.filter((span) => span.attributes['jobwatch.monitor.id'] === 'via-api');
    expect(new Set(ofMonitor.map((span) => span.traceId))).toEqual(new Set([callerTrace]));
    for (const header of server.traceparents('via-api')) expect(header).toMatch(new RegExp(`^00-${callerTrace}-[0-9a-f]{16}-01$`));
    await waitFor(() => otlp.spans.some((span) => span.traceId === callerTrace && span.name === 'write final record'), { timeoutMs: 30_000, what: 'the record span' });
    expect(saveRendering('via-api', otlp.spans.filter((span) => span.traceId === callerTrace))).toContain('jobwatch-server');
  }, 60_000);
});
