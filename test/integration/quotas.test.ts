import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { NO_QUOTAS, type QuotaLimits } from '../../src/access/quotas.ts';
import { QuotaExceededError } from '../../src/errors/errors.ts';
import { monitorKey } from '../../src/monitor/namespace.ts';
import { quotaUsage } from '../../src/quotas/quota-report.ts';
import { quotaExceeded, RedisQuotas, RUNNING_MARGIN_MS, type StartReservation } from '../../src/quotas/redis-quotas.ts';
import { uniqueName } from '../helpers/isolation.ts';
import { TEST_REDIS_URL } from '../helpers/services.ts';

// The quota scripts against a real Redis. Time is the `now` each call is given, never a sleep:
// each test uses namespaces of its own, and a clock of its own far from the others'.
const prefix = uniqueName('quotas');
let redis: Redis;
let quotas: RedisQuotas;

beforeAll(() => {
  redis = new Redis(TEST_REDIS_URL);
  quotas = new RedisQuotas(redis, { prefix });
});

afterAll(async () => {
  const keys = await redis.keys(`${prefix}:*`);
  if (keys.length > 0) await redis.del(...keys);
  await redis.quit();
});

const T0 = 1_800_000_000_000;
const HOUR = 3_600_000;
const limits = (overrides: Partial<QuotaLimits>): QuotaLimits => ({ ...NO_QUOTAS, ...overrides });

/** Every key of one namespace with its whole value (not its TTL, which time moves): what "nothing written" compares. */
async function snapshot(namespace: string): Promise<Record<string, unknown>> {
  const keys = (await redis.keys(`${prefix}:quotas:{${namespace}}:*`)).sort();
  const values: Record<string, unknown> = {};
  for (const key of keys) {
    const type = await redis.type(key);
    values[key] = type === 'zset' ? await redis.zrange(key, 0, -1, 'WITHSCORES')
      : type === 'hash' ? await redis.hgetall(key) : await redis.get(key);
  }
  return values;
}

function expectReserved(result: Awaited<ReturnType<RedisQuotas['reserveStart']>>): StartReservation {
  if (!result.ok) throw new Error(`refused: ${quotaExceeded(result).message}`);
  return result;
}

