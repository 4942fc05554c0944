import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import postgres from 'postgres';
import { afterAll, describe, expect, it } from 'vitest';
import { loadBenchConfig } from '../../bench/config.ts';
import { formatReport, writeReport, type BenchReport } from '../../bench/harness/report.ts';
import { runBench } from '../../bench/run-bench.ts';
import { TEST_POSTGRES_URL, TEST_REDIS_URL } from '../helpers/services.ts';

/** Where the runs write their reports, one folder each; removed after the file's tests. */
const scratch = mkdtempSync(join(tmpdir(), 'jobwatch-bench-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));
const reportPath = (name: string) => join(scratch, name, 'latest.json');

/** Keeps `npm run bench` working: its quick mode, end to end, produces figures and leaves nothing behind. */
describe('npm run bench, quick mode', () => {
  it('measures throughput (the shipped worker process), enqueue and persistence against their baselines, prints and writes them, and cleans up', async () => {
    const output = reportPath('quick');
    const config = loadBenchConfig({
      BENCH_QUICK: '1', BENCH_REDIS_CONFIG: '', BENCH_ONLY: 'throughput,enqueue,persistence', BENCH_OUTPUT: output,
      BENCH_REDIS_URL: TEST_REDIS_URL, BENCH_POSTGRES_URL: TEST_POSTGRES_URL,
    });
    const report = await runBench(config);
    await writeReport(report, config.outputPath);

    expect(report.errors).toEqual([]);
    expect(report.rows.map((row) => row.id)).toEqual(['1', '1b', '2', '2g', '2h', '7a', '7b', '7c', '8a', '8b', '8c', '8d']);
    for (const row of report.rows) {
      expect(Number.isFinite(row.value) && row.value > 0, `${row.id} ${row.measurement}: ${row.value}`).toBe(true);
    }
    for (const id of ['1b', '2', '2h', '7a', '8b', '8d']) expect(report.rows.find((row) => row.id === id)?.ratio?.value).toBeGreaterThan(0);
    expect(report.rows.filter((row) => row.target).every((row) => typeof row.met === 'boolean')).toBe(true);
    expect(report.machine.cores).toBeGreaterThan(0);
    expect(report.machine.redis).toMatch(/^\d+\.\d+/);

    const table = formatReport(report);
    for (const row of report.rows) expect(table).toContain(row.measurement);
    expect(table).toMatch(/Node v\d+.*Redis \d.*PostgreSQL \d/);
    expect((JSON.parse(readFileSync(output, 'utf8')) as BenchReport).rows).toEqual(report.rows);

    expect(await leftovers(report.runId)).toEqual({ keys: 0, databases: [] });
  });

  it('measures push-to-row latency beside a 1 s poll, and the status calls of the two schedules, and cleans up', async () => {
    const report = await quickRun('push', ['10a', '10a', '10a', '10b', '10b', '10c', '10d']);
    expect(await leftovers(report.runId)).toEqual({ keys: 0, databases: [] });
  });

  it('measures the shipped worker with tracing on (ratio 0.1 and always-on, exporting to a local receiver) against off, and cleans up', async () => {
    const report = await quickRun('tracing', ['2t', '2ta']);
    for (const row of report.rows) expect(row.ratio?.value).toBeGreaterThan(0);
    expect(typeof report.rows[0]!.met).toBe('boolean');
    expect(await leftovers(report.runId)).toEqual({ keys: 0, databases: [] });
  });

  it('measures polls through a source with a bearer token and a mapping against a plain statusUrl, and cleans up', async () => {
    const report = await quickRun('sources', ['3s']);
    expect(report.rows[0]!.ratio?.value).toBeGreaterThan(0);
    expect(await leftovers(report.runId)).toEqual({ keys: 0, databases: [] });
  });

  it('measures operations from the API call to the start request at the service (a shipped server and worker), and cleans up', async () => {
    const report = await quickRun('operations', ['14a', '14b']);
    expect(typeof report.rows[1]!.met).toBe('boolean');
    expect(report.rows[1]!.rounds).toHaveLength(1);
    expect(await leftovers(report.runId)).toEqual({ keys: 0, databases: [] });
  });

  it('measures the monitors page overview over seeded history, and cleans up', async () => {
    const report = await quickRun('overview', ['13a', '13b', '13c']);
    expect(typeof report.rows[0]!.met).toBe('boolean');
    expect(await leftovers(report.runId)).toEqual({ keys: 0, databases: [] });
  });
});

/** One scenario in quick mode: no error, the rows named, each a positive figure. */
async function quickRun(scenario: string, rowIds: string[]): Promise<BenchReport> {
  const config = loadBenchConfig({
    BENCH_QUICK: '1', BENCH_REDIS_CONFIG: '', BENCH_ONLY: scenario, BENCH_OUTPUT: reportPath(scenario),
    BENCH_REDIS_URL: TEST_REDIS_URL, BENCH_POSTGRES_URL: TEST_POSTGRES_URL,
  });
  const report = await runBench(config);
  expect(report.errors).toEqual([]);
  expect(report.rows.map((row) => row.id)).toEqual(rowIds);
  for (const row of report.rows) expect(Number.isFinite(row.value) && row.value > 0, `${row.id} ${row.measurement}: ${row.value}`).toBe(true);
  return report;
}

async function leftovers(runId: string): Promise<{ keys: number; databases: string[] }> {
  const redis = new Redis(TEST_REDIS_URL);
  const sql = postgres(TEST_POSTGRES_URL, { max: 1, onnotice: () => {} });
  try {
    let keys = 0;
    for await (const batch of redis.scanStream({ match: `jwbench-${runId}-*`, count: 1_000 }) as AsyncIterable<string[]>) keys += batch.length;
    const databases = await sql<{ datname: string }[]>`select datname from pg_database where datname like ${`jwbench_${runId}_%`}`;
    return { keys, databases: databases.map((row) => row.datname) };
  } finally {
    await redis.quit();
    await sql.end();
  }
}
