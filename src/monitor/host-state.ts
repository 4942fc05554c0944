/**
 * What a status host's requests are allowed to do now, as rate limits, Retry-After holds and
 * circuits decide it. The monitors page shows it beside each host's error rate; `jobwatch server`
 * reads it from the gate's keys in Redis (limits/host-states.ts).
 */
export interface HostState {
  /** One word: `ok`, `failing`, `rate-limited`, `held`, `circuit-open`. */
  state: string;
  /** More, for the tooltip: until when, how many requests in the window, ... */
  detail?: string;
}

/** Reads the state of many hosts (rate keys) at once; a host it can say nothing of may be left out. */
export interface HostStateProvider {
  hostStates(hosts: readonly string[]): Promise<ReadonlyMap<string, HostState>>;
}