describe('running monitors', () => {
  it('admits up to the quota, then refuses a start, and a batch that would pass it, writing nothing', async () => {
    const ns = 'run-full';
    const key = (i: number) => monitorKey(ns, `m-${i}`);
    const quota = limits({ runningMonitors: 5 });
    expectReserved(await quotas.reserveStart(ns, [key(1), key(2), key(3)], [T0 + HOUR, T0 + HOUR, T0 + HOUR], quota, T0));
    expectReserved(await quotas.reserveStart(ns, [key(4)], [T0 + HOUR], quota, T0 + 1));
    const before = await snapshot(ns);

    const batch = await quotas.reserveStart(ns, [key(5), key(6)], [T0 + HOUR, T0 + HOUR], quota, T0 + 2);
    expect(batch).toMatchObject({ ok: false, quota: 'runningMonitors', namespace: ns, used: 4, limit: 5, requested: 2 });
    expect(await snapshot(ns)).toEqual(before);

    expectReserved(await quotas.reserveStart(ns, [key(5)], [T0 + HOUR], quota, T0 + 3));
    const full = await snapshot(ns);
    const refused = await quotas.reserveStart(ns, [key(6)], [T0 + HOUR], quota, T0 + 4);
    expect(refused).toMatchObject({ ok: false, quota: 'runningMonitors', used: 5, limit: 5, requested: 1 });
    expect(refused.ok === false && refused.retryAfterMs).toBeGreaterThanOrEqual(1);
    expect(await snapshot(ns)).toEqual(full);
    expect((await quotas.usage(ns, T0 + 4)).runningMonitors).toBe(5);
  });

  it('counts a monitor once: a repeated start of a running one is admitted even at the quota, and counts nothing', async () => {
    const ns = 'run-again';
    const quota = limits({ runningMonitors: 2 });
    const [a, b] = [monitorKey(ns, 'a'), monitorKey(ns, 'b')];
    expect(expectReserved(await quotas.reserveStart(ns, [a, a], [T0 + HOUR, T0 + HOUR], quota, T0)).added).toEqual([a]);
    expect(expectReserved(await quotas.reserveStart(ns, [b], [T0 + HOUR], quota, T0)).added).toEqual([b]);
    const before = await snapshot(ns);
    const again = expectReserved(await quotas.reserveStart(ns, [a, b], [T0 + HOUR, T0 + HOUR], quota, T0 + 10));
    expect(again.added).toEqual([]);
    expect(await snapshot(ns)).toEqual(before);
    // Undoing a start that counted nothing takes nothing back (a 409 for a monitor already running).
    await quotas.undoStart(again);
    expect(await snapshot(ns)).toEqual(before);
  });

  it('frees a slot when a monitor is released, and a release is idempotent', async () => {
    const ns = 'run-release';
    const quota = limits({ runningMonitors: 1 });
    const [a, b] = [monitorKey(ns, 'a'), monitorKey(ns, 'b')];
    expectReserved(await quotas.reserveStart(ns, [a], [T0 + HOUR], quota, T0));
    expect(await quotas.reserveStart(ns, [b], [T0 + HOUR], quota, T0)).toMatchObject({ ok: false });
    await quotas.release(ns, a);
    await quotas.release(ns, a);
    expectReserved(await quotas.reserveStart(ns, [b], [T0 + HOUR], quota, T0 + 1));
    expect((await quotas.usage(ns, T0 + 1)).runningMonitors).toBe(1);
  });

  it('takes back an undone start: its slot and its place in the starts window', async () => {
    const ns = 'run-undo';
    const quota = limits({ runningMonitors: 1, startsPerSecond: 1 });
    const before = await snapshot(ns);
    const reservation = expectReserved(await quotas.reserveStart(ns, [monitorKey(ns, 'a')], [T0 + HOUR], quota, T0));
    await quotas.undoStart(reservation);
    const usage = await quotas.usage(ns, T0);
    expect([usage.runningMonitors, usage.startsPerSecond]).toEqual([0, 0]);
    expect(await snapshot(ns)).toEqual(before);
    expectReserved(await quotas.reserveStart(ns, [monitorKey(ns, 'b')], [T0 + HOUR], quota, T0));
  });

  it('drops a monitor that was never released once its expireAt and the margin have passed', async () => {
    const ns = 'run-expired';
    const quota = limits({ runningMonitors: 1 });
    const crashed = monitorKey(ns, 'crashed');
    expectReserved(await quotas.reserveStart(ns, [crashed], [T0 + 1_000], quota, T0));
    const passed = T0 + 1_000 + RUNNING_MARGIN_MS;
    const refused = await quotas.reserveStart(ns, [monitorKey(ns, 'next')], [passed + HOUR], quota, passed - 1);
    // Refused while its slot is held, and told to come back no later than the slot's end.
    expect(refused).toMatchObject({ ok: false, quota: 'runningMonitors', retryAfterMs: 1 });
    expect((await quotas.usage(ns, passed)).runningMonitors).toBe(0);
    expectReserved(await quotas.reserveStart(ns, [monitorKey(ns, 'next')], [passed + HOUR], quota, passed + 1));
    expect(await redis.zrange(quotas.keysOf(ns).running, 0, -1)).toEqual([monitorKey(ns, 'next')]);
    // The same id started again after its crash counts as new.
    expect(expectReserved(await quotas.reserveStart(ns, [crashed], [passed + HOUR], limits({}), passed + 2)).added).toEqual([crashed]);
  });
});

describe('starts per second (a sliding one-second window)', () => {
  it('admits the quota in any one second, refuses the next with the time until the oldest leaves, and admits it then', async () => {
    const ns = 'starts';
    const quota = limits({ startsPerSecond: 3 });
    const start = (id: string, now: number) => quotas.reserveStart(ns, [monitorKey(ns, id)], [now + HOUR], quota, now);
    expectReserved(await start('a', T0));
    expectReserved(await start('b', T0 + 400));
    expectReserved(await start('c', T0 + 800));
    const before = await snapshot(ns);
    expect(await start('d', T0 + 900)).toMatchObject({ ok: false, quota: 'startsPerSecond', retryAfterMs: 100, used: 3, limit: 3, requested: 1 });
    expect(await snapshot(ns)).toEqual(before);
    // At T0 + 1000 the start at T0 has left the window; the one at T0 + 400 has not.
    expectReserved(await start('d', T0 + 1_000));
    expect(await start('e', T0 + 1_300)).toMatchObject({ ok: false, retryAfterMs: 100 });
    expect((await quotas.usage(ns, T0 + 1_300)).startsPerSecond).toBe(3);
    expectReserved(await start('e', T0 + 1_400));
  });

  it('counts a batch of N as N, and its retry waits for as many to leave', async () => {
    const ns = 'starts-batch';
    const quota = limits({ startsPerSecond: 4 });
    const keys = (ids: string[]) => ids.map((id) => monitorKey(ns, id));
    const at = (n: number, now: number) => Array.from({ length: n }, () => now + HOUR);
    expectReserved(await quotas.reserveStart(ns, keys(['a']), at(1, T0), quota, T0));
    expectReserved(await quotas.reserveStart(ns, keys(['b', 'c']), at(2, T0 + 200), quota, T0 + 200));
    // 3 in the window, 3 asked for: 2 must leave first, the second of them at T0 + 200.
    expect(await quotas.reserveStart(ns, keys(['d', 'e', 'f']), at(3, T0 + 500), quota, T0 + 500))
      .toMatchObject({ ok: false, quota: 'startsPerSecond', retryAfterMs: 700, requested: 3 });
    expectReserved(await quotas.reserveStart(ns, keys(['d', 'e', 'f']), at(3, T0 + 1_200), quota, T0 + 1_200));
    // A batch larger than the quota can never fit: it is refused, not left waiting for ever unsaid.
    expect(await quotas.reserveStart(ns, keys(['g', 'h', 'i', 'j', 'k']), at(5, T0 + 9_000), quota, T0 + 9_000))
      .toMatchObject({ ok: false, quota: 'startsPerSecond', used: 0, limit: 4, requested: 5 });
  });
});

