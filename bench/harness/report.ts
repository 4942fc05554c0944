import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { BenchConfig } from '../config.ts';
import type { Table } from './costs.ts';
import type { Machine } from './machine.ts';
import type { Row, Target } from './scenario.ts';

export interface BenchReport {
  /** Names this run's Redis prefixes (`jwbench-<runId>-*`) and databases (`jwbench_<runId>_*`). */
  runId: string;
  startedAt: string;
  durationSeconds: number;
  machine: Machine;
  config: BenchConfig;
  rows: Row[];
  /** Tables beneath the rows: what a poll costs, command by command. */
  tables: Table[];
  /** Scenarios that could not finish, with why; their rows are missing. */
  errors: { scenario: string; message: string }[];
}

/** The table people read: one line per figure, its ratio to the baseline, the target and whether it is met. */
export function formatReport(report: BenchReport): string {
  const { machine, config } = report;
  const lines = [
    `jobwatch bench, ${report.startedAt}${config.quick ? ' (BENCH_QUICK: smoke sizes, figures not comparable)' : ''}`,
    `machine: ${machine.cores} cores (${machine.cpuModel}), ${machine.memoryGiB} GiB, ${machine.os}; load average ${machine.loadAverage.start.join(' ')} at start, ${machine.loadAverage.end.join(' ')} at end`,
    `software: Node ${machine.node}, Redis ${machine.redis} (${redisSettings(machine, config)}), PostgreSQL ${machine.postgres}, BullMQ ${machine.bullmq}, pg-boss ${machine.pgBoss}`,
    `config: ${config.rounds} timed round(s) per throughput figure (median; ratios are medians of per-round pairs), concurrency ${config.concurrency}, ` +
      `throughput ${config.throughput.monitors} monitors x ${config.throughput.pollsPerMonitor} polls @ ${config.intervalMs} ms (HTTP ${config.http.monitors} x ${config.http.pollsPerMonitor}), ` +
      `lateness ${config.lateness.rounds} x ${config.lateness.measureMs / 1000} s @ ${config.lateness.loadShare * 100}% of (2), memory ${config.memory.monitors} monitors, ` +
      `enqueue ${config.enqueueMonitors}, completions ${config.completions}, pg-boss ${config.pgBoss.monitors} x ${config.pgBoss.pollsPerMonitor}, batchSize ${config.pgBoss.batchSize} x ${config.pgBoss.localConcurrency}, ` +
      `batched status ${config.batch.monitors} x ${config.batch.pollsPerMonitor}, batch ids ${config.batchIds.monitors} monitors @ ${config.batchIds.intervalMs} ms on ${config.batchIds.workers} workers; ` +
      `scenarios: ${config.only.join(', ')}${config.suite === 'core' ? ' (bench:core)' : ''}`,
    '',
    ...table(report.rows),
    ...report.tables.flatMap(formatTable),
  ];
  const notes = report.rows.filter((r) => r.note).map((r) => `  (${r.id}) ${r.note}`);
  if (notes.length > 0) lines.push('', 'notes:', ...notes);
  if (report.errors.length > 0) lines.push('', 'errors:', ...report.errors.map((e) => `  ${e.scenario}: ${e.message}`));
  lines.push('', `took ${report.durationSeconds.toFixed(0)} s`);
  return `${lines.join('\n')}\n`;
}

function redisSettings(machine: Machine, config: BenchConfig): string {
  const settings = Object.entries(machine.redisSettings).map(([name, value]) => `${name} ${value}`).join(', ');
  const where = config.externalRedis ? `BENCH_REDIS_URL ${config.redisUrl}` : `the bench's own redis-server at ${config.redisUrl}`;
  return Object.keys(config.redisSettings).length > 0 ? `${where}; ${settings} set for this run by BENCH_REDIS_CONFIG` : `${where}; ${settings}`;
}

/** The rows, each followed by its rounds when it has several: each round's figure and its ratio to the baseline's of that round. */
function table(rows: readonly Row[]): string[] {
  const header = ['#', 'measurement', 'figure', 'ratio', 'target', 'met'];
  const cells = rows.flatMap((r) => [[
    r.id,
    r.measurement,
    `${formatNumber(r.value)} ${r.unit}`,
    r.ratio ? `${r.ratio.value.toFixed(2)}x ${r.ratio.of}` : '',
    r.target ? formatTarget(r.target, r.unit) : '',
    r.met === undefined ? '' : r.met ? 'yes' : 'NO',
  ], ...roundLines(r)]);
  return aligned(header, cells);
}

function roundLines(r: Row): string[][] {
  if (!r.rounds || r.rounds.length < 2) return [];
  return r.rounds.map((round, index) => [
    '', `  round ${index + 1}`, `${formatNumber(round.value)} ${r.unit}`,
    round.baseline === undefined ? '' : `${(round.value / round.baseline).toFixed(2)}x of ${formatNumber(round.baseline)}`, '', '',
  ]);
}

function formatTable(t: Table): string[] {
  return ['', `${t.title}:`, ...aligned(t.header, t.rows), ...(t.notes ?? []).map((note) => `  ${note}`)];
}

function aligned(header: string[], cells: string[][]): string[] {
  const widths = header.map((title, column) => Math.max(title.length, ...cells.map((c) => (c[column] ?? '').length)));
  const line = (values: string[]) => values.map((value, column) => value.padEnd(widths[column]!)).join('  ').trimEnd();
  return [line(header), line(widths.map((width) => '-'.repeat(width))), ...cells.map(line)];
}

function formatTarget(target: Target, unit: string): string {
  const op = target.op === '>=' ? '>=' : '<=';
  return target.on === 'ratio' ? `${op} ${Number(target.value.toPrecision(3))}x` : `${op} ${formatNumber(target.value)} ${unit}`;
}

export function formatNumber(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  if (Math.abs(value) >= 100) return Math.round(value).toLocaleString('en-US');
  return value.toPrecision(3);
}

/** The same report as JSON, so that runs can be compared. */
export async function writeReport(report: BenchReport, path: string): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, `${JSON.stringify(report, null, 2)}\n`);
}
