// `npm run chaos`: the chaos run at a larger size. Sizes can be changed through the environment:
// CHAOS_MONITORS, CHAOS_WORKERS, CHAOS_KILLS (SIGKILLs, spread evenly over the run's progress),
// CHAOS_TIMEOUT_MS.
import { assertServicesReachable } from '../helpers/services.ts';
import { runChaos } from './chaos.ts';

const number = (name: string, fallback: number) => Number(process.env[name] ?? fallback);

if (process.env.CHAOS_KILL_EVERY_MS !== undefined) {
  process.stderr.write('CHAOS_KILL_EVERY_MS is gone: kills follow progress now, not the clock; set CHAOS_KILLS=N for N kills\n');
  process.exit(2);
}
await assertServicesReachable();
const kills = number('CHAOS_KILLS', 20);
const options = {
  monitors: number('CHAOS_MONITORS', 3_000),
  workers: number('CHAOS_WORKERS', 3),
  // Kill k of N at k/(N+1) of the status calls the monitors need: none at the very start or end.
  killAt: Array.from({ length: kills }, (_, k) => (k + 1) / (kills + 1)),
  maxRunningPolls: 8,
  intervalMs: 200,
  lockDurationMs: 2_000,
  timeoutMs: number('CHAOS_TIMEOUT_MS', 600_000),
  log: (line: string) => process.stderr.write(`${line}\n`),
};
process.stdout.write(`chaos run: ${JSON.stringify({ ...options, killAt: undefined, kills, log: undefined })}\n`);
const report = await runChaos(options);
process.stdout.write(
  [
    `monitors             ${report.monitors}`,
    `worker kills         ${report.kills} of ${kills}, at status calls ${report.killedAtCalls.join(', ')} of the ${report.neededCalls} needed`,
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
// A run with fewer kills than asked for did not test what it claims to.
process.exit(clean && report.kills === kills ? 0 : 1);
