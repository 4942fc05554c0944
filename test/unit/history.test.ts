import { describe, expect, it } from 'vitest';
import type { MonitorContext } from '../../src/monitor/context.ts';
import { checkRecordFor, pushRecordFor, statusHostOf, type HistoryMode } from '../../src/monitor/history.ts';
import { combineObservers } from '../../src/monitor/poll-observer.ts';
import { formatChecks } from '../../src/cli/check-rows.ts';
import type { StatusReading } from '../../src/monitor/reading.ts';

const T0 = Date.parse('2026-01-01T00:00:00Z');

function context(overrides: Partial<MonitorContext> = {}): MonitorContext {
  return {
    monitorId: 'm1', jobId: 'j1', status: { kind: 'http', url: 'http://x/{jobId}' }, statusField: 'status',
    intervalMs: 60_000, expireAt: T0 + 3_600_000, startedAt: T0, polls: 3, consecutiveFailures: 0,
    lastStatus: 'Processing', lastError: null, nextCheckAt: T0, metadata: null, ...overrides,
  };
}
const ok = (status: string): StatusReading => ({ ok: true, status, body: { status }, httpStatus: 200 });
const failed: StatusReading = { ok: false, failure: { reason: 'http-status', httpStatus: 503, message: 'GET x answered 503' } };

describe('checkRecordFor: which checks a mode keeps', () => {
  it.each([
    { name: 'off keeps nothing, even the end', mode: 'off', ctx: context(), reading: ok('Completed'), ends: true, kept: false },
    { name: 'all keeps a repeated status', mode: 'all', ctx: context(), reading: ok('Processing'), ends: false, kept: true },
    { name: 'changes keeps the first check', mode: 'changes', ctx: context({ polls: 0, lastStatus: null }), reading: ok('Processing'), ends: false, kept: true },
    { name: 'changes skips a repeated status', mode: 'changes', ctx: context(), reading: ok('Processing'), ends: false, kept: false },
    { name: 'changes keeps a changed status', mode: 'changes', ctx: context(), reading: ok('Rendering'), ends: false, kept: true },
    { name: 'changes keeps a failed check', mode: 'changes', ctx: context(), reading: failed, ends: false, kept: true },
    { name: 'changes keeps the end, even with the same status', mode: 'changes', ctx: context(), reading: ok('Processing'), ends: true, kept: true },
    { name: "the monitor's own mode wins over the default", mode: 'all', ctx: context({ history: 'off' }), reading: ok('Rendering'), ends: false, kept: false },
    { name: "the monitor's all over a default of off", mode: 'off', ctx: context({ history: 'all' }), reading: ok('Processing'), ends: false, kept: true },
  ] as const)('$name', ({ mode, ctx, reading, ends, kept }) => {
    const record = checkRecordFor({ context: ctx, reading, checkedAt: T0 + 5, lateMs: 3, durationMs: 2, ends }, mode as HistoryMode);
    expect(record !== undefined).toBe(kept);
  });

  it('numbers a check after the checks before it, so a re-run poll repeats its number', () => {
    const event = { context: context({ polls: 7 }), reading: failed, checkedAt: T0 + 5, lateMs: -4, durationMs: 12.6, ends: false };
    expect(checkRecordFor(event, 'all')).toEqual({
      monitorId: 'm1', seq: 8, checkedAt: T0 + 5, status: null, result: 'failed', reason: 'http-status', error: 'GET x answered 503',
      httpStatus: 503, latencyMs: 13, lateMs: 0, via: 'poll', statusHost: 'x', source: null,
    });
    expect(checkRecordFor({ ...event, reading: ok('Done'), ends: true }, 'all')).toMatchObject({ seq: 8, status: 'Done', result: 'terminal', httpStatus: 200 });
  });
});

