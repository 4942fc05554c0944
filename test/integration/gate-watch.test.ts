import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { RedisRequestGate } from '../../src/gate/redis-gate.ts';
import { GateWatch } from '../../src/gate/gate-watch.ts';
import { gateKeysOf } from '../../src/gate/gate-keys.ts';
import { parseRateLimits } from '../../src/monitor/gate/rate-limits.ts';
import type { StatusReading } from '../../src/monitor/reading.ts';
import { TEST_REDIS_URL } from '../helpers/services.ts';
import { uniqueName } from '../helpers/isolation.ts';
import { startPrivateRedis, type PrivateRedis } from '../helpers/private-redis.ts';
import { waitFor } from '../helpers/wait.ts';

// Each worker's copy of which keys the gate acts on, kept by the changes the scripts publish: a
// request to a key nothing acts on makes no round trip, and a change made by one worker reaches
// the others' copies. Against a real Redis; each test has a prefix of its own.
const OK: StatusReading = { ok: true, status: 'Processing', body: {} };
const REFUSED: StatusReading = { ok: false, failure: { reason: 'connection', message: 'ECONNREFUSED' } };
const TOO_MANY: StatusReading = { ok: false, failure: { reason: 'http-status', httpStatus: 429, message: '429', retryAfterMs: 60_000 } };

let redis: Redis;
const opened: { watch: GateWatch; connection: Redis }[] = [];

beforeAll(() => {
  redis = new Redis(TEST_REDIS_URL);
});

afterEach(async () => {
  for (const { watch, connection } of opened.splice(0)) {
    await watch.close();
    await connection.quit();
  }
});

afterAll(async () => {
  await redis.quit();
});

/** A worker's gate with its own connection and watch, trusted before it is handed out. */
async function worker(prefix: string, url = TEST_REDIS_URL, limits?: string) {
  const connection = new Redis(url);
  const watch = new GateWatch(connection, prefix);
  opened.push({ watch, connection });
  await watch.start();
  await waitFor(() => watch.view.isTrusted(), { what: 'the watch to trust its copy' });
  const parsed = limits ? parseRateLimits(limits) : undefined;
  const gate = new RedisRequestGate(connection, {
    prefix, hostFailures: 3, probeEveryMs: 60_000, random: () => 0, watch, ...(parsed?.ok ? { limits: parsed.limits } : {}),
  });
  return { gate, watch, connection };
}

async function cleanUp(prefix: string): Promise<void> {
  const keys = await redis.keys(`${prefix}:*`);
  if (keys.length > 0) await redis.del(...keys);
}

describe('the gate watch', () => {
  it('a hold one worker records stops the others, a run of failures and a circuit send them to Redis, a good answer clears it', async () => {
    const prefix = uniqueName('gw');
    const [a, b, c] = await Promise.all([worker(prefix), worker(prefix), worker(prefix)]);
    expect(b!.watch.isQuiet('h')).toBe(true);
    await a!.gate.observe('h', TOO_MANY, await a!.gate.admit('h'));
    await waitFor(() => !b!.watch.isQuiet('h') && !c!.watch.isQuiet('h'), { what: 'the hold to reach every worker' });
    expect((await b!.gate.admit('h')).hold).toMatchObject({ reason: 'retry-after', key: 'h' });
    expect((await c!.gate.admit('h')).hold).toMatchObject({ reason: 'retry-after', key: 'h' });
    expect(b!.watch.isQuiet('other')).toBe(true);

    await b!.gate.observe('f', REFUSED, await b!.gate.admit('f'));
    await waitFor(() => !a!.watch.isQuiet('f') && !c!.watch.isQuiet('f'), { what: 'the first failure to reach every worker' });
    // Not quiet: the admit asks Redis, and sees the failure a good answer must reset.
    expect((await a!.gate.admit('f')).failures).toBe(1);
    await c!.gate.observe('f', REFUSED, await c!.gate.admit('f'));
    await a!.gate.observe('f', REFUSED, await a!.gate.admit('f'));
    expect((await b!.gate.admit('f')).hold).toMatchObject({ reason: 'circuit-open' });
    await a!.gate.observe('f', OK, { probe: true, failures: 0 });
    await waitFor(() => [a, b, c].every((w) => w!.watch.isQuiet('f')), { what: 'the clear to reach every worker' });
    await cleanUp(prefix);
  });

  it('reads the state again after its subscriber reconnects, so a change it missed meanwhile is known', async () => {
    const prefix = uniqueName('gw');
    const { watch } = await worker(prefix);
    // Made without its announcement: as if published while this worker was not subscribed.
    await redis.set(gateKeysOf(prefix, 'missed').hold, '0', 'PX', 60_000);
    await redis.set(gateKeysOf(prefix, 'failing').fails, '2');
    expect(watch.isQuiet('missed')).toBe(true);
    const reads = watch.reads;
    const clients = (await redis.client('LIST')) as string;
    const line = clients.split('\n').find((entry) => entry.includes(`name=jobwatch-gate-watch:${prefix} `));
    const id = /id=(\d+)/.exec(line ?? '')?.[1];
    expect(id, 'the subscriber connection').toBeDefined();
    await redis.client('KILL', 'ID', id!);
    await waitFor(() => watch.reads > reads && watch.view.isTrusted(), { what: 'the copy read again', timeoutMs: 20_000 });
    expect(watch.isQuiet('missed')).toBe(false);
    expect(watch.isQuiet('failing')).toBe(false);
    expect(watch.isQuiet('anything-else')).toBe(true);
    await cleanUp(prefix);
  });
});

