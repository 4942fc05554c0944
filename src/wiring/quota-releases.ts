import type { Logger } from 'pino';
import type { QuotaLedger } from '../access/quota-ledger.ts';
import { keyOf, namespaceOf } from '../monitor/namespace.ts';
import type { PollObserver } from '../monitor/poll-observer.ts';

/**
 * Counts monitors out of their namespace's quotas as the workers see them end (once their record
 * is written, however they ended: a poll, a push, a cancel, an expiry) and as their first poll
 * takes an early push. A release that fails is only logged: what it would have freed expires by
 * itself (quotas/redis-quotas.ts), and a monitor's end must not wait for it.
 */
export function quotaReleases(ledger: QuotaLedger, logger: Logger): PollObserver {
  const warn = (error: unknown) => logger.warn({ err: error }, 'could not count a monitor out of its quota; it expires from the count by itself');
  return {
    persisted({ result }) {
      ledger.release(namespaceOf(result), keyOf(result)).catch(warn);
    },
    earlyPushTaken(context) {
      ledger.releaseEarlyPush(namespaceOf(context), keyOf(context)).catch(warn);
    },
  };
}
