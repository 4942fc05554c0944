import { sql } from 'drizzle-orm';
import type { HistoryMode } from '../../src/monitor/history.ts';
import { rounds, settle } from '../harness/measure.ts';
import { pairedRatio, roundPairs, row, type Row, type ScenarioContext } from '../harness/scenario.ts';
import { ShippedJobwatch } from '../harness/shipped-jobwatch.ts';
import { shippedRound } from '../harness/shipped-rounds.ts';

const MODES: readonly HistoryMode[] = ['off', 'changes', 'all'];

/**
 * (12) Poll history: the throughput of (2), a `jobwatch worker` process as shipped, with
 * JOBWATCH_HISTORY off, changes (the default) and all, in alternating rounds of the same shape.
 * Each round then checks the rows its worker wrote (flushed as it stopped): none, two per monitor
 * (the first check and the end: the hook's status changes once), or one per poll.
 */
export async function historyScenario(context: ScenarioContext): Promise<Row[]> {
  const { config, services } = context;
  const { monitors, pollsPerMonitor } = config.throughput;
  const jobwatch = await ShippedJobwatch.start(services, 'history');
  const expectedRows: Record<HistoryMode, number> = { off: 0, changes: monitors * 2, all: monitors * pollsPerMonitor };
  const round = async (mode: HistoryMode, n: number, k: number) =>
    (await shippedRound(context, jobwatch, { monitors: n, pollsPerMonitor: k, intervalMs: config.intervalMs }, { JOBWATCH_HISTORY: mode })).rate;
  try {
    context.progress('history: warm-up');
    for (const mode of MODES) await round(mode, config.warmup.monitors, config.warmup.pollsPerMonitor);
    const samples: Record<HistoryMode, number[]> = { off: [], changes: [], all: [] };
    for (let r = 1; r <= config.rounds; r++) {
      for (const mode of MODES) {
        await settle();
        samples[mode].push(await round(mode, monitors, pollsPerMonitor));
        const rows = (await jobwatch.database.db.execute(sql`select count(*)::int as n from monitor_checks`)) as unknown as { n: number }[];
        if (rows[0]?.n !== expectedRows[mode]) throw new Error(`bench: history ${mode} wrote ${rows[0]?.n} rows, not ${expectedRows[mode]}`);
      }
      context.progress(`history round ${r}: ${MODES.map((mode) => `${mode} ${samples[mode].at(-1)!.toFixed(0)}/s`).join(', ')}`);
    }
    const shape = `${monitors} monitors x ${pollsPerMonitor} polls, \`jobwatch worker --concurrency ${config.concurrency}\` as shipped, status hook`;
    const versusOff = (mode: HistoryMode) => ({
      value: rounds(samples[mode]).median, samples: samples[mode], rounds: roundPairs(samples[mode], samples.off),
      ratio: { value: pairedRatio(samples[mode], samples.off), of: '(12a)' },
    });
    return [
      row({ id: '12a', measurement: 'jobwatch worker process, JOBWATCH_HISTORY=off', value: rounds(samples.off).median, unit: 'polls/s', samples: samples.off, note: shape }),
      row({
        id: '12b', measurement: 'jobwatch worker process, history changes (default)', unit: 'polls/s', ...versusOff('changes'),
        target: { on: 'ratio', op: '>=', value: 0.9 }, note: `${expectedRows.changes} rows a round`,
      }),
      row({
        id: '12c', measurement: 'jobwatch worker process, JOBWATCH_HISTORY=all', unit: 'polls/s', ...versusOff('all'),
        target: { on: 'ratio', op: '>=', value: 0.7 }, note: `${expectedRows.all} rows a round, written in batches of 500`,
      }),
    ];
  } finally {
    await jobwatch.close();
  }
}
