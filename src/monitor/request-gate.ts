import type { Hold, RequestGate } from './hold.ts';
import type { StatusReading } from './reading.ts';

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
 * A RequestGate that says more, for providers that send one request per monitor (HTTP, the hook):
 * a rate-limited poll uses the slot it reserved, and an answer may turn into a hold of its own.
 */
export interface HostGate extends RequestGate {
  /**
   * Before one request to `key`. `reservation`: the hold the poll waited under; a rate-limit hold
   * of the same key, come due, is the slot this request uses instead of taking another.
   */
  admitRequest(key: string, reservation?: Hold): Promise<Admission>;
  /**
   * After the request: records what its answer says about the host, and returns the hold the answer
   * itself turns into, if any (a 429 or 503 with Retry-After; a failure while the circuit is open).
   * `admission`: what the admit found, which spares a write after most good answers. Never throws.
   */
  observeRequest(key: string, reading: StatusReading, admission?: Admission): Promise<Hold | undefined>;
}
