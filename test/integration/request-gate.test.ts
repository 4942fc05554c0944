import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { RedisRequestGate, type RedisGateOptions } from '../../src/gate/redis-gate.ts';
import type { StatusReading } from '../../src/monitor/reading.ts';
import { parseRateLimits } from '../../src/monitor/gate/rate-limits.ts';
import { TEST_REDIS_URL } from '../helpers/services.ts';
import { uniqueName } from '../helpers/isolation.ts';

// The gate's scripts against a real Redis: its clock, its keys. Each test uses keys of its own.
const OK: StatusReading = { ok: true, status: 'Processing', body: {} };
const REFUSED: StatusReading = { ok: false, failure: { reason: 'connection', message: 'ECONNREFUSED' } };
const TOO_MANY = (retryAfterMs: number): StatusReading => ({ ok: false, failure: { reason: 'http-status', httpStatus: 429, message: '429', retryAfterMs } });

const prefix = uniqueName('gate');
let redis: Redis;

beforeAll(() => {
  redis = new Redis(TEST_REDIS_URL);
});

afterAll(async () => {
  const keys = await redis.keys(`${prefix}:*`);
  if (keys.length > 0) await redis.del(...keys);
  await redis.quit();
});

function gate(options: Partial<Omit<RedisGateOptions, 'limits'>> & { limits?: string } = {}): RedisRequestGate {
  const { limits, ...rest } = options;
  const parsed = limits ? parseRateLimits(limits) : undefined;
  if (parsed && !parsed.ok) throw new Error(parsed.problem);
  return new RedisRequestGate(redis, { prefix, hostFailures: 20, probeEveryMs: 30_000, random: () => 0, ...rest, ...(parsed?.ok ? { limits: parsed.limits } : {}) });
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('rate limits (GCRA, one slot per request)', () => {
  it('lets the first request through and gives each next one its own slot, one interval apart', async () => {
    const g = gate({ limits: 'rate-a=10/s' });
    const start = Date.now();
    const admissions = await Promise.all(Array.from({ length: 5 }, () => g.admit('rate-a')));
    const end = Date.now();
    const held = admissions.filter((a) => a.hold).map((a) => a.hold!);
    expect(admissions.filter((a) => !a.hold)).toHaveLength(1);
    expect(held.every((hold) => hold.reason === 'rate-limit' && hold.key === 'rate-a')).toBe(true);
    // The k-th slot is k intervals after the first request: never sooner, and later only by the
    // time the answers took to come back (the hold counts from the answer).
    const untils = held.map((hold) => hold.until).sort((a, b) => a - b);
    for (const [i, until] of untils.entries()) {
      expect(until).toBeGreaterThanOrEqual(start + 100 * (i + 1) - 2);
      expect(until).toBeLessThanOrEqual(end + 100 * (i + 1) + (end - start) + 2);
    }
  });

  it('lets a poll back at its slot through on that slot, without taking the next', async () => {
    const g = gate({ limits: 'rate-b=10/s' });
    await g.admit('rate-b');
    const { hold } = await g.admit('rate-b');
    expect(hold).toMatchObject({ reason: 'rate-limit' });
    await sleep(hold!.until - Date.now() + 1);
    expect((await g.admit('rate-b', hold)).hold).toBeUndefined();
    // The slot after it is still free: a fresh request now gets the next slot, not two later.
    const next = await g.admit('rate-b');
    expect(next.hold).toBeDefined();
    expect(next.hold!.until - Date.now()).toBeLessThanOrEqual(100);
  });

  it('lets a poll back late on its slot go if the sends allow, and books it a new slot if others took the capacity meanwhile', async () => {
    const g = gate({ limits: 'rate-c=1/s' });
    await g.admit('rate-c');
    const late = (await g.admit('rate-c')).hold!;
    const later = (await g.admit('rate-c')).hold!;
    await sleep(later.until - Date.now() + 300);
    // Both slots passed unused: the first poll back is let through late, on its slot.
    expect((await g.admit('rate-c', late)).hold).toBeUndefined();
    // The second comes right after: sending too would go over 1/s, so it waits for a new slot.
    const rebooked = (await g.admit('rate-c', later)).hold;
    expect(rebooked).toMatchObject({ reason: 'rate-limit' });
    expect(rebooked!.until - Date.now()).toBeGreaterThan(500);
    // Another key's hold is no reservation: a fresh request after these books behind them.
    const fresh = (await g.admit('rate-c', { ...late, key: 'other', until: Date.now() })).hold;
    expect(fresh!.until).toBeGreaterThan(rebooked!.until + 900);
  });

  it('leaves keys without a limit alone, and gives each key under * a limit of its own', async () => {
    const none = gate({ limits: 'listed=1/m' });
    for (let i = 0; i < 20; i++) expect((await none.admit('unlisted')).hold).toBeUndefined();
    const wildcard = gate({ limits: '*=1/m' });
    expect((await wildcard.admit('star-1')).hold).toBeUndefined();
    expect((await wildcard.admit('star-2')).hold).toBeUndefined();
    expect((await wildcard.admit('star-1')).hold).toMatchObject({ reason: 'rate-limit' });
  });

  it('counts admits from every gate on the same Redis together (as from many worker processes)', async () => {
    const gates = [gate({ limits: 'shared=5/s' }), gate({ limits: 'shared=5/s' }), gate({ limits: 'shared=5/s' })];
    const admissions = await Promise.all(gates.flatMap((g) => [g.admit('shared'), g.admit('shared')]));
    expect(admissions.filter((a) => !a.hold)).toHaveLength(1);
    const untils = admissions.filter((a) => a.hold).map((a) => a.hold!.until).sort((a, b) => a - b);
    for (let i = 1; i < untils.length; i++) expect(untils[i]! - untils[i - 1]!).toBeGreaterThanOrEqual(195);
  });
});

describe('Retry-After: one hold for the whole key', () => {
  it('turns a 429 with Retry-After into a hold of every request to the key, and keeps the later of two', async () => {
    const events: number[] = [];
    const g = gate({ events: { retryAfter: ({ waitMs }) => events.push(waitMs) } });
    const start = Date.now();
    const own = await g.observe('ra-1', TOO_MANY(2_000));
    expect(own).toMatchObject({ key: 'ra-1', reason: 'retry-after' });
    expect(own!.until - start).toBeGreaterThanOrEqual(2_000);
    const other = await g.admit('ra-1');
    expect(other.hold).toMatchObject({ reason: 'retry-after' });
    expect(other.hold!.until - start).toBeGreaterThanOrEqual(1_990);
    // A shorter one does not cut it short.
    await g.observe('ra-1', TOO_MANY(1_000));
    expect((await g.admit('ra-1')).hold!.until - start).toBeGreaterThanOrEqual(1_990);
    expect(events).toEqual([2_000]);
    // Other keys go on.
    expect((await g.admit('ra-2')).hold).toBeUndefined();
    expect(await redis.pttl(g.keysOf('ra-1').hold)).toBeGreaterThan(1_000);
  });

  it('spreads the monitors it held over a share of the wait after it, not all at its end', async () => {
    const spread = new RedisRequestGate(redis, { prefix, hostFailures: 20, probeEveryMs: 30_000, random: () => 0.999 });
    const start = Date.now();
    await spread.observe('ra-3', TOO_MANY(4_000));
    const { hold } = await spread.admit('ra-3');
    expect(hold!.until - start).toBeGreaterThanOrEqual(4_000 + 0.99 * 1_000 - 50);
  });

  it('holds at least a second, whatever the header says', async () => {
    const g = gate();
    const start = Date.now();
    const hold = await g.observe('ra-4', { ok: false, failure: { reason: 'http-status', httpStatus: 503, message: '503', retryAfterMs: 1 } });
    expect(hold!.until - start).toBeGreaterThanOrEqual(1_000);
  });
});

describe('circuits', () => {
  it('open after the failures in a row, let one probe through per interval, stay open on a failed probe and close on a good one', async () => {
    const log: string[] = [];
    const g = gate({
      hostFailures: 3, probeEveryMs: 400,
      events: { circuitOpened: ({ key }) => log.push(`opened ${key}`), circuitClosed: ({ key }) => log.push(`closed ${key}`) },
    });
    const key = 'circuit-1';
    // Two failures, a good answer: the run starts over.
    for (const reading of [REFUSED, REFUSED, OK]) await g.observe(key, reading);
    expect(await redis.exists(g.keysOf(key).fails)).toBe(0);
    // Three in a row open it; the third is a failed check as usual (no hold).
    expect(await g.observe(key, REFUSED)).toBeUndefined();
    expect(await g.observe(key, REFUSED)).toBeUndefined();
    expect(await g.observe(key, REFUSED)).toBeUndefined();
    expect(log).toEqual([`opened ${key}`]);
    const held = await g.admit(key);
    expect(held.hold).toMatchObject({ key, reason: 'circuit-open' });
    expect(held.hold!.until - Date.now()).toBeGreaterThan(200);
    // A request sent before it opened and failing now is held, not failed: no error budget burns.
    expect(await g.observe(key, REFUSED)).toMatchObject({ reason: 'circuit-open' });

    await sleep(held.hold!.until - Date.now() + 10);
    const probe = await g.admit(key);
    expect(probe).toMatchObject({ probe: true });
    expect((await g.admit(key)).hold).toMatchObject({ reason: 'circuit-open' }); // one probe at a time
    expect(await g.observe(key, REFUSED, probe)).toMatchObject({ reason: 'circuit-open' });

    const next = (await g.admit(key)).hold!;
    await sleep(next.until - Date.now() + 10);
    const second = await g.admit(key);
    expect(second).toMatchObject({ probe: true });
    expect(await g.observe(key, OK, second)).toBeUndefined();
    expect(log).toEqual([`opened ${key}`, `closed ${key}`]);
    expect(await g.admit(key)).toMatchObject({ probe: false, failures: 0 });
    expect((await g.admit(key)).hold).toBeUndefined();
  });

  it('lets one probe through among requests admitted together, and holds the others to the next', async () => {
    const g = gate({ hostFailures: 1, probeEveryMs: 300 });
    await g.observe('circuit-2', REFUSED);
    await sleep(320);
    const admissions = await Promise.all(Array.from({ length: 4 }, () => g.admit('circuit-2')));
    expect(admissions.filter((a) => a.probe)).toHaveLength(1);
    expect(admissions.filter((a) => a.hold?.reason === 'circuit-open')).toHaveLength(3);
    for (const a of admissions.filter((a) => a.hold)) expect(a.hold!.until - Date.now()).toBeGreaterThan(250);
  });

  it('counts neither a 429 without Retry-After nor a 4xx as a failure, and 0 turns circuits off', async () => {
    const g = gate({ hostFailures: 2 });
    const busy: StatusReading = { ok: false, failure: { reason: 'http-status', httpStatus: 429, message: '429' } };
    for (let i = 0; i < 5; i++) await g.observe('quiet', busy);
    expect((await g.admit('quiet')).failures).toBe(0);
    const off = gate({ hostFailures: 0 });
    for (let i = 0; i < 30; i++) await off.observe('never-opens', REFUSED);
    expect((await off.admit('never-opens')).hold).toBeUndefined();
  });

  it('keeps all of a key\'s state under one hash tag (one node of a cluster), apart from every other key\'s', async () => {
    const g = gate();
    const tags = ['api.vendor.com:443', '[::1]:8080', 'a}b{c', 'billing-api'].map((key) => {
      const keyTags = new Set(Object.values(g.keysOf(key)).map(hashTagOf));
      expect(keyTags.size, key).toBe(1);
      return [...keyTags][0];
    });
    expect(tags).toEqual(['api.vendor.com%3A443', '%5B%3A%3A1%5D%3A8080', 'a%7Db%7Bc', 'billing-api']);
  });
});

/** What Redis Cluster hashes of a key: the text inside its first {...}, when not empty; else the whole key. */
function hashTagOf(key: string): string {
  const open = key.indexOf('{');
  const close = open < 0 ? -1 : key.indexOf('}', open + 1);
  return open >= 0 && close > open + 1 ? key.slice(open + 1, close) : key;
}
