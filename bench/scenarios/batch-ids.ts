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
  const { monitors, workers: workerCount, intervalMs, warmupMs, measureMs } = config.batchIds;
  const server = await startBenchChild({ script: 'bench/harness/status-server.ts', ready: (line) => JSON.parse(line) as { port: number } });
  const origin = `http://127.0.0.1:${server.ready.port}`;
  const jobwatch = await ShippedJobwatch.start(services, 'batch-ids');
  const workers: BenchChild<true>[] = [];
  try {
    // Started together; any that did start are stopped below even if another failed to.
    const started = await Promise.allSettled(Array.from({ length: workerCount }, () => jobwatch.startWorker(config.concurrency)));
    for (const result of started) if (result.status === 'fulfilled') workers.push(result.value);
    const failed = started.find((result) => result.status === 'rejected');
    if (failed) throw failed.reason;
    context.progress(`batch ids: ${workerCount} workers, ${monitors} monitors on one batchStatusUrl every ${intervalMs} ms`);
    const firstDue = Date.now() + START_LEAD_MS;
    // The jobs never end (a million polls to Completed).
    const inputs = monitorInputs('batched', monitors, { intervalMs, batchStatusUrl: `${origin}/batch/1000000/b` });
    await jobwatch.startMonitors(inputs, (index) => firstDue + (index / monitors) * intervalMs);
    await sleep(Math.max(0, firstDue - Date.now()) + warmupMs);
    const before = await counts(origin);
    await sleep(measureMs);
    const after = await counts(origin);
    const requests = after.requests - before.requests;
    const ids = after.ids - before.ids;
    const seconds = measureMs / 1000;
    const shape = `${workerCount} worker processes (compiled CLI, default configuration), ${monitors} monitors on one batchStatusUrl every ${intervalMs} ms, ` +
      `due evenly spread; ${seconds} s counted by the status server after ${warmupMs / 1000} s`;
    return [
      row({ id: '11c1', measurement: 'batches as shipped: job ids per status request', value: ids / requests, unit: 'ids/req', note: shape }),
      row({
        id: '11c2', measurement: 'batches as shipped: status requests per second', value: requests / seconds, unit: 'req/s',
        note: `for ${(ids / seconds).toFixed(0)} polls/s (${((monitors * 1000) / intervalMs).toFixed(0)}/s due, less the jitter)`,
      }),
    ];
  } finally {
    await Promise.all(workers.map((worker) => worker.stop()));
    await jobwatch.close();
    await server.stop();
  }
}

async function counts(origin: string): Promise<{ requests: number; ids: number }> {
  return (await (await request(`${origin}/requests/`)).body.json()) as { requests: number; ids: number };
}
