import type { MonitorContext } from '../monitor/context.ts';

/**
 * The rate key a batch is admitted under, from its first member (members of one batch share their
 * source and `rateKey`): the monitor's `rateKey`, else the batch URL's `host[:port]`, the port only
 * when the URL writes it. A hook batch without a `rateKey` is not gated.
 */
export function batchRateKey(first: MonitorContext): string | undefined {
  if (first.rateKey !== undefined) return first.rateKey;
  if (first.status.kind !== 'batch') return undefined;
  const url = new URL(first.status.url);
  // URL drops a default port it was given (`:443` on https); the key keeps what the user wrote.
  const written = /^[a-z][a-z0-9+.-]*:\/\/(?:[^@/?#]*@)?(?:\[[^\]]*\]|[^/:?#]*):(\d+)/i.exec(first.status.url);
  return written ? `${url.hostname}:${written[1]}` : url.hostname;
}
