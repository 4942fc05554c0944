import { DelayedError, type Job } from 'bullmq';
import type { MonitorContext, MonitorResult, StatusSource } from '../monitor/context.ts';
import { MONITOR_ID, NAMESPACE, OUTCOME, POLL_NUMBER } from '../tracing/attributes.ts';
import { tracing, type SpanHandle, type Tracing } from '../tracing/tracing.ts';
import { memoPerUrl } from '../monitor/url-memo.ts';

/** A poll; `span`, with tracing on, is its span, which its status request and log lines name. */
export type TracedPoll = (job: Job<MonitorContext, MonitorResult>, token?: string, span?: SpanHandle) => Promise<MonitorResult>;
type Poll = (job: Job<MonitorContext, MonitorResult>, token?: string) => Promise<MonitorResult>;

/**
 * A poll as a span of its monitor's trace (`poll {source name, or host}`), handed to the poll for
 * its status request (a child span) and its log lines: the seam that keeps tracing out of the poll
 * processor. With tracing off a poll pays the one check of `tracing()`.
 */
export function withPollSpans(poll: TracedPoll): Poll {
  return (job, token) => {
    const traced = tracing();
    return traced ? pollInSpan(traced, poll, job, token) : poll(job, token);
  };
}

/**
 * No async function of its own and no closure over more than the span: whatever a traced poll adds
 * lives as long as the poll, through BullMQ's and Redis's awaits, and is copied by each young
 * collection meanwhile (the cost per poll in bench row 2t).
 */
function pollInSpan(traced: Tracing, poll: TracedPoll, job: Job<MonitorContext, MonitorResult>, token: string | undefined): Promise<MonitorResult> {
  const context = job.data;
  // Most polls, at a low ratio: their span records nothing, so it gets no name, attributes or outcome.
  const unrecorded = traced.unrecordedUnder(context.trace);
  if (unrecorded) return poll(job, token, unrecorded);
  const attributes = { [MONITOR_ID]: context.monitorId, [NAMESPACE]: context.namespace, [POLL_NUMBER]: context.polls + 1 };
  return traced.inTrace(context.trace, pollSpanName(context.status), 'internal', attributes, (span) => poll(job, token, span).then((result) => {
    span.set({ [OUTCOME]: result.outcome });
    return result;
  }), isRescheduled);
}

/** Re-scheduled: the poll went as it should and the monitor runs on, so its span is no error. */
function isRescheduled(rejection: unknown): boolean {
  return rejection instanceof DelayedError;
}

/** Span names of status URLs, so that a URL many monitors share is parsed once, not at each poll. */
const urlSpanName = memoPerUrl<string>();

/** `poll {source name}` for a named source, `poll {host}` for a status URL, `poll hook` for the hook. */
export function pollSpanName(status: StatusSource): string {
  if (status.kind === 'source') return `poll ${status.name}`;
  if (status.kind === 'hook') return 'poll hook';
  return urlSpanName(status.url, () => hostSpanName(status.url));
}

function hostSpanName(url: string): string {
  try {
    return `poll ${new URL(url).host}`;
  } catch {
    return 'poll';
  }
}
