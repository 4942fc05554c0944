import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import { Agent, request } from 'undici';
import { DEFAULTS } from '../../src/config/config.ts';
import { median, nowMs, settle, sleep, summarize, waitUntil } from '../harness/measure.ts';
import { row, type Row, type ScenarioContext } from '../harness/scenario.ts';
import { ShippedJobwatch } from '../harness/shipped-jobwatch.ts';

/** What the start request must reach the service within, from the API call (issue 20). */
const TARGET_P99_MS = 100;
const SOURCE = 'bench-start';
/** POST /api/operations requests in flight at most, as a producer service's connection pool allows. */
const CONNECTIONS = 32;

/**
 * (14) Operations: from `POST /api/operations` to the start request at the job service. A `jobwatch
 * server` and one `jobwatch worker` process as shipped (default configuration, `JOBWATCH_SOURCES`
 * naming a source whose start URL is a fake in this process); N operations a round, sent open-loop
 * at a fixed rate (each at its time, whether or not the earlier ones were answered), each timed from
 * the moment its API call is sent to the moment its start request arrives at the fake (one clock:
 * both ends are in this process). The fake answers 200, so each operation ends at once (a synchronous
 * job) and the worker does nothing else. Each round checks one start per operation, every
 * idempotency key distinct, and every operation's record `completed`.
 */
export async function operationsScenario(context: ScenarioContext): Promise<Row[]> {
  const { config, services } = context;
  const { operations, perSecond, warmup } = config.operations;
  const fake = await startFakeService();
  const folder = await mkdtemp(join(tmpdir(), 'jobwatch-bench-operations-'));
  const agent = new Agent({ connections: CONNECTIONS });
  let jobwatch: ShippedJobwatch | undefined;
  try {
    const sourcesFile = join(folder, 'sources.json');
    await writeFile(sourcesFile, JSON.stringify({ sources: { [SOURCE]: { start: { url: `${fake.origin}/start/{op}` }, params: ['op'], convention: 'http-202' } } }));
    jobwatch = await ShippedJobwatch.start(services, 'operations', { JOBWATCH_SOURCES: sourcesFile });
    const worker = await jobwatch.startWorker(DEFAULTS.concurrency);
    try {
      const round = (name: string, count: number) => timedRound(jobwatch!, agent, fake, name, count, perSecond);
      context.progress(`operations: warm-up, ${warmup} operations`);
      await round('warmup', warmup);
      const p50s: number[] = [];
      const p99s: number[] = [];
      const all: number[] = [];
      for (let r = 1; r <= config.rounds; r++) {
        await settle();
        const { latencies, answers } = await round(`r${r}`, operations);
        const s = summarize(latencies);
        const a = summarize(answers);
        p50s.push(s.p50);
        p99s.push(s.p99);
        all.push(...latencies);
        context.progress(`operations round ${r}: ${operations} at ${perSecond}/s, API call to start request p50 ${s.p50.toFixed(1)} ms, p99 ${s.p99.toFixed(1)} ms, max ${s.max.toFixed(1)} ms (the API's answer: p50 ${a.p50.toFixed(1)} ms, p99 ${a.p99.toFixed(1)} ms)`);
      }
      const p99 = median(p99s);
      context.progress(`operations: p99 ${p99.toFixed(1)} ms, target ≤ ${TARGET_P99_MS} ms: ${p99 <= TARGET_P99_MS ? 'met' : 'missed'}`);
      const note = `\`jobwatch server\` and one \`jobwatch worker\` process as shipped (default configuration, concurrency ${DEFAULTS.concurrency}), JOBWATCH_SOURCES naming a source whose ` +
        `start URL is a fake in the bench process that answers 200 (a synchronous job); ${operations} operations a round through POST /api/operations, sent open-loop at ${perSecond}/s ` +
        `(≤ ${CONNECTIONS} connections), after ${warmup} unmeasured; timed from each API call's send to its start request's arrival; each round checked: one start per operation, ` +
        `distinct Idempotency-Keys, every record completed. Value: median of ${config.rounds} rounds; all ${all.length} samples: p50 ${summarize(all).p50.toFixed(1)} ms, p99 ${summarize(all).p99.toFixed(1)} ms`;
      return [
        row({ id: '14a', measurement: 'operations: API call to start request at the service, p50', value: median(p50s), unit: 'ms', samples: p50s, rounds: p50s.map((value) => ({ value })), note }),
        row({
          id: '14b', measurement: 'operations: API call to start request at the service, p99', value: p99, unit: 'ms', samples: p99s,
          rounds: p99s.map((value) => ({ value })), target: { on: 'value', op: '<=', value: TARGET_P99_MS },
        }),
      ];
    } finally {
      await worker.stop();
    }
  } finally {
    await jobwatch?.close();
    await agent.close();
    await fake.close();
    await rm(folder, { recursive: true, force: true });
  }
}

