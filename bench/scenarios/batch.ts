import { median, rounds, settle } from '../harness/measure.ts';
import { pairedRatio, roundPairs, row, type Row, type ScenarioContext } from '../harness/scenario.ts';
import { ShippedJobwatch } from '../harness/shipped-jobwatch.ts';
import { startStatusServer, statusServerRound } from '../harness/shipped-rounds.ts';

/**
 * (11b) Batched against single-request HTTP polling, in alternating rounds of the same shape: N
 * monitors due at once, K polls each, started through the API and polled by a new `jobwatch worker`
 * process each round (compiled CLI, default configuration: JOBWATCH_BATCH_MAX 100,
 * JOBWATCH_BATCH_WINDOW 20ms), one status server in its own process that times and counts the
 * requests it answers.
 */
export async function batchScenario(context: ScenarioContext): Promise<Row[]> {
  const { config, services } = context;
  const { monitors, pollsPerMonitor } = config.batch;
  const server = await startStatusServer();
  const origin = `http://127.0.0.1:${server.ready.port}`;
  const jobwatch = await ShippedJobwatch.start(services, 'batch');
  // Each round's monitors get job ids of their own, so that the server's per-job count starts over.
  let round = 0;
  /** One round: polls/s, and the status requests the server answered per poll. */
  const measure = (batched: boolean, n: number, k: number) => {
    const url = `${origin}/${batched ? 'batch' : 'jobs'}/${k}/r${++round}-{jobId}`;
    return statusServerRound(context, jobwatch, origin, {
      monitors: n, pollsPerMonitor: k, ...(batched ? { batchStatusUrl: url.replace('-{jobId}', '') } : { statusUrl: url }),
    });
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
    const shape = `${monitors} monitors due at once x ${pollsPerMonitor} polls (Processing, then Completed), \`jobwatch worker --concurrency ${config.concurrency}\` as shipped, ` +
      `monitors via POST /api/monitors; server in its own process, timing first request to last; one row each`;
    const batchedPerPoll = median(batchedRequests);
    return [
      row({
        id: '11b1', measurement: 'jobwatch worker process, single-request HTTP status (statusUrl)', value: rounds(single).median, unit: 'polls/s', samples: single, rounds: roundPairs(single),
        note: `${shape}; ${median(singleRequests).toFixed(3)} status requests per poll`,
      }),
      row({
        id: '11b2', measurement: 'jobwatch worker process, batched HTTP status (batchStatusUrl), same run', value: rounds(batched).median, unit: 'polls/s', samples: batched, rounds: roundPairs(batched, single),
        ratio: { value: pairedRatio(batched, single), of: '(11b1)' }, target: { on: 'ratio', op: '>=', value: 2 },
        note: `${shape}; JOBWATCH_BATCH_MAX 100, JOBWATCH_BATCH_WINDOW 20ms; ratios are medians of per-round pairs`,
      }),
      row({
        id: '11b3', measurement: 'batched: status requests per poll', value: batchedPerPoll, unit: 'req/poll', samples: batchedRequests,
        ratio: { value: batchedPerPoll / median(singleRequests), of: '(11b1) requests per poll' }, target: { on: 'value', op: '<=', value: 0.05 },
        note: `counted by the status server; ${(1 / batchedPerPoll).toFixed(1)} ids per request on average`,
      }),
    ];
  } finally {
    await jobwatch.close();
    await server.stop();
  }
}
