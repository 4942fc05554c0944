import { formatDuration } from '../time/durations.ts';
import type { MonitorContext, MonitorResult } from '../monitor/context.ts';
import { describeStatusSource } from '../monitor/describe-url.ts';
import { describeHold } from '../monitor/gate/hold.ts';

/**
 * What the board shows of a poll job's data: the monitor at a glance, times as ISO dates, and the
 * status URL without credentials or query string (they may carry secrets).
 */
export function describePollData(data: unknown): unknown {
  if (!isMonitorContext(data)) return { note: 'not a jobwatch monitor' };
  return {
    monitorId: data.monitorId,
    jobId: data.jobId,
    polls: data.polls,
    nextPollAt: iso(data.nextCheckAt),
    lastStatus: data.lastStatus,
    lastError: data.lastError,
    consecutiveFailures: data.consecutiveFailures,
    interval: formatDuration(data.intervalMs),
    startedAt: iso(data.startedAt),
    expireAt: iso(data.expireAt),
    statusSource: describeStatusSource(data),
    statusField: data.statusField,
    metadata: data.metadata,
    ...(data.rateKey ? { rateKey: data.rateKey } : {}),
    ...(data.hold ? { held: describeHold(data.hold) } : {}),
  };
}

/** A completion job's data: the monitor's final record, with ISO dates. */
export function describeResultData(data: unknown): unknown {
  if (!isMonitorResult(data)) return { note: 'not a jobwatch result' };
  return { ...data, startedAt: iso(data.startedAt), finishedAt: iso(data.finishedAt) };
}

/** The job's name in lists: what it is and for which monitor, instead of only `poll`. */
export function describeJobName(job: { name?: string; data?: unknown }): string {
  const monitorId = (job.data as { monitorId?: unknown } | undefined)?.monitorId;
  return typeof monitorId === 'string' ? `${job.name ?? 'job'} ${monitorId}` : (job.name ?? '');
}

function iso(ms: number): string {
  return Number.isFinite(ms) ? new Date(ms).toISOString() : String(ms);
}

function isMonitorContext(data: unknown): data is MonitorContext {
  const d = data as Partial<MonitorContext> | null;
  return typeof d?.monitorId === 'string' && typeof d.nextCheckAt === 'number' && typeof d.status?.kind === 'string';
}

function isMonitorResult(data: unknown): data is MonitorResult {
  const d = data as Partial<MonitorResult> | null;
  return typeof d?.monitorId === 'string' && typeof d.outcome === 'string' && typeof d.finishedAt === 'number';
}
