import type { StatusReading } from './reading.ts';

/**
 * What one request's answer says about its host (its rate key), for host-wide backoff:
 * - `retry-after`: a 429 or 503 with Retry-After: every monitor of the key waits `ms`.
 * - `fail`: the host looks down (connection refused or reset, timeout, 5xx, a hook that throws):
 *   one more failure in a row towards the circuit.
 * - `ok`: the host answered (any status, a 404, a body without a status): the run of failures ends,
 *   and an open circuit closes.
 * - `neutral`: says nothing either way (a 429 without Retry-After: the host is up, but busy).
 */
export type HostSignal =
  | { kind: 'ok' }
  | { kind: 'fail' }
  | { kind: 'retry-after'; ms: number }
  | { kind: 'neutral' };

/** Shortest host-wide hold: a Retry-After of 0 or a few milliseconds must not make polls spin. */
export const MIN_HOST_HOLD_MS = 1_000;

export function hostSignalOf(reading: StatusReading): HostSignal {
  if (reading.ok) return { kind: 'ok' };
  const { reason, httpStatus, retryAfterMs } = reading.failure;
  switch (reason) {
    case 'connection':
    case 'timeout':
    case 'hook-error':
      return { kind: 'fail' };
    case 'http-status': {
      const status = httpStatus ?? 0;
      if ((status === 429 || status === 503) && retryAfterMs !== undefined && retryAfterMs > 0) {
        return { kind: 'retry-after', ms: Math.max(MIN_HOST_HOLD_MS, retryAfterMs) };
      }
      if (status >= 500) return { kind: 'fail' };
      if (status === 429) return { kind: 'neutral' };
      return { kind: 'ok' };
    }
    default:
      // not-found, bad-body, missing-field: the host answered.
      return { kind: 'ok' };
  }
}
