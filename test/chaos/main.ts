// `npm run chaos`: the chaos run at a larger size. Sizes can be changed through the environment:
// CHAOS_MONITORS, CHAOS_WORKERS, CHAOS_KILL_EVERY_MS, CHAOS_TIMEOUT_MS.
import { assertServicesReachable } from '../helpers/services.ts';
import { runChaos } from './chaos.ts';

const number = (name: string, fallback: number) => Number(process.env[name] ?? fallback);

await assertServicesReachable();
const options = {
  monitors: number('CHAOS_MONITORS', 3_000),
  workers: number('CHAOS_WORKERS', 3),
  killEveryMs: number('CHAOS_KILL_EVERY_MS', 2_000),
  maxRunningPolls: 8,
  intervalMs: 200,
  lockDurationMs: 2_000,
  timeoutMs: number('CHAOS_TIMEOUT_MS', 600_000),
  log: (line: string) => process.stderr.write(`${line}\n`),
};
process.stdout.write(`chaos run: ${JSON.stringify({ ...options, log: undefined })}\n`);
const report = await runChaos(options);
process.stdout.write(
  [
    `monitors             ${report.monitors}`,
    `worker kills         ${report.kills}`,
    `status calls         ${report.statusCalls}`,
    `rows                 ${report.rows}`,
    `lost                 ${report.lost}`,
    `doubled              ${report.doubled}`,
    `wrong outcome        ${report.wrongOutcome}`,
    `overlapping polls    ${report.overlappingPolls}`,
    `polls after end      ${report.pollsAfterEnd}`,
    `left in Redis        ${report.leftInRedis}`,
    `seconds              ${report.seconds.toFixed(1)}`,
  ].join('\n') + '\n',
);
const clean = report.lost + report.doubled + report.wrongOutcome + report.overlappingPolls + report.pollsAfterEnd + report.leftInRedis === 0;
process.exit(clean ? 0 : 1);
