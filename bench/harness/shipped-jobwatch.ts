import { sql } from 'drizzle-orm';
import { Agent, request } from 'undici';
import type { DatabaseHandle } from '../../src/db/database.ts';
import type { MonitorInput } from '../../src/monitor/input.ts';
import { CLI, startBenchChild, type BenchChild } from './child-process.ts';
import { waitUntil } from './measure.ts';
import type { BenchServices } from './services.ts';

/** The status hook every worker the bench starts loads (relative to the project root, the workers' working directory). */
const STATUS_HOOK = 'bench/harness/status-hook.mjs';
/** POST /api/monitors requests in flight while monitors are started, as a producer service might send them. */
const START_CONCURRENCY = 32;

/**
 * jobwatch as users run it: a `jobwatch server` and `jobwatch worker` processes of the compiled
 * CLI, with the default configuration: only where Redis and Postgres are, the key prefix (the
 * bench's own) and the status hook are set, unless a row names a change. Monitors are started
 * through the server's API, POST /api/monitors, one request each.
 */
export class ShippedJobwatch {
  private readonly agent = new Agent({ connections: START_CONCURRENCY });

  private constructor(
    private readonly services: BenchServices,
    readonly prefix: string,
    readonly database: DatabaseHandle,
    /** The environment of every jobwatch process of this fleet. */
    readonly env: Readonly<Record<string, string>>,
    private readonly server: BenchChild<string>,
  ) {}

  /** A server on a prefix and database of its own (`purpose` names both); `env` is added to every process's (e.g. a sources file). */
  static async start(services: BenchServices, purpose: string, extraEnv: Record<string, string> = {}): Promise<ShippedJobwatch> {
    const { url, handle } = await services.database(purpose);
    const prefix = services.prefix(purpose);
    const env = { REDIS_URL: services.config.redisUrl, DATABASE_URL: url, JOBWATCH_PREFIX: prefix, JOBWATCH_STATUS_HOOK: STATUS_HOOK, ...extraEnv };
    const server = await startBenchChild({
      script: CLI, runWith: 'node', args: ['server', '--port', '0'], env, ready: (line) => logged(line, 'server listening')?.url as string | undefined,
    });
    return new ShippedJobwatch(services, prefix, handle, env, server);
  }

  /** The server's base URL. */
  get url(): string {
    return this.server.ready;
  }

  /**
   * A `jobwatch worker --concurrency N` process, with its report pipe open (the status hook reports
   * its polls there) and `env` added to the fleet's (the hook's settings, or a row's change).
   */
  startWorker(concurrency: number, env: Record<string, string> = {}): Promise<BenchChild<true>> {
    return startBenchChild({
      script: CLI, runWith: 'node', args: ['worker', '--concurrency', String(concurrency)], env: { ...this.env, ...env }, report: true,
      ready: (line) => (logged(line, 'worker started') ? true : undefined),
    });
  }

  /**
   * Starts monitors through the API, as a producer does: one POST each, START_CONCURRENCY at a time.
   * With `firstDueAt`, each monitor's first poll is due then (epoch ms; `firstPollIn` from the moment
   * its request is sent), so that a fleet can be spread as one in steady state is.
   */
  async startMonitors(inputs: readonly MonitorInput[], firstDueAt?: (index: number) => number): Promise<void> {
    let next = 0;
    const post = async () => {
      while (next < inputs.length) {
        const index = next++;
        const input = firstDueAt ? { ...inputs[index]!, firstPollIn: Math.max(0, Math.round(firstDueAt(index) - Date.now())) } : inputs[index]!;
        const response = await request(`${this.url}/api/monitors`, {
          method: 'POST', dispatcher: this.agent, headers: { 'content-type': 'application/json' }, body: JSON.stringify(input),
        });
        const text = await response.body.text();
        if (response.statusCode !== 201) throw new Error(`bench: POST /api/monitors answered ${response.statusCode}: ${text}`);
      }
    };
    await Promise.all(Array.from({ length: START_CONCURRENCY }, post));
  }

  /** Waits until `monitors` final records are written (the round's end), and checks each ended after exactly `polls` polls. */
  async waitForEnds(monitors: number, polls: number): Promise<void> {
    await waitUntil(async () => (await this.count(sql`select count(*)::int as n from monitor_results`)) >= monitors, `${monitors} final records`);
    const right = await this.count(sql`select count(*)::int as n from monitor_results where polls = ${polls} and outcome = 'completed'`);
    if (right !== monitors) throw new Error(`bench: ${right} of ${monitors} monitors ended completed after ${polls} polls`);
  }

  /** Back to an empty prefix and tables between rounds. */
  async reset(): Promise<void> {
    await this.services.clearPrefix(this.prefix);
    await this.database.db.execute(sql`truncate monitor_results, monitor_checks, monitor_notifications`);
  }

  async close(): Promise<void> {
    await this.server.stop();
    await this.agent.close();
  }

  private async count(query: ReturnType<typeof sql>): Promise<number> {
    const rows = (await this.database.db.execute(query)) as unknown as { n: number }[];
    return rows[0]?.n ?? 0;
  }
}

/** A jobwatch log line (pino JSON) with this message, or undefined. */
function logged(line: string, message: string): Record<string, unknown> | undefined {
  if (!line.includes(message)) return undefined;
  try {
    const entry = JSON.parse(line) as Record<string, unknown>;
    return entry.msg === message ? entry : undefined;
  } catch {
    return undefined;
  }
}