describe('early pushes', () => {
  it('counts pushes against their quota, refuses the next with nothing written, and frees one taken', async () => {
    const ns = 'early-count';
    const quota = limits({ earlyPushes: 2 });
    expect(await quotas.reserveEarlyPush(ns, monitorKey(ns, 'a'), 100, HOUR, quota, T0)).toEqual({ ok: true });
    expect(await quotas.reserveEarlyPush(ns, monitorKey(ns, 'b'), 100, HOUR, quota, T0 + 10)).toEqual({ ok: true });
    const before = await snapshot(ns);
    expect(await quotas.reserveEarlyPush(ns, monitorKey(ns, 'c'), 100, HOUR, quota, T0 + 20))
      .toMatchObject({ ok: false, quota: 'earlyPushes', namespace: ns, used: 2, limit: 2, requested: 1, retryAfterMs: HOUR - 20 });
    expect(await snapshot(ns)).toEqual(before);
    // A newer push for a monitor that has one kept replaces it: it counts once, even at the quota.
    expect(await quotas.reserveEarlyPush(ns, monitorKey(ns, 'a'), 100, HOUR, quota, T0 + 30)).toEqual({ ok: true });
    await quotas.releaseEarlyPush(ns, monitorKey(ns, 'b'));
    await quotas.releaseEarlyPush(ns, monitorKey(ns, 'b'));
    expect(await quotas.reserveEarlyPush(ns, monitorKey(ns, 'c'), 100, HOUR, quota, T0 + 40)).toEqual({ ok: true });
    expect(await quotas.usage(ns, T0 + 40)).toMatchObject({ earlyPushes: 2, earlyPushBytes: 200 });
  });

  it('counts bytes, a replacing push counting its own bytes instead of the older one', async () => {
    const ns = 'early-bytes';
    const quota = limits({ earlyPushBytes: 1_000 });
    expect(await quotas.reserveEarlyPush(ns, monitorKey(ns, 'a'), 600, HOUR, quota, T0)).toEqual({ ok: true });
    const before = await snapshot(ns);
    expect(await quotas.reserveEarlyPush(ns, monitorKey(ns, 'b'), 500, HOUR, quota, T0 + 1))
      .toMatchObject({ ok: false, quota: 'earlyPushBytes', used: 600, limit: 1_000, requested: 500 });
    expect(await snapshot(ns)).toEqual(before);
    // a's 600 bytes become 200: b's 500 then fit.
    expect(await quotas.reserveEarlyPush(ns, monitorKey(ns, 'a'), 200, HOUR, quota, T0 + 2)).toEqual({ ok: true });
    expect((await quotas.usage(ns, T0 + 2)).earlyPushBytes).toBe(200);
    expect(await quotas.reserveEarlyPush(ns, monitorKey(ns, 'b'), 500, HOUR, quota, T0 + 3)).toEqual({ ok: true });
    // A replacing push that grows past the quota is refused, and the older one stays.
    expect(await quotas.reserveEarlyPush(ns, monitorKey(ns, 'a'), 600, HOUR, quota, T0 + 4)).toMatchObject({ ok: false, quota: 'earlyPushBytes' });
    expect(await quotas.usage(ns, T0 + 4)).toMatchObject({ earlyPushes: 2, earlyPushBytes: 700 });
    await quotas.releaseEarlyPush(ns, monitorKey(ns, 'a'));
    await quotas.releaseEarlyPush(ns, monitorKey(ns, 'b'));
    expect(await snapshot(ns)).toEqual({});
  });

  it('forgets expired pushes: they count for nothing and are pruned by the next push', async () => {
    const ns = 'early-expired';
    const quota = limits({ earlyPushes: 1, earlyPushBytes: 100 });
    expect(await quotas.reserveEarlyPush(ns, monitorKey(ns, 'a'), 100, 1_000, quota, T0)).toEqual({ ok: true });
    expect(await quotas.reserveEarlyPush(ns, monitorKey(ns, 'b'), 100, 1_000, quota, T0 + 999)).toMatchObject({ ok: false, retryAfterMs: 1 });
    expect(await quotas.usage(ns, T0 + 1_000)).toMatchObject({ earlyPushes: 0, earlyPushBytes: 0 });
    expect(await quotas.reserveEarlyPush(ns, monitorKey(ns, 'b'), 100, 1_000, quota, T0 + 1_000)).toEqual({ ok: true });
    const keys = quotas.keysOf(ns);
    expect(await redis.zrange(keys.pushes, 0, -1)).toEqual([monitorKey(ns, 'b')]);
    expect(await redis.hgetall(keys.pushSizes)).toEqual({ [monitorKey(ns, 'b')]: '100' });
    expect(await redis.get(keys.pushBytes)).toBe('100');
  });
});

