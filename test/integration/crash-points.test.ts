import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runChaos } from '../chaos/chaos.ts';
import type { FaultPoint } from '../../src/queue/fault-points.ts';
import { BULLMQ_PATHS } from '../helpers/workers.ts';

// Each point is crashed once for sure, at a chosen monitor (chaos-4 polls until it was crashed
// after a re-schedule: see runChaos), and then at random per pass. Each crash costs a worker start
// (about 10 s on a loaded 2-core CI machine, under tsx) and kills every poll in flight in that
// worker, whose re-runs pass the points again (a final poll killed after its context write passes
// that point twice or more); so the rates are low, for about 15 crashes in all.
const CRASH_ONCE: Record<FaultPoint, string> = {
  'after-status-check': 'chaos-1', 'after-reschedule': 'chaos-4', 'after-context-write': 'chaos-2', 'after-completion-enqueue': 'chaos-3',
};
const CRASH_AT: Record<FaultPoint, number> = {
  'after-status-check': 0.01, 'after-reschedule': 0.02, 'after-context-write': 0.02, 'after-completion-enqueue': 0.02,
};
const POINTS = Object.keys(CRASH_ONCE) as FaultPoint[];

// A run ends when its monitors have: about a minute on a quiet machine, but at load average 23 on
// 2 cores a crash run took over 240 s (every crash costs a worker start of 10-20 s) and the
// long-lived monitor 136 s. So a run fails when nothing moved for 90 s (a lost chain), and the
// outer bound is wide.
const BOUNDS = { stallMs: 90_000, timeoutMs: 600_000 };
const TEST_TIMEOUT_MS = 660_000;

// Kills at set points of the monitor's 2,000 polls, not on a clock, so that all of them happen
// before it ends however fast its polls run.
const LONG_LIVED_KILL_AT = [0.1, 0.25, 0.4, 0.55, 0.7, 0.85];

// Both ways of re-scheduling (see BullmqSeam), one after the other: the chaos harness starts its
// worker processes with the isolation's environment, which carries JOBWATCH_BULLMQ_PATH.
describe.each(BULLMQ_PATHS)('on the %s BullMQ path', (path) => {
  beforeAll(() => {
    process.env.JOBWATCH_BULLMQ_PATH = path;
  });
  afterAll(() => {
    delete process.env.JOBWATCH_BULLMQ_PATH;
  });

  describe('a worker crashing at each step of a poll', () => {
    it('loses and doubles nothing: crashes after the status call, the context write, the re-schedule and the completion enqueue', async () => {
      const report = await runChaos({
        monitors: 120, workers: 2, crashAt: CRASH_AT, crashOnce: CRASH_ONCE,
        maxRunningPolls: 5, intervalMs: 100, lockDurationMs: 1_000, ...BOUNDS,
      });
      // One line per run in the test output: how often each point was crashed, on which path.
      console.info(`crash-points on the ${path} path: ${JSON.stringify(report.crashesAt)} in ${report.seconds.toFixed(0)} s`);
      expect(report.crashedOnceAt, `crashes by point: ${JSON.stringify(report.crashesAt)}`).toEqual([...POINTS].sort());
      expect(report.selfCrashes).toBeGreaterThanOrEqual(POINTS.length);
      expect(report).toMatchObject({ rows: 120, lost: 0, doubled: 0, wrongOutcome: 0, overlappingPolls: 0, pollsAfterEnd: 0, leftInRedis: 0 });
    }, TEST_TIMEOUT_MS);
  });

  describe('a long-lived monitor', () => {
    it('goes through 2,000 polls and 6 worker SIGKILLs on the way, and ends completed', async () => {
      const report = await runChaos({
        monitors: 1, workers: 2, killAt: LONG_LIVED_KILL_AT, runningPolls: () => 1_999, maxRunningPolls: 1,
        intervalMs: 5, lockDurationMs: 1_000, ...BOUNDS, privateRedisArgs: ['--hz', '100'],
      });
      expect(report.kills).toBe(LONG_LIVED_KILL_AT.length);
      for (const calls of report.killedAtCalls) expect(calls).toBeLessThan(2_000);
      expect(report.statusCalls).toBeGreaterThanOrEqual(2_000);
      expect(report).toMatchObject({ rows: 1, lost: 0, wrongOutcome: 0, overlappingPolls: 0, pollsAfterEnd: 0, leftInRedis: 0 });
    }, TEST_TIMEOUT_MS);
  });
});
