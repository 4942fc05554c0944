import { Cluster, type Redis } from 'ioredis';
import type { QuotaLedger, QuotaRefusal, QuotaUsage, StartReservation } from '../access/quota-ledger.ts';
import { QUOTA_NAMES, type QuotaLimits } from '../access/quotas.ts';
import type { QuotaName } from '../errors/errors.ts';
import type { RedisConnection } from '../redis/connection.ts';
import { Script } from '../redis/script.ts';
import { namespaceOfQuotaKey, quotaKeysBase, quotaKeysOf, type QuotaKeys } from './quota-keys.ts';

/**
 * Each namespace's use of its quotas, counted in Redis and shared by every server and worker
 * process. Per namespace, five keys under one hash tag (quota-keys.ts):
 * - running monitors: a sorted set of monitor keys scored by their expireAt plus a margin, so that
 *   a monitor that ended without a release (its worker crashed) holds its slot no longer than that;
 * - starts: a sorted set of the last second's starts (a sliding window, exact);
 * - early pushes: a sorted set of monitor keys scored by when the push expires, a hash of their
 *   sizes and their total.
 * Each check-and-count is one Lua script, so that it admits all or nothing; a refusal writes
 * nothing at all. Times are the caller's clock (`now`): the same clock that set the expireAt
 * and the early push TTL being counted. Every key expires by itself once its entries have passed.
 */

export interface RedisQuotasOptions {
  /** JOBWATCH_PREFIX: the keys live under `<prefix>:quotas:`. */
  prefix: string;
  /** @defaultValue Date.now */
  clock?: () => number;
  /** How long past its expireAt a monitor never released still holds its slot. @defaultValue RUNNING_MARGIN_MS */
  runningMarginMs?: number;
}

/**
 * A monitor ends at its first poll past its expireAt, and its end is recorded by a completion job
 * soon after; the margin covers a late poll and the completion's retries. A slot held longer than
 * that belongs to a monitor that ended without a release.
 */
export const RUNNING_MARGIN_MS = 10 * 60_000;
/** The window of JOBWATCH_QUOTA_STARTS_PER_SECOND. */
export const STARTS_WINDOW_MS = 1_000;
/**
 * Retry-After of a full running-monitors quota: a slot frees when a monitor ends, which no one can
 * foresee, so the client is asked back soon (a refusal costs one read-only script).
 */
export const RUNNING_RETRY_AFTER_MS = 5_000;

const RESERVE_START = Script.fromFile(new URL('./reserve-start.lua', import.meta.url));
const CHUNKS = new URL('./chunks.lua', import.meta.url);
const RESERVE_EARLY_PUSH = Script.fromFiles([CHUNKS, new URL('./reserve-early-push.lua', import.meta.url)]);
const RELEASE_EARLY_PUSH = Script.fromFile(new URL('./release-early-push.lua', import.meta.url));
const USAGE = Script.fromFiles([CHUNKS, new URL('./usage.lua', import.meta.url)]);

/** The scripts' codes for the quotas, 1-based. */
const QUOTA_CODES: Record<number, QuotaName> = { 1: 'runningMonitors', 2: 'startsPerSecond', 3: 'earlyPushes', 4: 'earlyPushBytes' };

/** Keys asked for per SCAN round trip. */
const SCAN_BATCH = 1_000;

export { quotaExceeded, type QuotaRefusal, type QuotaUsage, type StartReservation } from '../access/quota-ledger.ts';

export class RedisQuotas implements QuotaLedger {
  private readonly clock: () => number;
  private readonly marginMs: number;

  constructor(
    private readonly redis: RedisConnection,
    private readonly options: RedisQuotasOptions,
  ) {
    this.clock = options.clock ?? Date.now;
    this.marginMs = options.runningMarginMs ?? RUNNING_MARGIN_MS;
  }

  keysOf(namespace: string): QuotaKeys {
    return quotaKeysOf(this.options.prefix, namespace);
  }

  /**
   * Before monitors of one namespace are started (a batch counts each of its monitors): counts the
   * monitor keys not running already against runningMonitors, and against startsPerSecond, all or
   * none. Call it before adding the jobs; if adding them fails, or answers that they exist
   * (a conflict), call `undoStart` with the reservation.
   */
  async reserveStart(
    namespace: string, monitorKeys: readonly string[], expireAts: readonly number[], limits: Readonly<QuotaLimits>, now = this.clock(),
  ): Promise<StartReservation | QuotaRefusal> {
    if (monitorKeys.length !== expireAts.length) throw new Error('reserveStart: one expireAt per monitor key');
    const at = Math.floor(now);
    if (monitorKeys.length === 0) return { ok: true, namespace, at, added: [] };
    const keys = this.keysOf(namespace);
    const pairs = monitorKeys.flatMap((key, i) => [key, Math.ceil(expireAts[i]!)]);
    const answer = (await RESERVE_START.run(this.redis, 2, [
      keys.running, keys.starts, at, limitArg(limits.runningMonitors), limitArg(limits.startsPerSecond),
      this.marginMs, STARTS_WINDOW_MS, RUNNING_RETRY_AFTER_MS, ...pairs,
    ])) as (number | string)[];
    if (answer[0] !== 1) return refusalOf(namespace, answer as number[]);
    return { ok: true, namespace, at, added: answer.slice(1) as string[] };
  }

