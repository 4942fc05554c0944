import type { StatusReading } from '../reading.ts';
import type { HostState } from './decisions.ts';
import type { Hold } from './hold.ts';

/** What admitting one request found. */
export interface Admission {
  /** Set when the request may not be sent now: until when it waits, and why. */
  hold?: Hold;
  /** The request is the one probe an open circuit lets through. */
  probe: boolean;
  /** The key's failed requests in a row as the admit saw them: 0 means a good answer has nothing to reset. */
  failures: number;
}

/**
 * The gate every status request passes, shared by all worker processes (the Redis adapter in
 * src/gate/): per-key rate limits, host-wide Retry-After holds and circuits. A request is admitted
 * before it is sent and its answer observed after; a batch of many monitors is one request.
 */
export interface RequestGate {
  /**
   * Before one request to `key`. `reservation`: the hold the poll waited under; a rate-limit hold
   * of the same key, come due, is the slot this request uses instead of taking another.
   */
  admit(key: string, reservation?: Hold): Promise<Admission>;
  /**
   * After the request: records what its answer says about the host, and returns the hold the answer
   * itself turns into, if any (a 429 or 503 with Retry-After; a failure while the circuit is open).
   * `admission`: what the admit found, which spares a write after most good answers. Never throws.
   */
  observe(key: string, reading: StatusReading, admission?: Admission): Promise<Hold | undefined>;
}

/**
 * The gate's state of many hosts (rate keys) at once, for the monitors page; a host it can say
 * nothing of may be left out. Read-only: looking never changes what the workers do.
 */
export interface HostStateProvider {
  hostStates(hosts: readonly string[]): Promise<ReadonlyMap<string, HostState>>;
}
