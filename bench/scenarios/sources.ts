import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';
import { rounds } from '../harness/measure.ts';
import { alternatingRounds, pairedRatio, roundPairs, row, type Row, type ScenarioContext } from '../harness/scenario.ts';
import { ShippedJobwatch } from '../harness/shipped-jobwatch.ts';
import { startStatusServer, statusServerRound } from '../harness/shipped-rounds.ts';

/** The variable the worker reads the source's bearer token from (the sources file names it, never the token). */
const TOKEN_ENV = 'BENCH_SOURCE_TOKEN';
const TOKEN = 'bench-token-not-a-secret';
const SOURCE = 'bench-secure';

/**
 * (3s) A source with a bearer credential and a mapping against a plain statusUrl, in rounds that
 * alternate on one status server (its own process) and one jobwatch deployment (server and a new
 * `jobwatch worker` process each round, compiled CLI, default configuration, the same sources file
 * for both): N monitors x K polls through the API, once with `statusUrl` on /jobs (answers
 * `{"status": ...}`), once with `source`/`params` on a source whose requests carry
 * `Authorization: Bearer` (read from the worker's environment at each request) to /secure, which
 * answers 401 without it and `{"state": {"phase": ...}}` read by `statusPath: "state.phase"`.
 * Timed by the server as row (3b) is; each round checks every monitor ended completed after K polls.
 */
export async function sourcesScenario(context: ScenarioContext): Promise<Row[]> {
  const { config, services } = context;
  const { monitors, pollsPerMonitor } = config.http;
  const server = await startStatusServer({ BENCH_BEARER_TOKEN: TOKEN });
  const origin = `http://127.0.0.1:${server.ready.port}`;
  const folder = await mkdtemp(join(tmpdir(), 'jobwatch-bench-sources-'));
  let jobwatch: ShippedJobwatch | undefined;
  try {
    await refusesWithoutToken(origin);
    const sourcesFile = join(folder, 'sources.json');
    await writeFile(sourcesFile, JSON.stringify(sourcesFileFor(origin)));
    jobwatch = await ShippedJobwatch.start(services, 'sources', { JOBWATCH_SOURCES: sourcesFile, [TOKEN_ENV]: TOKEN });
    const fleet = jobwatch;
    // Each round's monitors get job ids of their own (the round in the URL), so that the server's per-job count starts over.
    let round = 0;
    const plain = async (n: number, k: number) =>
      (await statusServerRound(context, fleet, origin, { monitors: n, pollsPerMonitor: k, statusUrl: `${origin}/jobs/${k}/r${++round}-{jobId}` })).rate;
    const viaSource = async (n: number, k: number) => {
      const { rate, requestsPerPoll } = await statusServerRound(context, fleet, origin, {
        monitors: n, pollsPerMonitor: k, source: { name: SOURCE, params: { polls: String(k), round: `r${++round}` } },
      });
      // A refused request (no token) would be a request without a poll: the row would time retries.
      if (requestsPerPoll !== 1) throw new Error(`bench: (3s) made ${requestsPerPoll.toFixed(3)} requests per poll; every one should have carried the token`);
      return rate;
    };
    context.progress('sources: warm-up');
    await plain(config.warmup.monitors, config.warmup.pollsPerMonitor);
    await viaSource(config.warmup.monitors, config.warmup.pollsPerMonitor);
    const { baseline, subject } = await alternatingRounds(config.rounds, () => plain(monitors, pollsPerMonitor), () => viaSource(monitors, pollsPerMonitor),
      (r, url, source) => context.progress(`sources round ${r}: statusUrl ${url.toFixed(0)}/s, source (bearer, mapping) ${source.toFixed(0)}/s, ${(source / url).toFixed(2)}x`));
    return [row({
      id: '3s', measurement: 'jobwatch worker process, source with a bearer token and a mapping, vs plain statusUrl', value: rounds(subject).median, unit: 'polls/s',
      samples: subject, rounds: roundPairs(subject, baseline), ratio: { value: pairedRatio(subject, baseline), of: 'statusUrl' }, target: { on: 'ratio', op: '>=', value: 0.9 },
      note: `\`jobwatch worker --concurrency ${config.concurrency}\`, default configuration, JOBWATCH_SOURCES set for both; ${monitors} monitors x ${pollsPerMonitor} polls ` +
        `per round, alternating (odd rounds statusUrl first, even rounds the source first): plain statusUrl (median ${rounds(baseline).median.toFixed(0)} polls/s), source \`${SOURCE}\` (auth.bearer.env ${TOKEN_ENV}, ` +
        'statusPath state.phase; the server answers 401 without the token); timed by the server, first request to last; ratio: median of per-round ratios',
    })];
  } finally {
    await jobwatch?.close();
    await server.stop();
    await rm(folder, { recursive: true, force: true });
  }
}

/** The source the monitors name: the server's /secure route, a bearer token from the worker's environment, a mapping. */
function sourcesFileFor(origin: string): unknown {
  return {
    sources: {
      [SOURCE]: {
        url: `${origin}/secure/{polls}/{round}-{jobId}`, params: ['polls', 'round'],
        statusPath: 'state.phase', running: ['RUNNING'], completed: ['SUCCEEDED'],
        auth: { bearer: { env: TOKEN_ENV } },
      },
    },
  };
}

/** The row means something only if the credential is needed: the server must refuse a request without it. */
async function refusesWithoutToken(origin: string): Promise<void> {
  const response = await request(`${origin}/secure/1/unauthenticated`);
  await response.body.dump();
  if (response.statusCode !== 401) throw new Error(`bench: the status server answered ${response.statusCode} without a bearer token; (3s) needs it to answer 401`);
}
