import { Agent, request } from 'undici';
import { HttpStatusProvider } from '../../src/status/http-provider.ts';
import { JobwatchFleet, monitorInputs } from '../harness/jobwatch-fleet.ts';
import { EventCounter, rounds, settle } from '../harness/measure.ts';
import { pairedRatio, roundPairs, row, type Row, type ScenarioContext } from '../harness/scenario.ts';
import { ShippedJobwatch } from '../harness/shipped-jobwatch.ts';
import { startStatusServer, statusServerRound } from '../harness/shipped-rounds.ts';
import { runJobwatchRound } from '../harness/in-process-round.ts';

/** Connections per status host: HttpStatusProvider's default, given to the bare client too. */
const CONNECTIONS = 64;

/**
 * (3) jobwatch reading statuses over HTTP from a local keep-alive server (its own process), in
 * rounds alternating with a bare undici loop against the same server at the same concurrency:
 * (3b) a `jobwatch worker` process as shipped (monitors started through the API), timed by the
 * server from the first status request to the last; (3h) the harness, jobwatch's workers in the
 * bench process, as a breakdown.
 */
export async function httpScenario(context: ScenarioContext): Promise<Row[]> {
  const { config, services } = context;
  const { monitors, pollsPerMonitor, bareRequests } = config.http;
  const server = await startStatusServer();
  const origin = `http://127.0.0.1:${server.ready.port}`;
  const { handle } = await services.database('http');
  const fleet = new JobwatchFleet(services, services.prefix('http'), handle);
  const shipped = await ShippedJobwatch.start(services, 'http-shipped');
  const provider = new HttpStatusProvider({ timeoutMs: 10_000, connectionsPerHost: CONNECTIONS });
  // Each round's monitors get job ids of their own, so that the server's per-job count starts over.
  let round = 0;
  const statusUrl = (k: number) => `${origin}/jobs/${k}/r${++round}-{jobId}`;
  const harness = (n: number, k: number) => runJobwatchRound(context, fleet, provider, { monitors: n, pollsPerMonitor: k, statusUrl: statusUrl(k) });
  const worker = async (n: number, k: number) =>
    (await statusServerRound(context, shipped, origin, { monitors: n, pollsPerMonitor: k, statusUrl: statusUrl(k) })).rate;
  const bare = (requests: number) => bareHttpLoop(`${origin}/jobs/${Number.MAX_SAFE_INTEGER}/bare`, requests, config.concurrency);
  try {
    context.progress('http: warm-up');
    await bare(bareRequests / 10);
    await worker(config.warmup.monitors, config.warmup.pollsPerMonitor);
    await harness(config.warmup.monitors, config.warmup.pollsPerMonitor);
    const baseline: number[] = [];
    const subject: number[] = [];
    const inProcess: number[] = [];
    for (let r = 1; r <= config.rounds; r++) {
      await settle();
      baseline.push(await bare(bareRequests));
      await settle();
      subject.push(await worker(monitors, pollsPerMonitor));
      await settle();
      inProcess.push(await harness(monitors, pollsPerMonitor));
      context.progress(`http round ${r}: bare undici ${baseline.at(-1)!.toFixed(0)}/s, jobwatch worker ${subject.at(-1)!.toFixed(0)}/s, harness ${inProcess.at(-1)!.toFixed(0)}/s`);
    }
    const bareRate = rounds(baseline);
    const jobwatchRate = rounds(subject);
    const shape = `${monitors} monitors x ${pollsPerMonitor} polls (Processing, then Completed), concurrency ${config.concurrency}; one row each`;
    return [
      row({
        id: '3a', measurement: 'bare undici GET loop, local keep-alive server', value: bareRate.median, unit: 'req/s', samples: baseline, rounds: roundPairs(baseline),
        note: `GET, read the body, JSON.parse; ${bareRequests} requests, ${config.concurrency} in flight, ${CONNECTIONS} connections; server in its own process`,
      }),
      row({
        id: '3b', measurement: 'jobwatch worker process as shipped, HTTP status (same server)', value: jobwatchRate.median, unit: 'polls/s', samples: subject,
        rounds: roundPairs(subject, baseline), ratio: { value: pairedRatio(subject, baseline), of: '(3a)' }, target: { on: 'ratio', op: '>=', value: 0.6 },
        note: `\`jobwatch worker --concurrency ${config.concurrency}\`, default configuration, monitors via POST /api/monitors; ${shape}; timed by the server, first request to last` +
          combinedBound(context.figures.get('ceiling'), bareRate.median, jobwatchRate.median),
      }),
      row({
        id: '3h', measurement: 'harness (breakdown): jobwatch\'s workers in the bench process, HTTP status', value: rounds(inProcess).median, unit: 'polls/s',
        samples: inProcess, rounds: roundPairs(inProcess, baseline), ratio: { value: pairedRatio(inProcess, baseline), of: '(3a)' }, note: shape,
      }),
    ];
  } finally {
    await provider.close();
    await fleet.close();
    await shipped.close();
    await server.stop();
  }
}

/**
 * On one machine a poll over HTTP costs at least a bare BullMQ poll plus a bare request, so the
 * two baselines together bound what jobwatch can reach: 1 / (1/(1) + 1/(3a)).
 */
function combinedBound(ceiling: number | undefined, bare: number, jobwatch: number): string {
  if (ceiling === undefined) return '';
  const bound = 1 / (1 / ceiling + 1 / bare);
  return `; a poll costing one bare BullMQ poll (1) plus one bare request (3a) bounds it at ${bound.toFixed(0)}/s: jobwatch reaches ${((jobwatch / bound) * 100).toFixed(0)}% of that`;
}

/**
 * The baseline: `concurrency` loops each GETting and reading a status body as fast as they can,
 * through an undici Agent set up as HttpStatusProvider's is. Resolves with requests per second.
 */
async function bareHttpLoop(url: string, requests: number, concurrency: number): Promise<number> {
  const agent = new Agent({ connections: CONNECTIONS, keepAliveTimeout: 30_000 });
  const counter = new EventCounter(requests);
  let issued = 0;
  const loop = async () => {
    while (issued < requests) {
      issued++;
      const response = await request(url, { method: 'GET', dispatcher: agent, headers: { accept: 'application/json' } });
      JSON.parse(await response.body.text());
      counter.tick();
    }
  };
  try {
    await Promise.all(Array.from({ length: concurrency }, loop));
    return await counter.rate();
  } finally {
    await agent.close();
  }
}
