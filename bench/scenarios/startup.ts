import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { CLI, startBenchChild } from '../harness/child-process.ts';
import { median, sleep } from '../harness/measure.ts';
import { rssMiB } from '../harness/process-rss.ts';
import { row, type Row, type ScenarioContext } from '../harness/scenario.ts';

const run = promisify(execFile);
const PROJECT_ROOT = fileURLToPath(new URL('../..', import.meta.url));

/**
 * (9) What a command costs to start, now that the CLI is compiled JS that loads only what each
 * command uses: CPU time (user + system) of `jobwatch --help` and of a real `jobwatch enqueue`,
 * and the RSS of an idle `jobwatch worker`, each beside the same figure for a bare `node` in the
 * same run. Runs alternate between the commands, so a noisy machine weighs on all of them alike.
 */
export async function startupScenario(context: ScenarioContext): Promise<Row[]> {
  const { config, services } = context;
  const { url } = await services.database('startup');
  const env = { PATH: process.env.PATH ?? '', REDIS_URL: config.redisUrl, DATABASE_URL: url, JOBWATCH_PREFIX: services.prefix('startup') };
  try {
    const bare: number[] = [];
    const help: number[] = [];
    const enqueue: number[] = [];
    for (let i = 0; i < config.startupRuns; i++) {
      bare.push(await cpuSeconds(['-e', '0'], env));
      help.push(await cpuSeconds([CLI, '--help'], env));
      enqueue.push(await cpuSeconds([CLI, 'enqueue', '--job-id', `startup-${i}`, '--status-url', 'http://127.0.0.1:9/jobs/{jobId}', '--interval', '1h'], env));
    }
    // The enqueue runs above left monitors under env's prefix; an idle worker gets a prefix of its own.
    const idle = await idleRss(context, { ...env, JOBWATCH_PREFIX: services.prefix('startup-idle') });
    const how = `median of ${config.startupRuns} runs, alternating; user + system CPU`;
    return [
      row({ id: '9a', measurement: 'CPU time of `node -e 0` (baseline)', value: median(bare), unit: 's', samples: bare, note: how }),
      row({
        id: '9b', measurement: 'CPU time of `jobwatch --help`', value: median(help), unit: 's', samples: help,
        ratio: { value: median(help) / median(bare), of: '9a' }, target: { on: 'value', op: '<=', value: 0.15 }, note: how,
      }),
      row({
        id: '9c', measurement: 'CPU time of `jobwatch enqueue` (one monitor, Redis and Postgres)', value: median(enqueue), unit: 's', samples: enqueue,
        ratio: { value: median(enqueue) / median(bare), of: '9a' }, note: `${how}; connects, checks the schema, adds the poll job`,
      }),
      ...idle,
    ];
  } finally {
    await services.clearPrefix(env.JOBWATCH_PREFIX);
  }
}

/** User + system CPU seconds of one `node ARGS` run, as bash's `time` reports it for the child. */
async function cpuSeconds(args: string[], env: Record<string, string>): Promise<number> {
  const script = 'TIMEFORMAT="%3U %3S"; time "$@" >/dev/null 2>&1';
  // --norc: bash reads ~/.bashrc when it thinks rshd started it, as a socket for stdin looks like.
  const { stderr } = await run('bash', ['--norc', '--noprofile', '-c', script, 'bench', process.execPath, ...args], { cwd: PROJECT_ROOT, env });
  const [user, system] = (stderr.trim().split('\n').at(-1) ?? '').split(/\s+/).map(Number);
  if (!Number.isFinite(user) || !Number.isFinite(system)) throw new Error(`bench: could not read CPU time of node ${args.join(' ')}: ${stderr}`);
  return user! + system!;
}

/** RSS of an idle `jobwatch worker` (its code loaded, connected, nothing to do) and of an idle bare `node`. */
async function idleRss(context: ScenarioContext, env: Record<string, string>): Promise<Row[]> {
  const { rssSamples } = context.config.memory;
  const sample = async (pid: number) => {
    const samples: number[] = [];
    for (let i = 0; i < rssSamples; i++) {
      await sleep(1_000);
      samples.push(await rssMiB(pid));
    }
    return samples;
  };
  const bareNode = await startBenchChild({ script: '-e', args: ['console.log("ready"); setInterval(() => {}, 1000)'], runWith: 'node', ready: (line) => line === 'ready' || undefined });
  const bare = await sample(bareNode.process.pid!).finally(() => bareNode.stop());
  const worker = await startBenchChild({
    script: CLI, args: ['worker'], runWith: 'node', env: { ...env, LOG_LEVEL: 'info' },
    ready: (line) => line.includes('worker started') || undefined,
  });
  const idle = await sample(worker.process.pid!).finally(() => worker.stop());
  const how = `median of ${rssSamples} samples 1 s apart`;
  return [
    row({ id: '9d', measurement: 'RSS of an idle `node` (baseline)', value: median(bare), unit: 'MiB', samples: bare, note: how }),
    row({
      id: '9e', measurement: 'RSS of an idle `jobwatch worker`', value: median(idle), unit: 'MiB', samples: idle,
      ratio: { value: median(idle) / median(bare), of: '9d' }, target: { on: 'value', op: '<=', value: 100 },
      note: `the compiled CLI, connected to Redis and Postgres, no monitors; ${how}`,
    }),
  ];
}
