import { Agent, request } from 'undici';
import { HttpStatusProvider } from '../../src/status/http-provider.ts';
import { startBenchChild } from '../harness/child-process.ts';
import { JobwatchFleet } from '../harness/jobwatch-fleet.ts';
import { EventCounter, rounds, settle } from '../harness/measure.ts';
import { pairedRatio, row, type Row, type ScenarioContext } from '../harness/scenario.ts';
import { runJobwatchRound } from '../harness/in-process-round.ts';

/** Connections per status host: HttpStatusProvider's default, given to the bare client too. */
const CONNECTIONS = 64;

/**
 * (3) jobwatch reading statuses over HTTP from a local keep-alive server (its own process), in
 * rounds alternating with a bare undici loop against the same server at the same concurrency.
 */
export async function httpScenario(context: ScenarioContext): Promise<Row[]> {
  const { config, services } = context;
  const { monitors, pollsPerMonitor, bareRequests } = config.http;
  const server = await startBenchChild({ script: 'bench/harness/status-server.ts', ready: (line) => JSON.parse(line) as { port: number } });
  const origin = `http://127.0.0.1:${server.ready.port}`;
  const { handle } = await services.database('http');
  const fleet = new JobwatchFleet(services, services.prefix('http'), handle);
  const provider = new HttpStatusProvider({ timeoutMs: 10_000, connectionsPerHost: CONNECTIONS });
  // Each round's monitors get job ids of their own, so that the server's per-job count starts over.
  let round = 0;
  const jobwatch = (n: number, k: number) =>
    runJobwatchRound(context, fleet, provider, { monitors: n, pollsPerMonitor: k, statusUrl: `${origin}/jobs/${k}/r${++round}-{jobId}` });
  const bare = (requests: number) => bareHttpLoop(`${origin}/jobs/${Number.MAX_SAFE_INTEGER}/bare`, requests, config.concurrency);
  try {
    context.progress('http: warm-up');
    await bare(bareRequests / 10);
    await jobwatch(config.warmup.monitors, config.warmup.pollsPerMonitor);
    const baseline: number[] = [];
    const subject: number[] = [];
    for (let r = 1; r <= config.rounds; r++) {
      await settle();
      baseline.push(await bare(bareRequests));
      await settle();
      subject.push(await jobwatch(monitors, pollsPerMonitor));
      context.progress(`http round ${r}: bare undici ${baseline.at(-1)!.toFixed(0)}/s, jobwatch ${subject.at(-1)!.toFixed(0)}/s`);
    }
    const bareRate = rounds(baseline);
    const jobwatchRate = rounds(subject);
    return [
      row({
        id: '3a', measurement: 'bare undici GET loop, local keep-alive server', value: bareRate.median, unit: 'req/s', samples: baseline,
        note: `GET, read the body, JSON.parse; ${bareRequests} requests, ${config.concurrency} in flight, ${CONNECTIONS} connections; server in its own process`,
      }),
      row({
        id: '3b', measurement: 'harness: jobwatch, HTTP status (same server)', value: jobwatchRate.median, unit: 'polls/s', samples: subject,
        ratio: { value: pairedRatio(subject, baseline), of: '(3a)' }, target: { on: 'ratio', op: '>=', value: 0.6 },
        note: `${monitors} monitors x ${pollsPerMonitor} polls (Processing, then Completed), concurrency ${config.concurrency}; one row each` +
          combinedBound(context.figures.get('ceiling'), bareRate.median, jobwatchRate.median),
      }),
    ];
  } finally {
    await provider.close();
    await fleet.close();
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
