/**
 * What a status host's requests are allowed to do now, as rate limits, Retry-After holds and
 * circuits decide it (issue 11). The monitors page shows it beside each host's error rate when the
 * server is given a provider; without one the column is left out.
 */
export interface HostState {
  /** One word: `ok`, `rate-limited`, `held`, `circuit-open`, ... */
  state: string;
  /** More, for the tooltip: until when, how many requests in the window, ... */
  detail?: string;
}

/** Reads the state of many hosts (rate keys) at once; a host it knows nothing of is left out. */
export interface HostStateProvider {
  hostStates(hosts: readonly string[]): Promise<ReadonlyMap<string, HostState>>;
}
