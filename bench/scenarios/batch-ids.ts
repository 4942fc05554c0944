import { request } from 'undici';
import { startBenchChild, type BenchChild } from '../harness/child-process.ts';
import { monitorInputs } from '../harness/jobwatch-fleet.ts';
import { sleep } from '../harness/measure.ts';
import { row, type Row, type ScenarioContext } from '../harness/scenario.ts';
import { ShippedJobwatch } from '../harness/shipped-jobwatch.ts';

/** How long before their first polls fall due the monitors are started (their starting is not measured). */
const START_LEAD_MS = 2_000;

/**
 * (11c) Batches as shipped: `workers` `jobwatch worker` processes (compiled CLI, default
 * configuration: JOBWATCH_BATCH_MAX 100, JOBWATCH_BATCH_WINDOW 20ms) polling N monitors on one
 * batchStatusUrl every `intervalMs`, started through the API and due evenly spread, as a fleet in
 * steady state is. The status server (its own process) counts the requests and the ids they ask
 * for over a window after a warm-up: ids per request is what batching saves.
 */
export async function batchIdsScenario(context: ScenarioContext): Promise<Row[]> {
  const { config, services } = context;
  const { intervalMs, warmupMs, measureMs, more } = config.batchIds;
  const server = await startBenchChild({ script: 'bench/harness/status-server.ts', ready: (line) => JSON.parse(line) as { port: number } });
  const origin = `http://127.0.0.1:${server.ready.port}`;
  const jobwatch = await ShippedJobwatch.start(services, 'batch-ids');
  try {
    const shapes: IdsShape[] = [{ intervalMs, warmupMs, measureMs, concurrency: config.concurrency }, ...more];
    const rows: Row[] = [];
    for (const [index, shape] of shapes.entries()) {
      if (index > 0) await jobwatch.reset();
      rows.push(...(await measureShape(context, jobwatch, origin, shape, index)));
    }
    return rows;
  } finally {
    await jobwatch.close();
    await server.stop();
  }
}

interface IdsShape { intervalMs: number; warmupMs: number; measureMs: number; concurrency: number }

/** One shape's two rows (11c1 and 11c2, then 11c3 and 11c4, ...), with worker processes of its own. */
async function measureShape(context: ScenarioContext, jobwatch: ShippedJobwatch, origin: string, shape: IdsShape, index: number): Promise<Row[]> {
  const { monitors, workers: workerCount } = context.config.batchIds;
  const { intervalMs, warmupMs, measureMs, concurrency } = shape;
  const workers: BenchChild<true>[] = [];
  try {
    // Started together; any that did start are stopped below even if another failed to.
    const started = await Promise.allSettled(Array.from({ length: workerCount }, () => jobwatch.startWorker(concurrency)));
    for (const result of started) if (result.status === 'fulfilled') workers.push(result.value);
    const failed = started.find((result) => result.status === 'rejected');
    if (failed) throw failed.reason;
    context.progress(`batch ids: ${workerCount} workers (concurrency ${concurrency}), ${monitors} monitors on one batchStatusUrl every ${intervalMs} ms`);
    const firstDue = Date.now() + START_LEAD_MS;
    // The jobs never end (a million polls to Completed).
    const inputs = monitorInputs(`batched${index}`, monitors, { intervalMs, batchStatusUrl: `${origin}/batch/1000000/b${index}` });
    await jobwatch.startMonitors(inputs, (i) => firstDue + (i / monitors) * intervalMs);
    await sleep(Math.max(0, firstDue - Date.now()) + warmupMs);
    const before = await counts(origin);
    await sleep(measureMs);
    const after = await counts(origin);
    const requests = after.requests - before.requests;
    const ids = after.ids - before.ids;
    const seconds = measureMs / 1000;
    const note = `${workerCount} worker processes (compiled CLI, default configuration, --concurrency ${concurrency}), ${monitors} monitors on one batchStatusUrl every ${intervalMs} ms, ` +
      `due evenly spread; ${seconds} s counted by the status server after ${warmupMs / 1000} s`;
    const id = (n: number) => `11c${index * 2 + n}`;
    const at = index === 0 ? '' : ` (${intervalMs / 1000} s interval, concurrency ${concurrency})`;
    return [
      row({ id: id(1), measurement: `batches as shipped: job ids per status request${at}`, value: ids / requests, unit: 'ids/req', note }),
      row({
        id: id(2), measurement: `batches as shipped: status requests per second${at}`, value: requests / seconds, unit: 'req/s',
        note: `for ${(ids / seconds).toFixed(0)} polls/s (${((monitors * 1000) / intervalMs).toFixed(0)}/s due, less the jitter)`,
      }),
    ];
  } finally {
    await Promise.all(workers.map((worker) => worker.stop()));
  }
}

async function counts(origin: string): Promise<{ requests: number; ids: number }> {
  return (await (await request(`${origin}/requests/`)).body.json()) as { requests: number; ids: number };
}
