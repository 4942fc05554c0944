import type { Cluster, Redis } from 'ioredis';
import type { HostState, HostStateProvider } from '../monitor/host-state.ts';
import { emissionIntervalMs, limitFor, NO_RATE_LIMITS, type RateLimit, type RateLimits } from '../monitor/rate-limits.ts';
import { gateKeysOf } from './gate-keys.ts';
import { SEND_TOLERANCE_MS } from './redis-gate.ts';

/**
 * What the gate keeps in Redis for one rate key, as read (MGET of its four keys): the raw strings,
 * null where a key is absent.
 */
export interface StoredGateState {
  rate: string | null;
  hold: string | null;
  fails: string | null;
  open: string | null;
}

export interface HostStateSettings {
  /** The key's limit (JOBWATCH_RATE_LIMITS), if it has one. */
  limit: RateLimit | undefined;
  /** JOBWATCH_HOST_FAILURES: failures in a row that open a circuit; 0: no circuits. */
  hostFailures: number;
  /** JOBWATCH_HOST_PROBE_EVERY. */
  probeEveryMs: number;
}

/**
 * A host's state as the monitors page shows it, from what the gate stored, at `now` on Redis's
 * clock (the clock the gate wrote with). The first that holds wins: `circuit-open`, `held` (a
 * Retry-After), `rate-limited` (polls are booked on slots ahead), `failing` (failures in a row,
 * the circuit still closed), `ok`. The detail says the rest: the limit, until when, how many.
 */
export function hostStateOf(stored: StoredGateState, now: number, settings: HostStateSettings): HostState {
  const parts: string[] = [];
  const failures = Number(stored.fails ?? 0) || 0;
  const holdUntil = Number(stored.hold ?? 0) || 0;
  const backlogMs = settings.limit ? Math.max(0, (Number(stored.rate?.split(',')[0] ?? 0) || 0) - now) : 0;
  const limited = backlogMs > SEND_TOLERANCE_MS;

  let state = 'ok';
  if (stored.open !== null) {
    state = 'circuit-open';
    const probeAt = Number(stored.open) || now;
    parts.push(`circuit open: one probe every ${seconds(settings.probeEveryMs)}, the next ${probeAt > now ? `at ${iso(probeAt)}` : 'with the next poll'}`);
  } else if (holdUntil > now) {
    state = 'held';
  } else if (limited) {
    state = 'rate-limited';
  } else if (failures > 0) {
    state = 'failing';
  }
  if (holdUntil > now) parts.push(`Retry-After: held until ${iso(holdUntil)}`);
  if (settings.limit) {
    const interval = emissionIntervalMs(settings.limit);
    parts.push(limited
      ? `limit ${settings.limit.text}: slots booked ${Math.round(backlogMs / interval)} ahead (${seconds(backlogMs)})`
      : `limit ${settings.limit.text}`);
  }
  if (failures > 0) {
    parts.push(settings.hostFailures > 0
      ? `${failures} failed in a row (the circuit opens at ${settings.hostFailures})`
      : `${failures} failed in a row`);
  }
  return parts.length > 0 ? { state, detail: parts.join('; ') } : { state };
}

export interface RedisHostStatesOptions {
  /** JOBWATCH_PREFIX: where the gate keeps its keys. */
  prefix: string;
  /** JOBWATCH_RATE_LIMITS. @defaultValue none */
  limits?: RateLimits;
  hostFailures: number;
  probeEveryMs: number;
}

/**
 * Reads the gate's state of status hosts (rate keys) for the monitors page: one MGET per host (its
 * four keys share a hash tag, so this works on a Redis Cluster too), all sent at once, and Redis's
 * clock. Read-only: looking never changes what the workers do.
 */
export class RedisHostStates implements HostStateProvider {
  constructor(
    private readonly redis: Redis | Cluster,
    private readonly options: RedisHostStatesOptions,
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
      states.set(host, hostStateOf(stored[i]!, now, {
        limit: limitFor(limits, host), hostFailures: this.options.hostFailures, probeEveryMs: this.options.probeEveryMs,
      }));
    }
    return states;
  }
}

function iso(ms: number): string {
  return new Date(Math.round(ms)).toISOString();
}

function seconds(ms: number): string {
  return ms >= 10_000 ? `${Math.round(ms / 1_000)} s` : `${(ms / 1_000).toFixed(1)} s`;
}
