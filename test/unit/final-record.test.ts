import { describe, expect, it } from 'vitest';
import type { MonitorContext, MonitorResult } from '../../src/monitor/context.ts';
import { decideAfterCheck, decideBeforeCheck, decideCancel, type PollPolicy } from '../../src/monitor/decide.ts';
import { finalRecord } from '../../src/monitor/final-record.ts';
import { decidePush } from '../../src/monitor/push.ts';
import { createVocabulary } from '../../src/monitor/statuses.ts';

// Every way a monitor ends goes through one record builder, so every end carries what the context
// says about the monitor: above all where its end is announced (`notify`). One row per way of ending.

const T0 = Date.parse('2026-01-01T00:00:00Z');
const EXPIRE_AT = T0 + 3_600_000;
const policy: PollPolicy = { vocabulary: createVocabulary(), maxConsecutiveFailures: 2, retryBaseMs: 1_000, retryMaxMs: 60_000, notFoundEndsMonitor: true };
const NOTIFY = { url: 'https://hooks.example.com/own', queue: 'own-ends' };

function context(overrides: Partial<MonitorContext> = {}): MonitorContext {
  return {
    monitorId: 'm1', jobId: 'j1', status: { kind: 'hook' }, statusField: 'status', intervalMs: 60_000, expireAt: EXPIRE_AT,
    startedAt: T0, polls: 3, consecutiveFailures: 0, lastStatus: 'Processing', lastError: null, nextCheckAt: T0,
    metadata: { team: 'video' }, notify: NOTIFY, ...overrides,
  };
}

function finished(step: { kind: string; result?: MonitorResult }): MonitorResult {
  if (step.kind !== 'finish' || !step.result) throw new Error(`expected an end, got ${step.kind}`);
  return step.result;
}

/**
 * Each row builds its monitor with `context` (the row's own overrides on top): the table runs once
 * with the plain builder, once with a source monitor's.
 */
type ContextOf = (overrides?: Partial<MonitorContext>) => MonitorContext;

const ENDS: { end: string; outcome: string; record: (context: ContextOf) => MonitorResult }[] = [
  { end: 'a poll reads a terminal status', outcome: 'completed', record: (context) => finished(decideAfterCheck(context(), { ok: true, status: 'Completed', body: {} }, T0 + 1, policy, 0)) },
  { end: 'a late push (the monitor has polled)', outcome: 'failed', record: (context) => finished(decidePush(context(), { status: 'Failed' }, T0 + 1, policy.vocabulary)) },
  { end: 'an early push (taken at the first poll)', outcome: 'completed', record: (context) => finished(decidePush(context({ polls: 0, lastStatus: null }), { status: 'Completed' }, T0 + 1, policy.vocabulary)) },
  { end: 'a cancel', outcome: 'canceled', record: (context) => decideCancel(context(), T0 + 1) },
  { end: 'a cancel found before the check', outcome: 'canceled', record: (context) => finished(decideBeforeCheck(context(), T0 + 1, true)) },
  { end: 'an expiry', outcome: 'expired', record: (context) => finished(decideBeforeCheck(context(), EXPIRE_AT, false)) },
  { end: 'an expiry after failed checks', outcome: 'errored', record: (context) => finished(decideBeforeCheck(context({ consecutiveFailures: 1, lastError: 'boom' }), EXPIRE_AT, false)) },
  { end: 'an error (the failure budget is spent)', outcome: 'errored', record: (context) => finished(decideAfterCheck(context({ consecutiveFailures: 1 }), { ok: false, failure: { reason: 'timeout', message: 'slow' } }, T0 + 1, policy, 0)) },
  { end: 'a 404 that ends the monitor', outcome: 'errored', record: (context) => finished(decideAfterCheck(context(), { ok: false, failure: { reason: 'not-found', message: 'gone', httpStatus: 404 } }, T0 + 1, policy, 0)) },
  { end: 'an expiry while held', outcome: 'expired', record: (context) => finished(decideBeforeCheck(context({ hold: { key: 'api.example.com', reason: 'retry-after', until: EXPIRE_AT + 60_000 } }), EXPIRE_AT, false)) },
];

describe('the final record, for every way a monitor ends', () => {
  it.each(ENDS)('$end: $outcome, with the monitor\'s own notify targets and fields', ({ record, outcome }) => {
    const result = record(context);
    expect(result.outcome).toBe(outcome);
    expect(result.notify).toEqual(NOTIFY);
    expect(result).toMatchObject({ monitorId: 'm1', jobId: 'j1', startedAt: T0, metadata: { team: 'video' } });
    // The same fields as the one builder gives: a second builder that forgets one fails here.
    expect(Object.keys(result).sort()).toEqual(Object.keys(finalRecord(context(), { outcome: result.outcome, detail: null }, 0)).sort());
  });

  it.each(ENDS)("$end: a source monitor's record names its source", ({ record }) => {
    const ofSource: ContextOf = (overrides) => context({ status: { kind: 'source', name: 'runs', params: { owner: 'acme' } }, ...overrides });
    const result = record(ofSource);
    expect(result.source).toBe('runs');
    expect(Object.keys(result).sort()).toEqual(Object.keys(finalRecord(ofSource(), { outcome: result.outcome, detail: null }, 0)).sort());
  });

  it('a monitor of a status URL, a batch URL or the hook names no source', () => {
    for (const status of [{ kind: 'hook' }, { kind: 'http', url: 'https://x.example/{jobId}' }, { kind: 'batch', url: 'https://x.example/b' }] as const) {
      expect(decideCancel(context({ status }), T0 + 1)).not.toHaveProperty('source');
    }
  });

  it('a monitor without notify targets ends without them, so the deployment\'s JOBWATCH_NOTIFY_URL applies', () => {
    const { notify: _none, ...plain } = context();
    expect(decideCancel(plain, T0 + 1)).not.toHaveProperty('notify');
    expect(finished(decidePush(plain, { status: 'Completed' }, T0 + 1, policy.vocabulary))).not.toHaveProperty('notify');
  });

  it('keeps the pushed status as the job\'s status, and the context\'s last status otherwise', () => {
    expect(finished(decidePush(context(), { status: 'Failed' }, T0 + 1, policy.vocabulary)).jobStatus).toBe('Failed');
    expect(decideCancel(context(), T0 + 1).jobStatus).toBe('Processing');
  });
});