  /** Takes back what a reservation counted, when the start it was for did not happen. */
  async undoStart(reservation: StartReservation): Promise<void> {
    if (reservation.added.length === 0) return;
    const keys = this.keysOf(reservation.namespace);
    // One transaction of one hash slot: both sets lose the start together.
    await this.redis.multi()
      .zrem(keys.running, ...reservation.added)
      .zrem(keys.starts, ...reservation.added.map((key) => `${reservation.at}:${key}`))
      .exec();
  }

  /** When a monitor ends, however it ends: frees its slot. Nothing happens for one not counted. */
  async release(namespace: string, monitorKey: string): Promise<void> {
    await this.redis.zrem(this.keysOf(namespace).running, monitorKey);
  }

  /**
   * Before a status pushed for a monitor not started yet is kept for `ttlMs`: counts it, with its
   * `bytes`, against earlyPushes and earlyPushBytes. A push for a monitor that has one kept
   * already replaces it (its bytes, and its expiry), and counts once.
   */
  async reserveEarlyPush(
    namespace: string, monitorKey: string, bytes: number, ttlMs: number, limits: Readonly<QuotaLimits>, now = this.clock(),
  ): Promise<{ ok: true } | QuotaRefusal> {
    const keys = this.keysOf(namespace);
    const at = Math.floor(now);
    const answer = (await RESERVE_EARLY_PUSH.run(this.redis, 3, [
      keys.pushes, keys.pushSizes, keys.pushBytes, at, monitorKey, Math.ceil(bytes), at + Math.ceil(ttlMs),
      limitArg(limits.earlyPushes), limitArg(limits.earlyPushBytes),
    ])) as number[];
    return answer[0] === 1 ? { ok: true } : refusalOf(namespace, answer);
  }

  /** When a monitor takes its early push (or the push is dropped): forgets it. Nothing happens for one not kept. */
  async releaseEarlyPush(namespace: string, monitorKey: string): Promise<void> {
    const keys = this.keysOf(namespace);
    await RELEASE_EARLY_PUSH.run(this.redis, 3, [keys.pushes, keys.pushSizes, keys.pushBytes, monitorKey]);
  }

  /** One namespace's use now; expired entries are not counted. */
  async usage(namespace: string, now = this.clock()): Promise<QuotaUsage> {
    const keys = this.keysOf(namespace);
    const answer = (await USAGE.run(this.redis, 5, [
      keys.running, keys.starts, keys.pushes, keys.pushSizes, keys.pushBytes, Math.floor(now), STARTS_WINDOW_MS,
    ])) as number[];
    return { namespace, ...Object.fromEntries(QUOTA_NAMES.map((name, i) => [name, Number(answer[i] ?? 0)])) } as QuotaUsage;
  }

  /** The use of every namespace that has counts in Redis, by name. It scans the keyspace: for tools and pages, not for every request. */
  async usageAll(now = this.clock()): Promise<QuotaUsage[]> {
    const namespaces = [...(await this.namespacesCounted())].sort();
    return Promise.all(namespaces.map((namespace) => this.usage(namespace, now)));
  }

  /** The namespaces with any quota key, on one Redis or on each master of a cluster. */
  async namespacesCounted(): Promise<Set<string>> {
    const nodes: Redis[] = this.redis instanceof Cluster ? this.redis.nodes('master') : [this.redis];
    const pattern = `${escapeGlob(quotaKeysBase(this.options.prefix))}{*`;
    const found = new Set<string>();
    for (const node of nodes) {
      for await (const keys of node.scanStream({ match: pattern, count: SCAN_BATCH }) as AsyncIterable<string[]>) {
        for (const key of keys) {
          const namespace = namespaceOfQuotaKey(this.options.prefix, key);
          if (namespace !== undefined) found.add(namespace);
        }
      }
    }
    return found;
  }
}

/** A limit as the scripts take it: -1 for none. */
function limitArg(limit: number): number {
  return limit === Infinity ? -1 : Math.max(0, Math.floor(limit));
}

function refusalOf(namespace: string, [, code, retryAfterMs, used, limit, requested]: number[]): QuotaRefusal {
  const quota = QUOTA_CODES[code!];
  if (!quota) throw new Error(`quota script answered an unknown quota code ${code}`);
  return { ok: false, quota, namespace, retryAfterMs: retryAfterMs!, used: used!, limit: limit!, requested: requested! };
}

/** The text as a SCAN pattern matching it literally. */
function escapeGlob(text: string): string {
  return text.replace(/[*?[\]\\]/g, '\\$&');
}
