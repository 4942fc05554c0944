/**
 * Named points in a poll where the reliability tests crash a worker on purpose, to prove that a
 * monitor survives a crash at each of them. In production no hook is set and these cost nothing.
 */
export type FaultPoint = 'after-status-check' | 'after-context-write' | 'after-reschedule' | 'after-completion-enqueue';

export type FaultHook = (point: FaultPoint, monitorId: string) => void | Promise<void>;
