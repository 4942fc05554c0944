// `npm run soak`: monitors at a steady interval for a while, one worker restart halfway; not in CI.
// Sizes by environment: SOAK_MONITORS (20,000), SOAK_INTERVAL_MS (1,000), SOAK_MINUTES (10),
// SOAK_BUCKET_SECONDS (60: lateness p99 per bucket), SOAK_CONCURRENCY (the worker's; 500).
// Exits non-zero if memory grows more than 10% after warm-up, lateness drifts, or a row is lost.
import { assertServicesReachable } from '../helpers/services.ts';
import { runSoak } from './soak.ts';

const number = (name: string, fallback: number) => Number(process.env[name] ?? fallback);

await assertServicesReachable();
const options = {
  monitors: number('SOAK_MONITORS', 20_000),
  intervalMs: number('SOAK_INTERVAL_MS', 1_000),
  durationMs: number('SOAK_MINUTES', 10) * 60_000,
  bucketMs: number('SOAK_BUCKET_SECONDS', 60) * 1_000,
  concurrency: number('SOAK_CONCURRENCY', 500),
  log: (line: string) => process.stderr.write(`${line}\n`),
};
process.stdout.write(`soak run: ${JSON.stringify({ ...options, log: undefined })}\n`);
const report = await runSoak(options);

const lines = [
  '| moment | worker RSS (MiB) | worker heap used (MiB) | Redis, the run\'s keys (MiB) | Redis used_memory, whole server (MiB) |',
  '|---|---|---|---|---|',
  ...report.samples.map((sample) => `| ${sample.at} | ${sample.workerRssMiB} | ${sample.workerHeapMiB} | ${sample.redisKeysMiB} | ${sample.redisUsedMiB} |`),
  '',
  `| bucket (${options.bucketMs / 1_000} s) | polls | lateness p99 (ms) |`,
  '|---|---|---|',
  ...report.latenessP99Ms.map((bucket) => `| ${bucket.bucket}${bucket.restart ? ' (restart)' : ''} | ${bucket.polls} | ${bucket.p99Ms} |`),
  '',
  `monitors ${report.monitors}, rows ${report.rows}, lost ${report.monitors - report.rows}`,
  report.problems.length === 0 ? 'no problems' : `problems:\n${report.problems.map((problem) => `  - ${problem}`).join('\n')}`,
];
process.stdout.write(`${lines.join('\n')}\n`);
process.exit(report.problems.length === 0 ? 0 : 1);
