import type { MonitorContext, MonitorResult } from './context.ts';
import type { Outcome } from './statuses.ts';

/** How a monitor's end was decided, as far as the final record's own fields go. */
export interface MonitorEnd {
  outcome: Outcome;
  /** The error, the last status body, or what the push carried. */
  detail: unknown;
  /** The job's raw status at the end. @defaultValue the context's `lastStatus` */
  jobStatus?: string | null;
}

/**
 * The final record of a monitor that ends at `now`: the one place it is built, whatever ended the
 * monitor (a polled or pushed status, a cancel, an expiry held or not, an error). Everything the
 * record carries on from the context (ids, counts, metadata, where the end is announced) is copied
 * here, so no way of ending can forget a field. (Pushed ends once lost their notifications because
 * a second copy of this builder did not copy `notify`.)
 */
export function finalRecord(context: MonitorContext, end: MonitorEnd, now: number): MonitorResult {
  return {
    ...(context.namespace ? { namespace: context.namespace } : {}),
    monitorId: context.monitorId,
    jobId: context.jobId,
    outcome: end.outcome,
    jobStatus: end.jobStatus === undefined ? context.lastStatus : end.jobStatus,
    polls: context.polls,
    startedAt: context.startedAt,
    finishedAt: now,
    detail: end.detail,
    metadata: context.metadata,
    ...(context.notify ? { notify: context.notify } : {}),
    ...(context.status.kind === 'source' ? { source: context.status.name } : {}),
    ...(context.operation ? { operation: { fingerprint: context.operation.fingerprint, ...(context.operation.answer ? { answer: context.operation.answer } : {}) } } : {}),
    ...(context.trace ? { trace: context.trace } : {}),
  };
}
