import { UnrecoverableError, type Job } from 'bullmq';
import type { Logger } from 'pino';
import { coerceError, UnstorableResultError } from '../errors/errors.ts';
import type { MonitorResult } from '../monitor/context.ts';
import { namespaceField } from '../monitor/namespace.ts';
import type { PollObserver } from '../monitor/poll-observer.ts';
import type { ResultStore } from '../monitor/result-store.ts';
import { DB_SYSTEM_NAME, MONITOR_ID, NAMESPACE, OUTCOME } from '../tracing/attributes.ts';
import { tracing, type SpanHandle } from '../tracing/tracing.ts';

export interface CompletionProcessorDeps {
  /** Where final records are written (db/: ResultBatcher in workers). */
  results: ResultStore;
  logger: Logger;
  observer?: PollObserver;
}

/**
 * The BullMQ processor of the completion queue: persists one monitor's final record. While
 * Postgres is down it fails and BullMQ retries it with backoff, so the record waits in Redis; a
 * record the database can never take is failed for good, and stays in the failed set.
 */
export function createCompletionProcessor(deps: CompletionProcessorDeps) {
  const persist = persistWith(deps);
  return function persistCompletion(job: Job<MonitorResult, boolean>): Promise<boolean> {
    const traced = tracing();
    if (!traced) return persist(job);
    const result = job.data;
    // The final record's write is a span of the monitor's trace (its error, if any, recorded there).
    const attributes = { [MONITOR_ID]: result.monitorId, [NAMESPACE]: result.namespace, [OUTCOME]: result.outcome, [DB_SYSTEM_NAME]: 'postgresql' };
    return traced.inTrace(result.trace, 'write final record', 'internal', attributes, (span) => persist(job, span));
  };
}

function persistWith(deps: CompletionProcessorDeps) {
  /** `span`, with tracing on: the write's, which its log lines name. */
  return async function persistRecord(job: Job<MonitorResult, boolean>, span?: SpanHandle): Promise<boolean> {
    const result = job.data;
    // Its lines carry these directly: a child logger per record was measurable at thousands a second.
    const ids = { ...span?.logIds(), ...namespaceField(result), monitorId: result.monitorId, jobId: result.jobId };
    let inserted: boolean;
    try {
      inserted = await deps.results.persist(result);
    } catch (caught) {
      if (caught instanceof UnstorableResultError) {
        deps.logger.error({ ...ids, err: caught, code: caught.code }, 'result cannot be written; left in the failed set');
        throw new UnrecoverableError(caught.message);
      }
      const error = coerceError(caught);
      deps.observer?.persistFailed?.({ result, error });
      deps.logger.warn({ ...ids, err: error, attempt: job.attemptsMade + 1 }, 'result waits for Postgres; will retry');
      throw error;
    }
    deps.observer?.persisted?.({ result, inserted });
    deps.logger.info({ ...ids, outcome: result.outcome, inserted }, inserted ? 'result persisted' : 'result was already persisted');
    return inserted;
  };
}
