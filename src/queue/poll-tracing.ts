import { DelayedError, type Job } from 'bullmq';
import type { MonitorContext, MonitorResult, StatusSource } from '../monitor/context.ts';
import { MONITOR_ID, NAMESPACE, OUTCOME, POLL_NUMBER } from '../tracing/attributes.ts';
import { tracing, type Tracing } from '../tracing/tracing.ts';

type Poll = (job: Job<MonitorContext, MonitorResult>, token?: string) => Promise<MonitorResult>;

/**
 * A poll as a span of its monitor's trace (`poll {source name, or host}`), with the status request
 * its child: the seam that keeps tracing out of the poll processor. With tracing off a poll pays
 * the one check of `tracing()`.
 */
export function withPollSpans(poll: Poll): Poll {
  return (job, token) => {
    const traced = tracing();
    return traced ? pollInSpan(traced, poll, job, token) : poll(job, token);
  };
}

async function pollInSpan(traced: Tracing, poll: Poll, job: Job<MonitorContext, MonitorResult>, token: string | undefined): Promise<MonitorResult> {
  const context = job.data;
  const attributes = { [MONITOR_ID]: context.monitorId, [NAMESPACE]: context.namespace, [POLL_NUMBER]: context.polls + 1 };
  const ended = await traced.inTrace(context.trace, pollSpanName(context.status), 'internal', attributes, async (span) => {
    try {
      const result = await poll(job, token);
      span.set({ [OUTCOME]: result.outcome });
      return { result };
    } catch (error) {
      // Re-scheduled: the poll went as it should and the monitor runs on, so the span is no error.
      if (error instanceof DelayedError) return { rescheduled: error };
      throw error;
    }
  });
  if ('rescheduled' in ended) throw ended.rescheduled;
  return ended.result;
}

/** `poll {source name}` for a named source, `poll {host}` for a status URL, `poll hook` for the hook. */
export function pollSpanName(status: StatusSource): string {
  if (status.kind === 'source') return `poll ${status.name}`;
  if (status.kind === 'hook') return 'poll hook';
  try {
    return `poll ${new URL(status.url).host}`;
  } catch {
    return 'poll';
  }
}