/** The fake job service: records when each start request arrives (by its op param) and with which key. */
interface FakeService {
  origin: string;
  arrivals: Map<string, { at: number; key: string | undefined; count: number }>;
  close(): Promise<void>;
}

async function startFakeService(): Promise<FakeService> {
  const arrivals: FakeService['arrivals'] = new Map();
  const server: Server = createServer((req, res) => {
    // Timed as the request line arrives: the start request has reached the service.
    const at = nowMs();
    const op = /^\/start\/([^/?]+)$/.exec(req.url ?? '')?.[1];
    const key = req.headers['idempotency-key'];
    if (op !== undefined) {
      const seen = arrivals.get(op);
      arrivals.set(op, seen ? { ...seen, count: seen.count + 1 } : { at, key: typeof key === 'string' ? key : undefined, count: 1 });
    }
    req.resume();
    req.on('end', () => {
      res.writeHead(op === undefined ? 404 : 200, { 'content-type': 'application/json' });
      res.end(op === undefined ? '{"error":"no such route"}' : `{"id":"${op}","status":"Done"}`);
    });
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    arrivals,
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

/**
 * Sends `count` operations at `perSecond`, each at its own time; answers each one's milliseconds from
 * its API call to its start request's arrival (and to the API's answer, a breakdown), once every
 * one has arrived and ended.
 */
async function timedRound(
  jobwatch: ShippedJobwatch, agent: Agent, fake: FakeService, round: string, count: number, perSecond: number,
): Promise<{ latencies: number[]; answers: number[] }> {
  const sentAt = new Array<number>(count);
  const answeredAt = new Array<number>(count);
  const ids = Array.from({ length: count }, (_, i) => `${round}-${i}`);
  const began = nowMs();
  const calls: Promise<void>[] = [];
  for (let i = 0; i < count; i++) {
    const due = began + (i * 1000) / perSecond;
    const wait = due - nowMs();
    if (wait > 1) await sleep(wait);
    sentAt[i] = nowMs();
    calls.push(startOperation(jobwatch, agent, ids[i]!).then(() => { answeredAt[i] = nowMs(); }));
  }
  await Promise.all(calls);
  await waitUntil(() => ids.every((id) => fake.arrivals.has(id)), `${count} start requests of round ${round}`);
  await waitUntil(async () => (await completed(jobwatch, round)) >= count, `${count} completed records of round ${round}`);
  const keys = new Set(ids.map((id) => fake.arrivals.get(id)!.key));
  const repeated = ids.filter((id) => fake.arrivals.get(id)!.count !== 1);
  if (keys.size !== count || keys.has(undefined)) throw new Error(`bench: (14) round ${round}: ${keys.size} distinct Idempotency-Keys for ${count} operations`);
  if (repeated.length > 0) throw new Error(`bench: (14) round ${round}: ${repeated.length} operations were started more than once (e.g. ${repeated[0]})`);
  return { latencies: ids.map((id, i) => fake.arrivals.get(id)!.at - sentAt[i]!), answers: answeredAt.map((at, i) => at - sentAt[i]!) };
}

async function startOperation(jobwatch: ShippedJobwatch, agent: Agent, id: string): Promise<void> {
  const response = await request(`${jobwatch.url}/api/operations`, {
    method: 'POST', dispatcher: agent, headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ source: SOURCE, monitorId: `op-${id}`, request: { params: { op: id }, body: { id } } }),
  });
  const text = await response.body.text();
  if (response.statusCode !== 201) throw new Error(`bench: POST /api/operations answered ${response.statusCode}: ${text}`);
}

async function completed(jobwatch: ShippedJobwatch, round: string): Promise<number> {
  const rows = (await jobwatch.database.db.execute(sql`select count(*)::int as n from monitor_results where monitor_id like ${`op-${round}-%`} and outcome = 'completed'`)) as unknown as { n: number }[];
  return rows[0]?.n ?? 0;
}
