/** The Redis keys of one rate key's state (see RedisRequestGate). */
export interface GateKeys {
  /** `tat,sent`: the GCRA's next free slot and the GCRA of the requests let through. */
  rate: string;
  /** Until when a Retry-After holds the key. */
  hold: string;
  /** Failed requests in a row. */
  fails: string;
  /** Present while the circuit is open: when its next probe may go. */
  open: string;
}

/**
 * The keys of a rate key's state, `<prefix>:limits:{<key>}:…`, under one hash tag so that one
 * script touches one node of a Redis Cluster. The key is URL-encoded inside the tag, so that no
 * rate key can end the tag early or reach into another's keys.
 */
export function gateKeysOf(prefix: string, key: string): GateKeys {
  const base = `${prefix}:limits:{${encodeURIComponent(key)}}`;
  return { rate: `${base}:rate`, hold: `${base}:hold`, fails: `${base}:fails`, open: `${base}:open` };
}
