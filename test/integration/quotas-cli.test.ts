import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { NO_QUOTAS } from '../../src/access/quotas.ts';
import { monitorKey } from '../../src/monitor/namespace.ts';
import { RedisQuotas } from '../../src/quotas/redis-quotas.ts';
import { uniqueName } from '../helpers/isolation.ts';
import { TEST_REDIS_URL } from '../helpers/services.ts';
import { runCli } from '../helpers/workers.ts';

// `jobwatch quotas` as a user runs it (the built CLI), over counts made by the adapter itself.
const prefix = uniqueName('quotascli');
const env = { REDIS_URL: TEST_REDIS_URL, JOBWATCH_PREFIX: prefix, LOG_LEVEL: 'warn' };
let redis: Redis;

beforeAll(async () => {
  redis = new Redis(TEST_REDIS_URL);
  const quotas = new RedisQuotas(redis, { prefix });
  const expireAt = Date.now() + 3_600_000;
  await quotas.reserveStart('team-a', ['a', 'b', 'c'].map((id) => monitorKey('team-a', id)), [expireAt, expireAt, expireAt], NO_QUOTAS);
  await quotas.reserveEarlyPush('default', monitorKey('default', 'early'), 2_048, 3_600_000, NO_QUOTAS);
});

afterAll(async () => {
  const keys = await redis.keys(`${prefix}:*`);
  if (keys.length > 0) await redis.del(...keys);
  await redis.quit();
});

describe('jobwatch quotas', () => {
  it("prints each namespace's use against its quotas, those JOBWATCH_NAMESPACE_QUOTAS names included", async () => {
    const result = await runCli(['quotas'], { ...env, JOBWATCH_NAMESPACE_QUOTAS: '{"team-a": {"runningMonitors": 4}, "idle": {"earlyPushes": "off"}}' });
    expect(result.code).toBe(0);
    const lines = result.stdout.trim().split('\n').map((line) => line.split(/\s{2,}/));
    expect(lines).toEqual([
      ['NAMESPACE', 'RUNNING', 'STARTS/S', 'EARLY PUSHES', 'EARLY PUSH BYTES'],
      ['default', '0 / 100000 (0%)', '0 / 1000 (0%)', '1 / 10000 (0%)', '2 KiB / 64 MiB (0%)'],
      ['idle', '0 / 100000 (0%)', '0 / 1000 (0%)', '0 / off', '0 B / 64 MiB (0%)'],
      ['team-a', '3 / 4 (75%)', expect.stringMatching(/^[03] \/ 1000 \(0%\)$/), '0 / 10000 (0%)', '0 B / 64 MiB (0%)'],
    ]);
  });

  it('answers JSON for the namespaces asked for, a quota that is off as null', async () => {
    const result = await runCli(['quotas', '--json', '--namespace', 'team-a'], { ...env, JOBWATCH_QUOTA_EARLY_PUSH_BYTES: 'off' });
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual([{
      namespace: 'team-a',
      used: { runningMonitors: 3, startsPerSecond: expect.any(Number), earlyPushes: 0, earlyPushBytes: 0 },
      limits: { runningMonitors: 100_000, startsPerSecond: 1_000, earlyPushes: 10_000, earlyPushBytes: null },
    }]);
  });

  it('refuses a namespace that cannot be one, in one line', async () => {
    const result = await runCli(['quotas', '--namespace', 'Team A'], env);
    expect(result.code).toBe(2);
    expect(result.stderr.trim()).toBe('jobwatch: --namespace: "Team A" is not a namespace (1 to 63 lowercase letters, digits and inner dashes)');
  });
});
