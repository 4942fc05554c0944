import type { Principal } from '../access/principal.ts';
import { quotaExceeded, type QuotaLedger } from '../access/quota-ledger.ts';
import { namespaceQuotas, type QuotaSettings } from '../access/quotas.ts';
import type { JobwatchClient, StartedMonitor } from '../client/jobwatch-client.ts';
import type { ValidatedMonitor } from '../monitor/input.ts';
import { isValidatedOperation, type ValidatedOperation } from '../monitor/operation-input.ts';
import { keyOf, namespaceOf } from '../monitor/namespace.ts';
import type { CallerTrace } from '../tracing/tracing.ts';

export interface QuotaDeps {
  ledger: QuotaLedger;
  settings: QuotaSettings;
}

/**
 * Starts a monitor within its namespace's quotas: counted before it is added (over a quota: a
 * QuotaExceededError, and nothing written), and the count taken back if the start adds nothing (the
 * monitor existed) or fails. Every start through the API is counted, an admin key's too (with no
 * ceiling), so that a namespace's use is what it really holds.
 */
export async function startCounted(
  client: JobwatchClient, quotas: QuotaDeps, principal: Principal, monitor: ValidatedMonitor | ValidatedOperation,
  /** The request's W3C trace context headers: the monitor's trace continues the caller's. */
  caller: CallerTrace = {},
): Promise<StartedMonitor> {
  const namespace = namespaceOf(monitor);
  const limits = namespaceQuotas(quotas.settings, namespace, principal);
  const reservation = await quotas.ledger.reserveStart(namespace, [keyOf(monitor)], [monitor.expireAt], limits);
  if (!reservation.ok) throw quotaExceeded(reservation);
  let started: StartedMonitor | undefined;
  try {
    started = isValidatedOperation(monitor) ? await client.startOperation(monitor, { trace: caller }) : await client.startMonitor(monitor, { trace: caller });
    return started;
  } finally {
    if (!started?.created) await quotas.ledger.undoStart(reservation);
  }
}
