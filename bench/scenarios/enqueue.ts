import { Queue } from 'bullmq';
import { pollJob, START_CHUNK_SIZE, START_CHUNKS_IN_FLIGHT } from '../../src/client/start-monitors.ts';
import { createRedis } from '../../src/redis/connection.ts';
import { JobwatchFleet, monitorInputs, toContexts } from '../harness/jobwatch-fleet.ts';
import { nowMs, rounds, settle } from '../harness/measure.ts';
import { row, type Row, type ScenarioContext } from '../harness/scenario.ts';

const STATUS_URL = 'https://jobs.example.com/api/v1/jobs/{jobId}/status';

/**
 * (7) Enqueue: monitors started per second through `startMonitors` (validation, the existence
 * checks in Redis and Postgres, `addBulk`), N fresh monitors per round. Then the same N again,
 * which must start nothing: idempotency kept, at its own rate.
 */
export async function enqueueScenario(context: ScenarioContext): Promise<Row[]> {
  const { config, services } = context;
  const monitors = config.enqueueMonitors;
  const { handle } = await services.database('enqueue');
  const fleet = new JobwatchFleet(services, services.prefix('enqueue'), handle);
  const inputs = monitorInputs('job', monitors, { intervalMs: 60_000, statusUrl: STATUS_URL });
  const start = async (expectCreated: number) => {
    const startedAt = nowMs();
    const result = await fleet.client.startMonitors(inputs);
    const seconds = (nowMs() - startedAt) / 1000;
    if (result.created !== expectCreated || result.created + result.existing !== monitors) {
      throw new Error(`bench: startMonitors created ${result.created} and found ${result.existing} of ${monitors}; expected ${expectCreated} created`);
    }
    return monitors / seconds;
  };
  try {
    context.progress('enqueue: warm-up');
    await fleet.client.startMonitors(monitorInputs('warm', Math.min(5_000, monitors), { intervalMs: 60_000, statusUrl: STATUS_URL }));
    const fresh: number[] = [];
    const bare: number[] = [];
    const barePrefix = services.prefix('enqueue-bare');
    for (let round = 1; round <= config.rounds; round++) {
      await fleet.reset();
      await settle(500);
      fresh.push(await start(monitors));
      await services.clearPrefix(barePrefix);
      await settle(500);
      bare.push(await bareAddBulk(config.redisUrl, barePrefix, inputs));
      context.progress(`enqueue round ${round}: ${fresh.at(-1)!.toFixed(0)} monitors/s (bare addBulk ${bare.at(-1)!.toFixed(0)} jobs/s)`);
    }
    await services.clearPrefix(barePrefix);
    await settle(500);
    const again = await start(0);
    const jobs = await fleet.pollJobCount();
    if (jobs !== monitors) throw new Error(`bench: ${jobs} poll jobs for ${monitors} monitors after starting them twice`);
    const rate = rounds(fresh);
    const bareRate = rounds(bare);
    return [
      row({
        id: '7a', measurement: 'enqueue through startMonitors', value: rate.median, unit: 'monitors/s', samples: fresh,
        target: { on: 'value', op: '>=', value: 20_000 },
        ratio: { value: rate.median / bareRate.median, of: '(7c)' },
        note: `${monitors} new monitors per round, chunks of 1,000, 4 in flight: validation; per chunk one existence script per queue, one Postgres query, one addBulk`,
      }),
      row({
        id: '7b', measurement: 'the same monitors started again (all existing)', value: again, unit: 'monitors/s',
        note: `created 0 of ${monitors}; poll jobs afterwards: ${jobs} (one per monitor)`,
      }),
      row({
        id: '7c', measurement: 'bare BullMQ addBulk of the same poll jobs', value: bareRate.median, unit: 'jobs/s', samples: bare,
        note: `the jobs of (7a), validated beforehand and untimed; the same chunks and chunks in flight; no existence checks: what BullMQ alone takes to add them`,
      }),
    ];
  } finally {
    await fleet.close();
    await services.clearPrefix(fleet.prefix);
  }
}

/** The baseline of (7a): the same poll jobs added with BullMQ's addBulk alone, as startMonitors chunks them. */
async function bareAddBulk(redisUrl: string, prefix: string, inputs: ReturnType<typeof monitorInputs>): Promise<number> {
  const jobs = toContexts(inputs).map((monitorContext) => pollJob(monitorContext));
  const connection = createRedis(redisUrl);
  const queue = new Queue('polls', { connection, prefix });
  try {
    const startedAt = nowMs();
    let next = 0;
    const addChunks = async () => {
      while (next * START_CHUNK_SIZE < jobs.length) {
        const from = next++ * START_CHUNK_SIZE;
        await queue.addBulk(jobs.slice(from, from + START_CHUNK_SIZE));
      }
    };
    await Promise.all(Array.from({ length: START_CHUNKS_IN_FLIGHT }, addChunks));
    return jobs.length / ((nowMs() - startedAt) / 1000);
  } finally {
    await queue.close();
    await connection.quit();
  }
}
