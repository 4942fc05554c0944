import { describe, expect, it } from 'vitest';
import { runChaos } from '../chaos/chaos.ts';

// A smaller `npm run chaos`: worker processes SIGKILLed at random while monitors run.
describe('chaos: workers killed at random', () => {
  it('3 workers, 500 monitors, a SIGKILL every 3 seconds: each monitor ends once, correctly, alone', async () => {
    const report = await runChaos({
      monitors: 500, workers: 3, killEveryMs: 3_000, maxRunningPolls: 6, intervalMs: 150, lockDurationMs: 1_500, timeoutMs: 100_000,
    });
    expect(report.kills).toBeGreaterThanOrEqual(3);
    expect(report).toMatchObject({ rows: 500, lost: 0, doubled: 0, wrongOutcome: 0, overlappingPolls: 0, pollsAfterEnd: 0, leftInRedis: 0 });
  }, 150_000);
});
