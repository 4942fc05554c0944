/**
 * Named points in a poll where the reliability tests crash a worker on purpose, to prove that a
 * monitor survives a crash at each of them. In production no hook is set and these cost nothing.
 */
export type FaultPoint =
  /** The status service answered; nothing is written yet. */
  | 'after-status-check'
  /** The final record is written into the poll job's context; the completion is not enqueued yet. */
  | 'after-context-write'
  /** The new context and the next poll's delay are written (one atomic step). */
  | 'after-reschedule'
  /** The completion job is enqueued; the poll job has not completed yet. */
  | 'after-completion-enqueue';

export type FaultHook = (point: FaultPoint, monitorId: string) => void | Promise<void>;
