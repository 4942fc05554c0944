import { request } from 'undici';
import { startBenchChild } from '../harness/child-process.ts';
import { JobwatchFleet } from '../harness/jobwatch-fleet.ts';
import { median, rounds, settle } from '../harness/measure.ts';
import { pairedRatio, row, type Row, type ScenarioContext } from '../harness/scenario.ts';
import { createStatusProvider } from '../../src/status/create-provider.ts';
import { runJobwatchRound } from '../harness/in-process-round.ts';

/**
 * (11b) Batched against single-request HTTP polling, in alternating rounds of the same shape: N
 * monitors due at once, K polls each, the bench's concurrency, one status server in its own
 * process that counts the requests it answers. Both rounds read through the provider a worker
 * process builds (`createStatusProvider`), batches with the default JOBWATCH_BATCH_MAX and
 * JOBWATCH_BATCH_WINDOW.
 */
export async function batchScenario(context: ScenarioContext): Promise<Row[]> {
  const { config, services } = context;
  const { monitors, pollsPerMonitor } = config.batch;
  const server = await startBenchChild({ script: 'bench/harness/status-server.ts', ready: (line) => JSON.parse(line) as { port: number } });
  const origin = `http://127.0.0.1:${server.ready.port}`;
  const { handle } = await services.database('batch');
  const fleet = new JobwatchFleet(services, services.prefix('batch'), handle);
  const provider = await createStatusProvider(fleet.config, { concurrency: config.concurrency });
  const answered = async () => ((await (await request(`${origin}/requests/`)).body.json()) as { requests: number }).requests;
  // Each round's monitors get job ids of their own, so that the server's per-job count starts over.
  let round = 0;
  /** One round: polls/s, and the status requests the server answered per poll. */
  const measure = async (batched: boolean, n: number, k: number) => {
    const url = `${origin}/${batched ? 'batch' : 'jobs'}/${k}/r${++round}-{jobId}`;
    const before = await answered();
    const rate = await runJobwatchRound(context, fleet, provider, {
      monitors: n, pollsPerMonitor: k, ...(batched ? { batchStatusUrl: url.replace('-{jobId}', '') } : { statusUrl: url }),
    });
    return { rate, requestsPerPoll: ((await answered()) - before) / (n * k) };
  };
  try {
    context.progress('batch: warm-up');
    await measure(false, config.warmup.monitors, config.warmup.pollsPerMonitor);
    await measure(true, config.warmup.monitors, config.warmup.pollsPerMonitor);
    const single: number[] = [];
    const batched: number[] = [];
    const singleRequests: number[] = [];
    const batchedRequests: number[] = [];
    for (let r = 1; r <= config.rounds; r++) {
      await settle();
      const one = await measure(false, monitors, pollsPerMonitor);
      await settle();
      const many = await measure(true, monitors, pollsPerMonitor);
      single.push(one.rate);
      singleRequests.push(one.requestsPerPoll);
      batched.push(many.rate);
      batchedRequests.push(many.requestsPerPoll);
      context.progress(
        `batch round ${r}: single ${one.rate.toFixed(0)} polls/s (${one.requestsPerPoll.toFixed(3)} req/poll), ` +
          `batched ${many.rate.toFixed(0)} polls/s (${many.requestsPerPoll.toFixed(4)} req/poll), ${(many.rate / one.rate).toFixed(2)}x`,
      );
    }
    const shape = `${monitors} monitors due at once x ${pollsPerMonitor} polls (Processing, then Completed), concurrency ${config.concurrency}, ` +
      `one worker; server in its own process; one row each`;
    const batchedPerPoll = median(batchedRequests);
    return [
      row({
        id: '11b1', measurement: 'harness: jobwatch, single-request HTTP status (statusUrl)', value: rounds(single).median, unit: 'polls/s', samples: single,
        note: `${shape}; ${median(singleRequests).toFixed(3)} status requests per poll`,
      }),
      row({
        id: '11b2', measurement: 'harness: jobwatch, batched HTTP status (batchStatusUrl), same run', value: rounds(batched).median, unit: 'polls/s', samples: batched,
        ratio: { value: pairedRatio(batched, single), of: '(11b1)' }, target: { on: 'ratio', op: '>=', value: 2 },
        note: `${shape}; JOBWATCH_BATCH_MAX 100, JOBWATCH_BATCH_WINDOW 20ms; ratios are medians of per-round pairs`,
      }),
      row({
        id: '11b3', measurement: 'harness: batched, status requests per poll', value: batchedPerPoll, unit: 'req/poll', samples: batchedRequests,
        ratio: { value: batchedPerPoll / median(singleRequests), of: '(11b1) requests per poll' }, target: { on: 'value', op: '<=', value: 0.05 },
        note: `counted by the status server; ${(1 / batchedPerPoll).toFixed(1)} ids per request on average`,
      }),
    ];
  } finally {
    await provider.close();
    await fleet.close();
    await server.stop();
  }
}
