import type { Job } from 'bullmq';
import type { MonitorResultRow } from '../db/schema.ts';
import type { MonitorContext, MonitorResult } from '../monitor/context.ts';
import type { Outcome } from '../monitor/statuses.ts';
import { describeUrl } from '../status/http-provider.ts';

/**
 * What `getMonitor` and `jobwatch status` report. A running monitor is read from its poll job in
 * Redis; an ended one from its record (in Postgres, or in the completion queue while it waits to
 * be written).
 */
export type MonitorState = RunningMonitorState | EndedMonitorState;

export interface RunningMonitorState {
  monitorId: string;
  jobId: string;
  /** `scheduled`: waiting for its next poll; `polling`: a poll is in flight. */
  state: 'scheduled' | 'polling';
  polls: number;
  lastStatus: string | null;
  lastError: string | null;
  nextPollAt: string;
  startedAt: string;
  expireAt: string;
  intervalMs: number;
  /** Where the status is read: the URL without credentials or query, or `hook`. */
  statusSource: string;
  statusField: string;
  metadata: Record<string, unknown> | null;
}

export interface EndedMonitorState {
  monitorId: string;
  jobId: string;
  state: 'ended';
  outcome: Outcome;
  jobStatus: string | null;
  polls: number;
  startedAt: string;
  finishedAt: string;
  detail: unknown;
  metadata: Record<string, unknown> | null;
  /** False while the record waits in Redis for Postgres. */
  persisted: boolean;
}

/** @internal */
export function runningState(job: Job<MonitorContext>, bullState: string): RunningMonitorState {
  const c = job.data;
  return {
    monitorId: c.monitorId,
    jobId: c.jobId,
    state: bullState === 'active' ? 'polling' : 'scheduled',
    polls: c.polls,
    lastStatus: c.lastStatus,
    lastError: c.lastError,
    nextPollAt: new Date(c.nextCheckAt).toISOString(),
    startedAt: new Date(c.startedAt).toISOString(),
    expireAt: new Date(c.expireAt).toISOString(),
    intervalMs: c.intervalMs,
    statusSource: c.status.kind === 'http' ? describeUrl(c.status.url) : 'hook',
    statusField: c.statusField,
    metadata: c.metadata,
  };
}

/** @internal */
export function pendingResultState(result: MonitorResult): EndedMonitorState {
  return {
    monitorId: result.monitorId,
    jobId: result.jobId,
    state: 'ended',
    outcome: result.outcome,
    jobStatus: result.jobStatus,
    polls: result.polls,
    startedAt: new Date(result.startedAt).toISOString(),
    finishedAt: new Date(result.finishedAt).toISOString(),
    detail: result.detail,
    metadata: result.metadata,
    persisted: false,
  };
}

/** @internal */
export function persistedResultState(row: MonitorResultRow): EndedMonitorState {
  return {
    monitorId: row.monitorId,
    jobId: row.jobId,
    state: 'ended',
    outcome: row.outcome as Outcome,
    jobStatus: row.jobStatus,
    polls: row.polls,
    startedAt: row.startedAt.toISOString(),
    finishedAt: row.finishedAt.toISOString(),
    detail: row.detail,
    metadata: (row.metadata as Record<string, unknown> | null) ?? null,
    persisted: true,
  };
}
