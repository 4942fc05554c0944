import { describe, expect, it } from 'vitest';
import type { MonitorContext } from '../../src/monitor/context.ts';
import { decideAfterCheck, decideBeforeCheck, retryDelay, truncateDetail, type PollPolicy } from '../../src/monitor/decide.ts';
import { createVocabulary } from '../../src/monitor/statuses.ts';
import type { StatusReading } from '../../src/monitor/reading.ts';

const T0 = Date.parse('2026-01-01T00:00:00Z');
const policy: PollPolicy = {
  vocabulary: createVocabulary(),
  maxConsecutiveFailures: 3,
  retryBaseMs: 1_000,
  retryMaxMs: 60_000,
  notFoundEndsMonitor: true,
};

function context(overrides: Partial<MonitorContext> = {}): MonitorContext {
  return {
    monitorId: 'm1', jobId: 'j1', status: { kind: 'http', url: 'http://x/{jobId}' }, statusField: 'status',
    intervalMs: 60_000, expireAt: T0 + 3_600_000, startedAt: T0, polls: 0, consecutiveFailures: 0,
    lastStatus: null, lastError: null, nextCheckAt: T0, metadata: { team: 'video' }, ...overrides,
  };
}
const ok = (status: string, body: unknown = { status }): StatusReading => ({ ok: true, status, body });
const fail = (reason: 'timeout' | 'not-found' | 'http-status', retryAfterMs?: number): StatusReading => ({
  ok: false, failure: { reason, message: `${reason} happened`, ...(retryAfterMs ? { retryAfterMs } : {}) },
});

describe('decideBeforeCheck', () => {
  it.each([
    { name: 'before expiry: check', ctx: context(), now: T0 + 1, cancel: false, kind: 'check', outcome: undefined },
    { name: 'cancel requested: canceled without a check', ctx: context(), now: T0 + 1, cancel: true, kind: 'finish', outcome: 'canceled' },
    { name: 'at expiry: expired', ctx: context(), now: T0 + 3_600_000, cancel: false, kind: 'finish', outcome: 'expired' },
    { name: 'past expiry with failing checks: errored', ctx: context({ consecutiveFailures: 2, lastError: 'boom' }), now: T0 + 3_600_001, cancel: false, kind: 'finish', outcome: 'errored' },
    { name: 'cancel wins over expiry', ctx: context(), now: T0 + 3_600_001, cancel: true, kind: 'finish', outcome: 'canceled' },
  ])('$name', ({ ctx, now, cancel, kind, outcome }) => {
    const step = decideBeforeCheck(ctx, now, cancel);
    expect(step.kind).toBe(kind);
    if (step.kind === 'finish') {
      expect(step.result.outcome).toBe(outcome);
      expect(step.result.finishedAt).toBe(now);
      expect(step.result.metadata).toEqual({ team: 'video' });
    }
  });

  it('hands on an end already decided, without a check, cancel or not', () => {
    const decided = { monitorId: 'm-1', jobId: 'j-1', outcome: 'completed' as const, jobStatus: 'Completed', polls: 4, startedAt: T0, finishedAt: T0 + 5, detail: null, metadata: null };
    for (const cancel of [false, true]) {
      const step = decideBeforeCheck(context({ result: decided }), T0 + 100, cancel);
      expect(step).toEqual({ kind: 'finish', result: decided });
    }
  });

  it('keeps the last error in the detail of an errored expiry', () => {
    const step = decideBeforeCheck(context({ consecutiveFailures: 2, lastError: 'GET x answered 503' }), T0 + 3_600_000, false);
    expect(step.kind === 'finish' && step.result.detail).toMatchObject({ error: 'GET x answered 503', consecutiveFailures: 2 });
  });
});

