import { Cluster, type Redis } from 'ioredis';
import { GateView, parseGateChange } from '../monitor/gate/gate-view.ts';
import { ServiceUnavailableError } from '../errors/errors.ts';
import type { RedisConnection } from '../redis/connection.ts';
import { gateKeysOf } from './gate-keys.ts';

/**
 * Keeps this worker's copy of the gate's state (a GateView) from the changes its scripts publish
 * (observe.lua), on a subscriber connection of its own, so that a request to a key nothing acts on
 * needs no round trip. Plain PUBLISH, not SPUBLISH: on a Redis Cluster a plain message reaches
 * every node, so one subscription on any node hears the changes of every key, whatever its slot;
 * a sharded channel is heard only on its own shard, and would need a subscription per slot the
 * keys may hash to. Changes are rare (a hold, a first failure, a circuit), so the cluster-wide
 * broadcast costs little.
 *
 * Each time the subscriber (re)connects, the copy is dropped, the channel subscribed to again and
 * the state read back from Redis (a change made while unsubscribed was never heard); only then is
 * the copy trusted. A change between its being made and its news arriving can let a request
 * through that Redis would have held (docs/batching-and-rate-limits.md measures that window).
 */
export class GateWatch {
  readonly view = new GateView();
  private subscriber: Redis | undefined;
  /** Counts the subscriber's (re)connections; a read back started for an older one is dropped. */
  private session = 0;
  private closed = false;
  /** Times the copy was read back from Redis and trusted, for tests. */
  reads = 0;

  constructor(
    private readonly redis: RedisConnection,
    private readonly prefix: string,
    private readonly onError: (error: unknown) => void = () => {},
  ) {}

  /** The channel the gate's scripts publish changes on. */
  static channelOf(prefix: string): string {
    return `${prefix}:gate-changes`;
  }

  /** Whether a request to `key` may skip the gate now. */
  isQuiet(key: string): boolean {
    return this.view.isQuiet(key, Date.now());
  }

  /** Opens the subscriber; the copy is trusted once it has subscribed and read the state back. */
  async start(): Promise<void> {
    const subscriber = await this.openSubscriber();
    if (this.closed) return subscriber.disconnect();
    this.subscriber = subscriber;
    subscriber.on('error', (error: unknown) => this.onError(error));
    subscriber.on('message', (_channel: string, message: string) => {
      const change = parseGateChange(message);
      if (change) this.view.apply(change, Date.now());
    });
    subscriber.on('close', () => {
      this.session += 1;
      this.view.distrust();
    });
    subscriber.on('ready', () => void this.resync());
  }

  close(): Promise<void> {
    this.closed = true;
    this.session += 1;
    this.view.distrust();
    const subscriber = this.subscriber;
    this.subscriber = undefined;
    // Cut, not quit: it has nothing to flush, and a QUIT would wait for a Redis that is down.
    subscriber?.disconnect();
    return Promise.resolve();
  }

  /** Subscribes, then reads the state back; tries again while the same connection lasts. */
  private async resync(): Promise<void> {
    const session = ++this.session;
    this.view.distrust();
    while (!this.closed && session === this.session) {
      try {
        await this.subscriber!.subscribe(GateWatch.channelOf(this.prefix));
        await this.readBack(session);
        if (session !== this.session) return;
        this.view.trust();
        this.reads += 1;
        return;
      } catch (error) {
        this.onError(error);
        await new Promise((resolve) => setTimeout(resolve, RESYNC_RETRY_MS).unref());
      }
    }
  }

  /** Applies, as changes, every hold, run of failures and open circuit Redis has under the prefix. */
  private async readBack(session: number): Promise<void> {
    const base = `${this.prefix}:limits:{`;
    for (const node of this.nodes()) {
      let cursor = '0';
      do {
        const [next, keys] = await node.scan(cursor, 'MATCH', `${base}*`, 'COUNT', SCAN_COUNT);
        cursor = next;
        for (const redisKey of keys) {
          const end = redisKey.lastIndexOf('}:');
          if (end < base.length) continue;
          const key = decodeURIComponent(redisKey.slice(base.length, end));
          const part = redisKey.slice(end + 2);
          if (part === 'fails' || part === 'open') this.applyIf(session, { kind: part === 'open' ? 'open' : 'fail', key });
          if (part === 'hold') {
            const ms = await node.pttl(gateKeysOf(this.prefix, key).hold);
            if (ms > 0) this.applyIf(session, { kind: 'hold', key, ms });
          }
        }
      } while (cursor !== '0');
    }
  }

  private applyIf(session: number, change: Parameters<GateView['apply']>[0]): void {
    if (session === this.session) this.view.apply(change, Date.now());
  }

  private nodes(): Redis[] {
    return this.redis instanceof Cluster ? this.redis.nodes('master') : [this.redis];
  }

  /** A connection of its own (a subscribed one can do nothing else); on a cluster, to one of its masters. */
  private async openSubscriber(): Promise<Redis> {
    const options = { autoResubscribe: false, lazyConnect: false, connectionName: `jobwatch-gate-watch:${this.prefix}` };
    if (!(this.redis instanceof Cluster)) return this.redis.duplicate(options);
    if (this.redis.status !== 'ready') await new Promise((resolve) => this.redis.once('ready', resolve));
    const [node] = this.redis.nodes('master');
    if (!node) throw new ServiceUnavailableError('the Redis Cluster lists no master node to subscribe to the gate\'s changes on; check REDIS_CLUSTER_NODES');
    return node.duplicate(options);
  }
}

/** Keys asked for per SCAN step when reading the state back. */
const SCAN_COUNT = 1_000;
/** Wait before reading the state back again after a failed try. */
const RESYNC_RETRY_MS = 1_000;
