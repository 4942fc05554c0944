import { sql } from 'drizzle-orm';
import { HistoryWriter } from '../../src/db/history-writer.ts';
import type { HistoryMode } from '../../src/monitor/history.ts';
import { JobwatchFleet } from '../harness/jobwatch-fleet.ts';
import { InMemoryStatusProvider } from '../harness/memory-status.ts';
import { rounds, settle } from '../harness/measure.ts';
import { pairedRatio, row, type Row, type ScenarioContext } from '../harness/scenario.ts';
import { runJobwatchRound } from '../harness/in-process-round.ts';

const MODES: readonly HistoryMode[] = ['off', 'changes', 'all'];

/**
 * (12) Poll history: jobwatch's throughput of (2) with JOBWATCH_HISTORY off, changes and all, in
 * alternating rounds of the same shape, each with the history writer a worker process runs. Each
 * round then checks the rows written: none, two per monitor (the first check and the end: the
 * in-memory status changes once), or one per poll.
 */
export async function historyScenario(context: ScenarioContext): Promise<Row[]> {
  const { config, services } = context;
  const { monitors, pollsPerMonitor } = config.throughput;
  const { handle } = await services.database('history');
  const fleet = new JobwatchFleet(services, services.prefix('history'), handle);
  const expectedRows: Record<HistoryMode, number> = { off: 0, changes: monitors * 2, all: monitors * pollsPerMonitor };

  async function round(mode: HistoryMode, n: number, k: number): Promise<number> {
    const writer = new HistoryWriter(handle.db, { defaultMode: mode });
    const rate = await runJobwatchRound(context, fleet, new InMemoryStatusProvider(k), { monitors: n, pollsPerMonitor: k }, writer);
    await writer.close();
    return rate;
  }

  try {
    context.progress('history: warm-up');
    for (const mode of MODES) await round(mode, config.warmup.monitors, config.warmup.pollsPerMonitor);
    const samples: Record<HistoryMode, number[]> = { off: [], changes: [], all: [] };
    for (let r = 1; r <= config.rounds; r++) {
      for (const mode of MODES) {
        await settle();
        samples[mode].push(await round(mode, monitors, pollsPerMonitor));
        const rows = (await handle.db.execute(sql`select count(*)::int as n from monitor_checks`)) as unknown as { n: number }[];
        if (rows[0]?.n !== expectedRows[mode]) throw new Error(`bench: history ${mode} wrote ${rows[0]?.n} rows, not ${expectedRows[mode]}`);
      }
      context.progress(`history round ${r}: ${MODES.map((mode) => `${mode} ${samples[mode].at(-1)!.toFixed(0)}/s`).join(', ')}`);
    }
    const shape = `${monitors} monitors x ${pollsPerMonitor} polls, in-memory status, concurrency ${config.concurrency}`;
    return [
      row({ id: '12a', measurement: 'harness: jobwatch, history off', value: rounds(samples.off).median, unit: 'polls/s', samples: samples.off, note: shape }),
      row({
        id: '12b', measurement: 'harness: jobwatch, history changes (default)', value: rounds(samples.changes).median, unit: 'polls/s', samples: samples.changes,
        ratio: { value: pairedRatio(samples.changes, samples.off), of: '(12a)' }, target: { on: 'ratio', op: '>=', value: 0.9 },
        note: `${expectedRows.changes} rows a round`,
      }),
      row({
        id: '12c', measurement: 'harness: jobwatch, history all', value: rounds(samples.all).median, unit: 'polls/s', samples: samples.all,
        ratio: { value: pairedRatio(samples.all, samples.off), of: '(12a)' }, target: { on: 'ratio', op: '>=', value: 0.7 },
        note: `${expectedRows.all} rows a round, written in batches of 500`,
      }),
    ];
  } finally {
    await fleet.close();
  }
}