describe('the slip window', () => {
  it('from the call that sets a hold to every worker knowing of it, while the gate is busy', async () => {
    const prefix = uniqueName('gw');
    const workers = await Promise.all([worker(prefix), worker(prefix), worker(prefix)]);
    // When each worker's copy heard of each key.
    const heard = workers.map(() => new Map<string, number>());
    for (const [i, { watch }] of workers.entries()) {
      const apply = watch.view.apply.bind(watch.view);
      watch.view.apply = (change, now) => {
        if (!heard[i]!.has(change.key)) heard[i]!.set(change.key, performance.now());
        apply(change, now);
      };
    }
    // Load: every worker keeps admitting requests to a limited key (a script each) meanwhile.
    let loading = true;
    let loadAdmits = 0;
    const limited = await Promise.all(workers.map(() => worker(prefix, TEST_REDIS_URL, 'busy=100000/s')));
    const load = limited.map(async ({ gate }) => {
      while (loading) {
        await Promise.all(Array.from({ length: 50 }, () => gate.admit('busy')));
        loadAdmits += 50;
      }
    });
    const windows: number[] = [];
    const began = performance.now();
    try {
      for (let i = 0; i < 100; i++) {
        const key = `slip-${i}`;
        const setter = workers[i % workers.length]!;
        const admission = await setter.gate.admit(key);
        const start = performance.now();
        await setter.gate.observe(key, TOO_MANY, admission);
        await waitFor(() => heard.every((map) => map.has(key)), { what: `${key} heard by every worker`, intervalMs: 1 });
        windows.push(Math.max(...heard.map((map) => map.get(key)!)) - start);
      }
    } finally {
      loading = false;
      await Promise.all(load);
    }
    windows.sort((a, b) => a - b);
    const at = (q: number) => windows[Math.min(windows.length - 1, Math.floor(q * windows.length))]!.toFixed(2);
    const rate = Math.round(loadAdmits / ((performance.now() - began) / 1_000));
    console.log(`slip window (ms, from the observe call to the last of 3 workers hearing, under ${rate} admits/s): p50 ${at(0.5)}, p99 ${at(0.99)}, max ${at(1)}`);
    expect(windows).toHaveLength(100);
    await cleanUp(prefix);
  }, 60_000);
});

describe('the gate costs no round trip until it acts', () => {
  let server: PrivateRedis;
  beforeAll(async () => {
    server = await startPrivateRedis();
  });
  afterAll(async () => {
    await server.stop();
  });

  /** Scripts Redis ran so far (EVALSHA and EVAL, less an EVALSHA it did not know yet), from INFO commandstats. */
  async function scriptsRun(probe: Redis): Promise<number> {
    const info = await probe.info('commandstats');
    return [...info.matchAll(/^cmdstat_(?:evalsha|eval):calls=(\d+),.*failed_calls=(\d+)/gm)]
      .reduce((sum, match) => sum + Number(match[1]) - Number(match[2]), 0);
  }

  it('runs no gate script for polls of keys with no limit, hold, failure or circuit; a limited key and a held one still ask Redis', async () => {
    const prefix = uniqueName('gw');
    const { gate } = await worker(prefix, server.url, 'limited=1000/s');
    const probe = new Redis(server.url);
    try {
      const before = await scriptsRun(probe);
      for (let round = 0; round < 50; round++) {
        await Promise.all(Array.from({ length: 20 }, async (_, i) => gate.observe(`host-${i}`, OK, await gate.admit(`host-${i}`))));
      }
      expect(await scriptsRun(probe)).toBe(before);

      await gate.admit('limited');
      expect(await scriptsRun(probe)).toBe(before + 1);
      await gate.observe('host-0', TOO_MANY, await gate.admit('host-0'));
      expect(await scriptsRun(probe)).toBe(before + 2);
      // The hold is heard at once (published by the script that set it): the next admit asks Redis, which holds it.
      await waitFor(() => !opened[0]!.watch.isQuiet('host-0'), { what: 'the hold heard' });
      expect((await gate.admit('host-0')).hold).toMatchObject({ reason: 'retry-after' });
      expect(await scriptsRun(probe)).toBe(before + 3);
    } finally {
      await probe.quit();
    }
  });
});
