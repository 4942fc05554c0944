/**
 * `npm run bench`: every measurement of the performance issue in one run, each against its baseline
 * measured beside it; `npm run bench:core` (argument `core`): the core rows only. Prints the table
 * on stdout (progress on stderr) and writes the same as JSON to bench/results/latest.json.
 * `BENCH_QUICK=1` runs small sizes as a smoke test; `BENCH_ONLY=a,b` runs some scenarios. The
 * environment and the arguments are read here and nowhere else.
 */
import { loadBenchConfig } from './config.ts';
import { formatReport, writeReport } from './harness/report.ts';
import { runBench } from './run-bench.ts';

const suite = process.argv[2];
if (suite !== undefined && suite !== 'core') throw new Error(`bench: unknown argument ${suite}; use core, or none for every scenario`);
const config = loadBenchConfig(process.env, suite ?? 'all');
const report = await runBench(config, (line) => process.stderr.write(`[bench] ${line}\n`));
process.stdout.write(formatReport(report));
await writeReport(report, config.outputPath);
process.stderr.write(`[bench] wrote ${config.outputPath}\n`);
process.exitCode = report.errors.length > 0 ? 1 : 0;