describe('decideAfterCheck', () => {
  it.each([
    ['Processing', 'running'], ['processing', 'running'], ['In Progress', 'running'], ['in_progress', 'running'],
    ['NotStarted', 'running'], ['QUEUED', 'running'], ['pending', 'running'],
    ['Completed', 'completed'], ['succeeded', 'completed'], ['DONE', 'completed'],
    ['Failed', 'failed'], ['error', 'failed'], ['Exploded', 'failed'],
    ['Cancelled', 'canceled'], ['canceled', 'canceled'], ['Aborted', 'canceled'],
  ])('status %s reads as %s', (status, expected) => {
    const step = decideAfterCheck(context(), ok(status), T0 + 10, policy, 0.5);
    if (expected === 'running') {
      expect(step.kind).toBe('reschedule');
    } else {
      expect(step.kind).toBe('finish');
      expect(step.kind === 'finish' && step.result.outcome).toBe(expected);
      expect(step.kind === 'finish' && step.result.jobStatus).toBe(status);
    }
  });

  it('re-schedules a running job one interval after the check, with the context updated', () => {
    const step = decideAfterCheck(context({ polls: 4, consecutiveFailures: 2, lastError: 'old' }), ok('Running'), T0 + 500, policy, 0);
    expect(step).toMatchObject({
      kind: 'reschedule', reason: 'running', at: T0 + 60_500,
      context: { polls: 5, consecutiveFailures: 0, lastError: null, lastStatus: 'Running', nextCheckAt: T0 + 60_500 },
    });
  });

  it('never schedules past the expiry', () => {
    const step = decideAfterCheck(context({ expireAt: T0 + 10_000 }), ok('Processing'), T0 + 5_000, policy, 0);
    expect(step.kind === 'reschedule' && step.at).toBe(T0 + 10_000);
  });

  it('records the poll count and the status body of a terminal status', () => {
    const body = { status: 'Completed', output: 's3://bucket/video.mp4' };
    const step = decideAfterCheck(context({ polls: 3 }), ok('Completed', body), T0 + 1, policy, 0);
    expect(step).toMatchObject({ kind: 'finish', result: { outcome: 'completed', polls: 4, detail: body, startedAt: T0, finishedAt: T0 + 1 } });
  });

  it.each([
    // A source's convention decided the outcome: the status is the service's word, never classified again.
    ['failure', 'failed'], ['success', 'completed'], ['Complete', 'completed'], ['CANCELLED', 'canceled'], ['Running', 'completed'], ['Failed', 'completed'],
  ] as const)('a reading of %s that carries the outcome %s ends with it, whatever the vocabulary says', (status, outcome) => {
    const body = { decidedBy: { source: 'runs', convention: 'github-actions-run' }, status, httpStatus: 200 };
    const step = decideAfterCheck(context({ polls: 1 }), { ok: true, status, body, outcome }, T0 + 1, policy, 0);
    expect(step).toMatchObject({ kind: 'finish', result: { outcome, jobStatus: status, detail: body, polls: 2 } });
  });

  it('a running reading of a source stays running, whatever its status word', () => {
    expect(decideAfterCheck(context(), { ok: true, status: 'Completed', body: null, running: true }, T0, policy, 0).kind).toBe('reschedule');
  });

  it('retries a failed check with backoff, without ending the monitor', () => {
    const step = decideAfterCheck(context({ polls: 2 }), fail('timeout'), T0, policy, 0);
    expect(step).toMatchObject({ kind: 'reschedule', reason: 'retry', context: { polls: 3, consecutiveFailures: 1, lastError: 'timeout happened' } });
  });

  it('ends as errored after the budget of failures in a row, with the last error', () => {
    const step = decideAfterCheck(context({ consecutiveFailures: 2 }), fail('http-status'), T0, policy, 0);
    expect(step).toMatchObject({ kind: 'finish', result: { outcome: 'errored', detail: { error: 'http-status happened', consecutiveFailures: 3 } } });
  });

  it('ends a 404 as errored at once, unless configured otherwise', () => {
    expect(decideAfterCheck(context(), fail('not-found'), T0, policy, 0)).toMatchObject({ kind: 'finish', result: { outcome: 'errored' } });
    expect(decideAfterCheck(context(), fail('not-found'), T0, { ...policy, notFoundEndsMonitor: false }, 0).kind).toBe('reschedule');
  });

  it('honours a Retry-After longer than its own backoff', () => {
    const step = decideAfterCheck(context(), fail('http-status', 30_000), T0, policy, 0);
    expect(step.kind === 'reschedule' && step.at).toBe(T0 + 30_000);
  });

  it('uses the configured running statuses', () => {
    const custom = { ...policy, vocabulary: createVocabulary({ running: ['Transcoding'] }) };
    expect(decideAfterCheck(context(), ok('transcoding'), T0, custom, 0).kind).toBe('reschedule');
    expect(decideAfterCheck(context(), ok('Processing'), T0, custom, 0).kind).toBe('finish');
  });
});

describe('retryDelay', () => {
  it.each([
    { failures: 1, jitter: 0, expected: 500 },
    { failures: 1, jitter: 0.999, expected: 1_000 },
    { failures: 2, jitter: 0, expected: 1_000 },
    { failures: 4, jitter: 0, expected: 4_000 },
    { failures: 20, jitter: 0, expected: 30_000 },
    { failures: 20, jitter: 1, expected: 60_000 },
  ])('failure $failures with jitter $jitter waits $expected ms', ({ failures, jitter, expected }) => {
    expect(retryDelay(failures, 60_000, policy, jitter)).toBe(expected);
  });

  it('starts no slower than the monitor interval', () => {
    expect(retryDelay(1, 200, policy, 1)).toBe(200);
  });
});

describe('truncateDetail', () => {
  it('keeps small bodies and cuts large ones', () => {
    expect(truncateDetail({ a: 1 })).toEqual({ a: 1 });
    expect(truncateDetail(undefined)).toBeNull();
    const big = truncateDetail({ blob: 'x'.repeat(100_000) }) as { truncated: boolean; preview: string };
    expect(big.truncated).toBe(true);
    expect(big.preview.length).toBe(1_024);
  });
});
