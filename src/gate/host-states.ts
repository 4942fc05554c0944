import { hostStateOf, type GateState, type HostState } from '../monitor/gate/decisions.ts';
import { limitFor, NO_RATE_LIMITS } from '../monitor/gate/rate-limits.ts';
import type { HostStateProvider } from '../monitor/gate/request-gate.ts';
import type { RedisConnection } from '../redis/connection.ts';
import { gateKeysOf } from './gate-keys.ts';
import type { GateSettings } from './redis-gate.ts';

/** What the gate keeps in Redis for one rate key, as read (MGET of its four keys): the raw strings, null where a key is absent. */
export interface StoredGateState {
  rate: string | null;
  hold: string | null;
  fails: string | null;
  open: string | null;
}

/** The stored strings as the gate's state; what cannot be parsed reads as nothing, rather than failing the page. */
export function parseGateState(stored: StoredGateState, now: number): GateState {
  const state: GateState = {
    // `rate` is `tat,sent` (see admit.lua): the next free slot comes first.
    nextSlotAt: Number(stored.rate?.split(',')[0] ?? 0) || 0,
    holdUntil: Number(stored.hold ?? 0) || 0,
    failures: Number(stored.fails ?? 0) || 0,
  };
  // The circuit is open while its key exists, whatever it holds; an unreadable probe time is now.
  return stored.open === null ? state : { ...state, probeAt: Number(stored.open) || now };
}

/**
 * Reads the gate's state of status hosts (rate keys) for the monitors page: one MGET per host (its
 * four keys share a hash tag, so this works on a Redis Cluster too), all sent at once, and Redis's
 * clock (the clock the gate wrote with). Read-only: looking never changes what the workers do.
 */
export class RedisHostStates implements HostStateProvider {
  constructor(
    private readonly redis: RedisConnection,
    private readonly options: GateSettings,
  ) {}

  async hostStates(hosts: readonly string[]): Promise<ReadonlyMap<string, HostState>> {
    const states = new Map<string, HostState>();
    if (hosts.length === 0) return states;
    const [time, stored] = await Promise.all([
      this.redis.time(),
      Promise.all(hosts.map(async (host) => {
        const keys = gateKeysOf(this.options.prefix, host);
        const [rate, hold, fails, open] = await this.redis.mget(keys.rate, keys.hold, keys.fails, keys.open);
        return { rate: rate ?? null, hold: hold ?? null, fails: fails ?? null, open: open ?? null };
      })),
    ]);
    const now = Number(time[0]) * 1_000 + Number(time[1]) / 1_000;
    const limits = this.options.limits ?? NO_RATE_LIMITS;
    for (const [i, host] of hosts.entries()) {
      states.set(host, hostStateOf(parseGateState(stored[i]!, now), now, {
        limit: limitFor(limits, host), hostFailures: this.options.hostFailures, probeEveryMs: this.options.probeEveryMs,
      }));
    }
    return states;
  }
}
