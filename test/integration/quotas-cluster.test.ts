import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Cluster } from 'ioredis';
import { NO_QUOTAS } from '../../src/access/quotas.ts';
import { monitorKey } from '../../src/monitor/namespace.ts';
import { RedisQuotas } from '../../src/quotas/redis-quotas.ts';
import { nodeOfKey, startRedisCluster, type TestRedisCluster } from '../helpers/redis-cluster.ts';

// The quota scripts on a Redis Cluster of their own: each namespace's keys in one slot, the
// namespaces spread over the masters, and usageAll finding them on every master.
let cluster: TestRedisCluster;
let redis: Cluster;

beforeAll(async () => {
  cluster = await startRedisCluster(3);
  redis = new Cluster(cluster.ports.map((port) => ({ host: '127.0.0.1', port })));
}, 60_000);

afterAll(async () => {
  await redis?.quit();
  await cluster?.stop();
});

describe('quotas on a Redis Cluster of 3 masters', () => {
  it('counts and refuses per namespace, wherever its slot is, and lists every namespace', async () => {
    const quotas = new RedisQuotas(redis, { prefix: 'jw' });
    const namespaces = Array.from({ length: 12 }, (_, i) => `team-${i}`);
    const now = Date.now();
    const quota = { ...NO_QUOTAS, runningMonitors: 2, earlyPushes: 1 };
    for (const ns of namespaces) {
      const keys = ['a', 'b'].map((id) => monitorKey(ns, id));
      expect((await quotas.reserveStart(ns, keys, [now + 60_000, now + 60_000], quota, now)).ok).toBe(true);
      expect(await quotas.reserveStart(ns, [monitorKey(ns, 'c')], [now + 60_000], quota, now)).toMatchObject({ ok: false, quota: 'runningMonitors' });
      expect(await quotas.reserveEarlyPush(ns, monitorKey(ns, 'p'), 10, 60_000, quota, now)).toEqual({ ok: true });
      await quotas.release(ns, keys[0]!);
    }
    // An undone start, as one transaction of the namespace's slot.
    const reserved = await quotas.reserveStart('undo', [monitorKey('undo', 'x')], [now + 60_000], quota, now);
    if (!reserved.ok) throw new Error('refused');
    await quotas.undoStart(reserved);
    expect(await quotas.usage('undo', now)).toMatchObject({ runningMonitors: 0, startsPerSecond: 0 });
    const masters = new Set(await Promise.all(namespaces.map((ns) => nodeOfKey(redis, quotas.keysOf(ns).running))));
    expect(masters.size).toBeGreaterThan(1);
    const usage = await quotas.usageAll(now);
    expect(usage.map((use) => use.namespace)).toEqual([...namespaces].sort());
    expect(usage.every((use) => use.runningMonitors === 1 && use.earlyPushes === 1 && use.earlyPushBytes === 10)).toBe(true);
  });
});
