import { describe, expect, it } from 'vitest';
import { runChaos } from '../chaos/chaos.ts';

// A smaller `npm run chaos`: worker processes SIGKILLed at random while monitors run. The kills
// follow progress (10%, 30% and 60% of the status calls the monitors need), not the clock, so all
// three happen, with polls in flight, on a quiet machine as on a loaded one.
const KILL_AT = [0.1, 0.3, 0.6];

describe('chaos: workers killed at random', () => {
  it('3 workers, 500 monitors, a SIGKILL at 10%, 30% and 60% of the polls: each monitor ends once, correctly, alone', async () => {
    const report = await runChaos({
      monitors: 500, workers: 3, killAt: KILL_AT, maxRunningPolls: 6, intervalMs: 150, lockDurationMs: 1_500, timeoutMs: 100_000,
    });
    expect(report.kills).toBe(KILL_AT.length);
    // Each kill came before the calls the monitors need had all been made: monitors were polling.
    for (const calls of report.killedAtCalls) expect(calls).toBeLessThan(report.neededCalls);
    expect(report).toMatchObject({ rows: 500, lost: 0, doubled: 0, wrongOutcome: 0, overlappingPolls: 0, pollsAfterEnd: 0, leftInRedis: 0 });
  }, 150_000);
});

describe('chaos with rate limits on', () => {
  it('3 workers, 300 monitors over one host limited to 60/s, SIGKILLs at 10%, 30% and 60%: each monitor ends once, correctly, and the host never sees more than its limit', async () => {
    const LIMIT = 60;
    const report = await runChaos({
      monitors: 300, workers: 3, killAt: KILL_AT, maxRunningPolls: 4, intervalMs: 150, lockDurationMs: 1_500, timeoutMs: 100_000,
      // Every key gets the limit: the status server is the one host. At hz 100, as README "Scaling" recommends.
      workerEnv: { JOBWATCH_RATE_LIMITS: `*=${LIMIT}/s` }, privateRedisArgs: ['--hz', '100', '--maxmemory-policy', 'noeviction'],
    });
    expect(report.kills).toBe(KILL_AT.length);
    for (const calls of report.killedAtCalls) expect(calls).toBeLessThan(report.neededCalls);
    expect(report).toMatchObject({ rows: 300, lost: 0, doubled: 0, wrongOutcome: 0, overlappingPolls: 0, pollsAfterEnd: 0, leftInRedis: 0 });
    // Judged over the windows this process's stalls did not blur, and most windows must be judged.
    expect(report.judgedWindows, 'windows judged').toBeGreaterThanOrEqual(report.statusCalls / 2);
    expect(report.maxCallsPerSecond).toBeLessThanOrEqual(LIMIT * 1.1);
  }, 150_000);
});
