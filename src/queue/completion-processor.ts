import { UnrecoverableError, type Job } from 'bullmq';
import type { Logger } from 'pino';
import { persistResult } from '../db/results.ts';
import type { Database } from '../db/drizzle-database.ts';
import { isTransientDatabaseError, postgresErrorCode } from '../db/postgres-errors.ts';
import { coerceError } from '../errors/errors.ts';
import type { MonitorResult } from '../monitor/context.ts';
import type { PollObserver } from './poll-observer.ts';

export interface CompletionProcessorDeps {
  db: Database;
  logger: Logger;
  observer?: PollObserver;
  /** Writes one final record; true when the row is new. @defaultValue persistResult on `db` */
  persist?: (result: MonitorResult) => Promise<boolean>;
}

/** Postgres codes of a row that can never be written (bad data): retrying would not help. */
const DATA_ERROR_CLASSES = ['22', '23'];

/**
 * The BullMQ processor of the completion queue: persists one monitor's final record. While
 * Postgres is down it fails and BullMQ retries it with backoff, so the record waits in Redis.
 */
export function createCompletionProcessor(deps: CompletionProcessorDeps) {
  const persist = deps.persist ?? ((result: MonitorResult) => persistResult(deps.db, result));
  return async function persistCompletion(job: Job<MonitorResult, boolean>): Promise<boolean> {
    const result = job.data;
    // Its lines carry these directly: a child logger per record was measurable at thousands a second.
    const ids = { monitorId: result.monitorId, jobId: result.jobId };
    let inserted: boolean;
    try {
      inserted = await persist(result);
    } catch (caught) {
      const error = coerceError(caught);
      const code = postgresErrorCode(caught);
      if (code && DATA_ERROR_CLASSES.includes(code.slice(0, 2)) && !isTransientDatabaseError(caught)) {
        deps.logger.error({ ...ids, err: error, code }, 'result cannot be written; left in the failed set');
        throw new UnrecoverableError(`cannot write result of ${result.monitorId}: ${error.message}`);
      }
      deps.observer?.persistFailed?.({ result, error });
      deps.logger.warn({ ...ids, err: error, code, attempt: job.attemptsMade + 1 }, 'result waits for Postgres; will retry');
      throw error;
    }
    deps.observer?.persisted?.({ result, inserted });
    deps.logger.info({ ...ids, outcome: result.outcome, inserted }, inserted ? 'result persisted' : 'result was already persisted');
    return inserted;
  };
}
