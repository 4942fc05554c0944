import type { Job } from 'bullmq';
import type { MonitorContext, MonitorResult } from '../monitor/context.ts';

/** The part of BullMQ's (protected) script runner this uses; pinned with BullMQ's exact version. */
interface MoveToDelayedScript {
  moveToDelayed(
    jobId: string, timestamp: number, delay: number, token: string,
    opts: { skipAttempt: boolean; fieldsToUpdate: Record<string, string> },
  ): Promise<unknown>;
}

/**
 * Writes the poll job's new context and moves it to delayed until `at`, in one Redis script: the
 * one BullMQ's own retries use to update a job as they delay it. One step instead of BullMQ's public
 * `updateData` then `moveToDelayed` saves a round trip per poll, and leaves no moment where a
 * crash finds the context written but the job not re-scheduled. `skipAttempt` keeps a re-schedule
 * from counting as an attempt.
 */
export async function rescheduleWithContext(job: Job<MonitorContext, MonitorResult>, context: MonitorContext, at: number, token: string): Promise<void> {
  const scripts = (job as unknown as { scripts?: Partial<MoveToDelayedScript> }).scripts;
  if (typeof scripts?.moveToDelayed !== 'function') {
    // Not the BullMQ this was written for: the two public steps, context first (see poll-processor).
    await job.updateData(context);
    await job.moveToDelayed(at, token);
    return;
  }
  const now = Date.now();
  await scripts.moveToDelayed.call(scripts, job.id!, now, Math.max(0, at - now), token, {
    skipAttempt: true,
    fieldsToUpdate: { data: JSON.stringify(context) },
  });
  job.data = context;
}