describe('namespaces apart', () => {
  it('refuses a full namespace while another still starts, ends and pushes', async () => {
    const quota = limits({ runningMonitors: 2, earlyPushes: 1 });
    for (const id of ['a', 'b']) expectReserved(await quotas.reserveStart('ns-full', [monitorKey('ns-full', id)], [T0 + HOUR], quota, T0));
    expect(await quotas.reserveEarlyPush('ns-full', monitorKey('ns-full', 'p'), 10, HOUR, quota, T0)).toEqual({ ok: true });
    for (let i = 0; i < 5; i++) {
      expect(await quotas.reserveStart('ns-full', [monitorKey('ns-full', `x-${i}`)], [T0 + HOUR], quota, T0 + i)).toMatchObject({ ok: false });
      expectReserved(await quotas.reserveStart('ns-other', [monitorKey('ns-other', 'a')], [T0 + HOUR], quota, T0 + i));
      expectReserved(await quotas.reserveStart('ns-other', [monitorKey('ns-other', `y-${i}`)], [T0 + HOUR], quota, T0 + i));
      await quotas.release('ns-other', monitorKey('ns-other', `y-${i}`));
    }
    // The same id in two namespaces is two monitors.
    expectReserved(await quotas.reserveStart('ns-other', [monitorKey('ns-other', 'b')], [T0 + HOUR], quota, T0 + 9));
    expect(await quotas.reserveEarlyPush('ns-other', monitorKey('ns-other', 'p'), 10, HOUR, quota, T0)).toEqual({ ok: true });
    const usage = await quotaUsage(quotas, { defaults: quota, namespaces: { 'ns-quiet': { runningMonitors: 7 } } }, ['ns-full', 'ns-other', 'ns-quiet'], T0 + 9);
    expect(usage.map(({ namespace, used, limits: { runningMonitors } }) => [namespace, used.runningMonitors, runningMonitors]))
      .toEqual([['ns-full', 2, 2], ['ns-other', 2, 2], ['ns-quiet', 0, 7]]);
  });

  it('lists every namespace with counts, and those the settings name', async () => {
    const all = await quotaUsage(quotas, { defaults: NO_QUOTAS, namespaces: { 'named-only': {} } }, '*', T0);
    const names = all.map((use) => use.namespace);
    expect(names).toEqual([...names].sort());
    expect(names).toEqual(expect.arrayContaining(['ns-full', 'ns-other', 'named-only', 'early-count', 'starts']));
    expect((await quotas.usageAll(T0)).map((use) => use.namespace)).not.toContain('named-only');
  });
});

describe('the refusal as an error', () => {
  it('names the namespace, the quota and its option, with the retry', async () => {
    const refused = await quotas.reserveStart('err-ns', [], [], limits({ runningMonitors: 0 }), T0);
    expect(refused.ok).toBe(true); // an empty start asks for nothing
    const full = await quotas.reserveStart('err-ns', [monitorKey('err-ns', 'a')], [T0 + HOUR], limits({ runningMonitors: 0 }), T0);
    if (full.ok) throw new Error('admitted past a quota of 0');
    const error = quotaExceeded(full);
    expect(error).toBeInstanceOf(QuotaExceededError);
    expect(error).toMatchObject({ quota: 'runningMonitors', namespace: 'err-ns', retryAfterMs: full.retryAfterMs });
    expect(error.message).toBe('quota: namespace err-ns has 0 running monitors (JOBWATCH_QUOTA_RUNNING_MONITORS); end some or raise the quota');
  });
});