describe('statusHostOf: the host a poll calls, as the overview groups checks', () => {
  it.each([
    { name: 'the host and port of the status URL', ctx: context({ status: { kind: 'http', url: 'https://user:pw@jobs.example:8443/v1/{jobId}?token=t' } }), host: 'jobs.example:8443' },
    { name: 'a batch URL likewise', ctx: context({ status: { kind: 'batch', url: 'http://batch.example/statuses' } }), host: 'batch.example' },
    { name: 'hook for a hook monitor', ctx: context({ status: { kind: 'hook' } }), host: 'hook' },
    { name: 'the rateKey over the URL, lower-cased as rate keys are', ctx: context({ rateKey: 'Render-Farm' }), host: 'render-farm' },
    { name: 'a port as the URL writes it, as rate limits key it', ctx: context({ status: { kind: 'http', url: 'https://Jobs.Example:443/{jobId}' } }), host: 'jobs.example:443' },
  ] as const)('$name', ({ ctx, host }) => {
    expect(statusHostOf(ctx)).toBe(host);
  });

  it('is the status hook\'s own rate key for hook monitors that name none, as the gate keys them', () => {
    const hook = context({ status: { kind: 'hook' } });
    expect(statusHostOf(hook, 'billing-api')).toBe('billing-api');
    expect(checkRecordFor({ context: hook, reading: ok('Running'), checkedAt: T0, lateMs: 0, durationMs: 1, ends: false }, 'all', { hookRateKey: 'billing-api' })?.statusHost).toBe('billing-api');
    expect(statusHostOf(context({ status: { kind: 'hook' }, rateKey: 'own' }), 'billing-api')).toBe('own');
  });

  it('is null for a pushed status: no call was made', () => {
    expect(pushRecordFor(context(), 'Done', true, T0, 'all')?.statusHost).toBeNull();
  });
});

describe('source: the configured status source a poll read through', () => {
  const ofSource = context({ status: { kind: 'source', name: 'runs', params: { owner: 'acme' } } });
  const checked = (ctx: typeof ofSource) => checkRecordFor({ context: ctx, reading: ok('Running'), checkedAt: T0, lateMs: 0, durationMs: 1, ends: false }, 'all');

  it("is the source's name for a source monitor's poll", () => {
    expect(checked(ofSource)?.source).toBe('runs');
  });

  it.each([
    { name: 'a status URL', ctx: context() },
    { name: 'a batch status URL', ctx: context({ status: { kind: 'batch', url: 'http://batch.example/statuses' } }) },
    { name: 'the status hook', ctx: context({ status: { kind: 'hook' } }) },
  ] as const)('is null for a monitor of $name', ({ ctx }) => {
    expect(checked(ctx)?.source).toBeNull();
  });

  it('is null for a pushed status, even of a source monitor: it was not read through the source', () => {
    expect(pushRecordFor(ofSource, 'Done', true, T0, 'all')?.source).toBeNull();
  });
});

describe('combineObservers', () => {
  it('tells every observer that has the hook, in order', () => {
    const seen: string[] = [];
    const combined = combineObservers({ ended: () => seen.push('a') }, undefined, { ended: () => seen.push('b'), checked: () => seen.push('c') });
    combined.ended?.({} as never);
    combined.checked?.({} as never);
    expect(seen).toEqual(['a', 'b', 'c']);
    expect(combined.rescheduled).toBeUndefined();
  });
});

describe('formatChecks (jobwatch history on a terminal)', () => {
  it('aligns one row per check: the status, or the reason of a failed check', () => {
    const base = { checkedAt: '2026-01-01T00:00:00.000Z', error: null, latencyMs: 12, lateMs: 3, via: 'poll' };
    const text = formatChecks([
      { ...base, seq: 1, status: 'Processing', result: 'running', reason: null, httpStatus: 200, source: 'runs' },
      { ...base, seq: 2, status: null, result: 'failed', reason: 'timeout', httpStatus: null, source: null },
    ]);
    expect(text.split('\n')).toEqual([
      'SEQ  CHECKED AT                RESULT   STATUS / REASON  HTTP  LATENCY  LATE  VIA   SOURCE',
      '1    2026-01-01T00:00:00.000Z  running  Processing       200   12ms     3ms   poll  runs',
      '2    2026-01-01T00:00:00.000Z  failed   timeout          -     12ms     3ms   poll  -',
    ]);
    expect(formatChecks([])).toBe('no checks recorded');
  });
});
