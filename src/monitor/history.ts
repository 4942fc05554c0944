import type { MonitorContext } from './context.ts';
import type { StatusReading } from './reading.ts';
import { DEFAULT_HOOK_RATE_KEY, rateKeyOf } from './gate/rate-key.ts';
import { namespaceField } from './namespace.ts';

/**
 * Which status checks a monitor keeps in its history (`monitor_checks`). `off`: none; `changes`:
 * the first check, each change of status, each failed check and the check that ends the monitor;
 * `all`: every check.
 */
export const HISTORY_MODES = ['off', 'changes', 'all'] as const;
export type HistoryMode = (typeof HISTORY_MODES)[number];

/** What a check found: the job still running, a terminal status, or no status (a failed check). */
export type CheckResult = 'running' | 'terminal' | 'failed';

/**
 * How a check's status was learned: a poll's status call, or a status the job service pushed.
 * Not `source`: that word names a configured status source (src/sources/), and a source may be
 * named `push`.
 */
export type CheckVia = 'poll' | 'push';

/** One status check as its history row; times are epoch milliseconds. */
export interface CheckRecord {
  /** The monitor's namespace; absent: the default one. */
  namespace?: string;
  monitorId: string;
  /** The check's number in its monitor, from 1; a poll re-run after a crash repeats its number. */
  seq: number;
  checkedAt: number;
  /** The raw status read; null for a failed check. */
  status: string | null;
  result: CheckResult;
  /** Why a failed check failed (a StatusFailureReason) and its one-line message. */
  reason: string | null;
  error: string | null;
  httpStatus: number | null;
  /** How long the status call took. */
  latencyMs: number;
  /** How late the poll started after it was due. */
  lateMs: number;
  via: CheckVia;
  /**
   * Which status host the poll called, as its rate key (see statusHostOf); null for a pushed
   * status (no call was made). Absent in rows of older workers.
   */
  statusHost?: string | null;
  /** The source a poll read through (a source monitor's source name); null otherwise. Absent in rows of older workers. */
  source?: string | null;
}

/** What a poll reports once a check is decided: the PollObserver's `checked` event. */
export interface CheckedEvent {
  /** The context the poll started from (before this check was counted). */
  context: MonitorContext;
  reading: StatusReading;
  checkedAt: number;
  lateMs: number;
  durationMs: number;
  /** Whether this check ends the monitor. */
  ends: boolean;
}

export interface RecordOptions {
  /** @defaultValue 'poll' */
  via?: CheckVia;
  /** The rate key of hook monitors that name none: the status hook module's `rateKey` export. @defaultValue 'hook' */
  hookRateKey?: string;
}

/** The history row of a pushed status, as a check of the monitor's context at the time of the push. */
export function pushRecordFor(context: MonitorContext, status: string, ends: boolean, now: number, defaultMode: HistoryMode): CheckRecord | undefined {
  const reading: StatusReading = { ok: true, status, body: null };
  return checkRecordFor({ context, reading, checkedAt: now, lateMs: 0, durationMs: 0, ends }, defaultMode, { via: 'push' });
}

/**
 * The history row of a check, or undefined when the monitor's mode keeps no row for it. Pure, and
 * cheap when it keeps none: it runs on every poll.
 */
export function checkRecordFor(event: CheckedEvent, defaultMode: HistoryMode, how: RecordOptions = {}): CheckRecord | undefined {
  const via = how.via ?? 'poll';
  const { context, reading } = event;
  const mode = context.history ?? defaultMode;
  if (mode === 'off') return undefined;
  if (mode === 'changes') {
    const first = context.polls === 0;
    const changed = reading.ok && reading.status !== context.lastStatus;
    if (!first && !changed && reading.ok && !event.ends) return undefined;
  }
  return {
    ...namespaceField(context),
    monitorId: context.monitorId,
    // The checks before this one (polls and recorded pushes), plus one: a poll re-run after a crash
    // (its context not yet re-written) gets the same number, so its row is not written twice; a poll
    // and a push that race for a number keep one row, the first written.
    seq: context.polls + (context.pushes ?? 0) + 1,
    checkedAt: event.checkedAt,
    status: reading.ok ? reading.status : null,
    result: !reading.ok ? 'failed' : event.ends ? 'terminal' : 'running',
    reason: reading.ok ? null : reading.failure.reason,
    error: reading.ok ? null : reading.failure.message,
    httpStatus: (reading.ok ? reading.httpStatus : reading.failure.httpStatus) ?? null,
    latencyMs: Math.max(0, Math.round(event.durationMs)),
    lateMs: Math.max(0, Math.round(event.lateMs)),
    via,
    statusHost: via === 'poll' ? statusHostOf(context, how.hookRateKey) : null,
    source: via === 'poll' && context.status.kind === 'source' ? context.status.name : null,
  };
}

/**
 * The status host a monitor's polls call, as the overview groups them: the rate key its requests
 * are limited, held and circuit-broken under (rateKeyOf), so that the monitors page can show each
 * host's gate state beside its checks.
 */
export function statusHostOf(context: Pick<MonitorContext, 'status' | 'rateKey'>, hookRateKey: string = DEFAULT_HOOK_RATE_KEY): string {
  try {
    return rateKeyOf(context, hookRateKey);
  } catch {
    return 'invalid-url';
  }
}
