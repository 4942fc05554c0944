import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { MonitorContext } from '../../src/monitor/context.ts';
import { decideAfterCheck, type PollPolicy } from '../../src/monitor/decide.ts';
import { parseMonitorInput } from '../../src/monitor/input.ts';
import { decidePush, isPushedResult } from '../../src/monitor/push.ts';
import { DEFAULT_JITTER, firstPollDelay, MAX_BACKOFF_FACTOR, nextPollAfterRunning, slotIn, type Schedule } from '../../src/monitor/schedule.ts';
import { createVocabulary } from '../../src/monitor/statuses.ts';

const T0 = Date.parse('2026-01-01T00:00:00Z');
const MIN = 100;
const policy: PollPolicy = { vocabulary: createVocabulary(), maxConsecutiveFailures: 3, retryBaseMs: 1_000, retryMaxMs: 60_000, notFoundEndsMonitor: true, minIntervalMs: MIN };

function context(overrides: Partial<MonitorContext> = {}): MonitorContext {
  return {
    monitorId: 'm1', jobId: 'j1', status: { kind: 'http', url: 'http://x/{jobId}' }, statusField: 'status',
    intervalMs: 5_000, expireAt: T0 + 3_600_000, startedAt: T0, polls: 0, consecutiveFailures: 0,
    lastStatus: null, lastError: null, nextCheckAt: T0, metadata: null, ...overrides,
  };
}
const backoff: Schedule = { jitter: 0, backoff: { factor: 1.5, maxMs: 300_000 } };

describe('nextPollAfterRunning', () => {
  it.each([
    { name: 'fixed interval, no jitter', ctx: context({ schedule: { jitter: 0 } }), random: 0.7, retryAfter: undefined, at: T0 + 5_000, next: 5_000 },
    { name: 'no schedule (an older monitor): default jitter, at most 10% early', ctx: context(), random: 1, retryAfter: undefined, at: T0 + 4_500, next: 5_000 },
    { name: 'jitter 1 with random 0.5: half the delay', ctx: context({ schedule: { jitter: 1 } }), random: 0.5, retryAfter: undefined, at: T0 + 2_500, next: 5_000 },
    { name: 'full jitter never below the minimum interval', ctx: context({ schedule: { jitter: 1 } }), random: 0.999_99, retryAfter: undefined, at: T0 + MIN, next: 5_000 },
    { name: 'backoff: the first interval is interval, the next grows', ctx: context({ schedule: backoff }), random: 0, retryAfter: undefined, at: T0 + 5_000, next: 7_500 },
    { name: 'backoff: grows from the current interval', ctx: context({ schedule: backoff, currentIntervalMs: 7_500 }), random: 0, retryAfter: undefined, at: T0 + 7_500, next: 11_250 },
    { name: 'backoff: capped at max', ctx: context({ schedule: backoff, currentIntervalMs: 250_000 }), random: 0, retryAfter: undefined, at: T0 + 250_000, next: 300_000 },
    { name: 'Retry-After replaces the delay', ctx: context({ schedule: { jitter: 0.5 } }), random: 0.5, retryAfter: 42_000, at: T0 + 42_000, next: 5_000 },
    { name: 'Retry-After below the minimum interval: the minimum', ctx: context(), random: 0, retryAfter: 0, at: T0 + MIN, next: 5_000 },
    { name: 'Retry-After past expiry: the expiry', ctx: context({ expireAt: T0 + 10_000 }), random: 0, retryAfter: 3_600_000, at: T0 + 10_000, next: 5_000 },
  ])('$name', ({ ctx, random, retryAfter, at, next }) => {
    expect(nextPollAfterRunning(ctx, T0, MIN, random, retryAfter)).toEqual({ at, nextIntervalMs: next });
  });
});

describe('decideAfterCheck with a schedule', () => {
  it('a running status re-schedules on the schedule and keeps the grown interval in the context', () => {
    const step = decideAfterCheck(context({ schedule: backoff }), { ok: true, status: 'Processing', body: {} }, T0, policy, 0);
    expect(step).toMatchObject({ kind: 'reschedule', reason: 'running', at: T0 + 5_000, context: { currentIntervalMs: 7_500, nextCheckAt: T0 + 5_000 } });
  });
  it('202 without a status counts as running, whatever the vocabulary; its Retry-After sets the next poll', () => {
    const strict = { ...policy, vocabulary: createVocabulary({ running: ['Busy'] }) };
    const step = decideAfterCheck(context(), { ok: true, status: 'Accepted', body: null, running: true, retryAfterMs: 30_000 }, T0, strict, 0);
    expect(step).toMatchObject({ kind: 'reschedule', reason: 'running', at: T0 + 30_000, context: { lastStatus: 'Accepted' } });
  });
  it("the worker's minimum interval never holds a monitor slower than its own interval", () => {
    const step = decideAfterCheck(context({ intervalMs: 5, schedule: { jitter: 0 } }), { ok: true, status: 'Processing', body: {} }, T0, policy, 0);
    expect(step).toMatchObject({ kind: 'reschedule', at: T0 + 5 });
  });
  it('a Retry-After on a terminal answer changes nothing: the monitor ends', () => {
    expect(decideAfterCheck(context(), { ok: true, status: 'Done', body: {}, retryAfterMs: 30_000 }, T0, policy, 0)).toMatchObject({ kind: 'finish', result: { outcome: 'completed' } });
  });
});

describe('decidePush', () => {
  it.each([
    { status: 'Completed', kind: 'finish', outcome: 'completed' },
    { status: 'failed', kind: 'finish', outcome: 'failed' },
    { status: 'Cancelled', kind: 'finish', outcome: 'canceled' },
    { status: 'Exploded', kind: 'finish', outcome: 'failed' },
    { status: 'Processing', kind: 'record', outcome: undefined },
  ])('$status: $kind $outcome', ({ status, kind, outcome }) => {
    const decision = decidePush(context({ polls: 3, lastStatus: 'Queued', metadata: { a: 1 } }), { status, body: { n: 1 } }, T0 + 9, createVocabulary());
    expect(decision.kind).toBe(kind);
    if (decision.kind === 'finish') {
      expect(decision.result).toEqual({ monitorId: 'm1', jobId: 'j1', outcome, jobStatus: status, polls: 3, startedAt: T0, finishedAt: T0 + 9, detail: { via: 'push', body: { n: 1 } }, metadata: { a: 1 } });
    } else {
      expect(decision.context.lastStatus).toBe(status);
    }
  });
});

describe('isPushedResult', () => {
  it.each([
    { name: 'a push record', detail: { via: 'push', body: null }, pushed: true },
    { name: 'a push record written before the rename to via', detail: { source: 'push', body: { n: 1 } }, pushed: true },
    { name: 'a polled end', detail: { status: 'Completed', output: null }, pushed: false },
    { name: 'an end read from a status source named push', detail: { decidedBy: { source: 'push', convention: 'http-202' }, status: 'Completed' }, pushed: false },
    { name: 'no detail', detail: null, pushed: false },
    { name: 'a string', detail: 'push', pushed: false },
  ])('$name: $pushed', ({ detail, pushed }) => {
    expect(isPushedResult(detail)).toBe(pushed);
  });

  it('recognises what decidePush writes', () => {
    const decision = decidePush(context({ polls: 1 }), { status: 'Completed' }, T0 + 1, createVocabulary());
    expect(decision.kind === 'finish' && isPushedResult(decision.result.detail)).toBe(true);
  });
});

describe('the next poll time of every schedule (property)', () => {
  const schedules = fc.record({
    intervalMs: fc.integer({ min: MIN, max: 7 * 24 * 3_600_000 }),
    jitter: fc.double({ min: 0, max: 1, noNaN: true }),
    backoff: fc.option(fc.record({ factor: fc.double({ min: 1, max: MAX_BACKOFF_FACTOR, noNaN: true }), extraMaxMs: fc.integer({ min: 0, max: 7 * 24 * 3_600_000 }) }), { nil: undefined }),
    expireInMs: fc.integer({ min: 1, max: 90 * 24 * 3_600_000 }),
    retryAfterMs: fc.option(fc.integer({ min: 0, max: 3_600_000 }), { nil: undefined }),
    randoms: fc.array(fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), { minLength: 1, maxLength: 30 }),
    batched: fc.boolean(),
    startOffsetMs: fc.integer({ min: 0, max: 24 * 3_600_000 }),
  });

  it('never sooner than the minimum interval, never past expiry, never later than the schedule, and the interval grows as promised up to max', () => {
    fc.assert(fc.property(schedules, ({ intervalMs, jitter, backoff: b, expireInMs, retryAfterMs, randoms, batched, startOffsetMs }) => {
      const schedule: Schedule = { jitter, ...(b ? { backoff: { factor: b.factor, maxMs: intervalMs + b.extraMaxMs } } : {}) };
      let ctx = context({ intervalMs, schedule, expireAt: T0 + startOffsetMs + expireInMs });
      let now = T0 + startOffsetMs;
      for (const random of randoms) {
        if (now >= ctx.expireAt) break;
        const current = ctx.currentIntervalMs ?? intervalMs;
        const { at, nextIntervalMs } = nextPollAfterRunning(ctx, now, MIN, random, retryAfterMs, batched);
        expect(at).toBeLessThanOrEqual(ctx.expireAt);
        expect(at).toBeGreaterThanOrEqual(Math.min(now + MIN, ctx.expireAt));
        if (retryAfterMs === undefined) {
          expect(at - now).toBeLessThanOrEqual(current);
          expect(at).toBeGreaterThanOrEqual(Math.min(now + Math.max(MIN, Math.floor(current * (1 - jitter))), ctx.expireAt));
          // A batched poll is due at its slot, unless the minimum interval or the expiry says otherwise.
          const range = Math.floor(current * jitter);
          if (batched && range >= 1 && at < ctx.expireAt && slotIn(now + current, range) - now >= MIN) expect(at % range).toBe(0);
        }
        expect(nextIntervalMs).toBeGreaterThanOrEqual(current);
        if (schedule.backoff) {
          expect(nextIntervalMs).toBeLessThanOrEqual(schedule.backoff.maxMs);
          expect(nextIntervalMs).toBe(Math.min(schedule.backoff.maxMs, Math.max(current, Math.round(current * schedule.backoff.factor))));
        } else {
          expect(nextIntervalMs).toBe(intervalMs);
        }
        ctx = { ...ctx, currentIntervalMs: nextIntervalMs };
        now = at;
      }
    }), { numRuns: 500 });
  });

  it('the first poll: never before the start, never after firstPollIn, at most the jitter early', () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: 7 * 24 * 3_600_000 }), fc.double({ min: 0, max: 1, noNaN: true }), fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), fc.boolean(), (firstPollIn, jitter, random, batched) => {
      const delay = firstPollDelay(firstPollIn, jitter, random, T0 + 12_345, batched);
      expect(delay).toBeGreaterThanOrEqual(Math.floor(firstPollIn * (1 - jitter)));
      expect(delay).toBeLessThanOrEqual(firstPollIn);
    }), { numRuns: 500 });
  });
});

describe('slots of batched monitors', () => {
  it.each([
    { dueAt: 1_234_567, rangeMs: 100, slot: 1_234_500 },
    { dueAt: 1_234_500, rangeMs: 100, slot: 1_234_500 },
    { dueAt: 1_234_599, rangeMs: 100, slot: 1_234_500 },
    { dueAt: 1_234_567, rangeMs: 0, slot: 1_234_567 },
  ])('slotIn($dueAt, $rangeMs) is $slot', ({ dueAt, rangeMs, slot }) => {
    expect(slotIn(dueAt, rangeMs)).toBe(slot);
  });

  it('a slot is a multiple of the range, never later than due, never a whole range early', () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: 2 ** 45 }), fc.integer({ min: 1, max: 7 * 24 * 3_600_000 }), (dueAt, rangeMs) => {
      const slot = slotIn(dueAt, rangeMs);
      expect(slot % rangeMs).toBe(0);
      expect(slot).toBeLessThanOrEqual(dueAt);
      expect(slot).toBeGreaterThan(dueAt - rangeMs);
    }), { numRuns: 500 });
  });

  it('batched monitors with one interval, polled at any moments of one slot, are all due at the next slot; random ones are not', () => {
    const ctx = context({ intervalMs: 60_000 });
    const slot = Math.floor(T0 / 6_000) * 6_000 + 6_000;
    const polledAt = [slot, slot + 1, slot + 2_999, slot + 5_999];
    const batched = polledAt.map((now, i) => nextPollAfterRunning(ctx, now, MIN, i / polledAt.length, undefined, true).at);
    expect(new Set(batched)).toEqual(new Set([slot + 60_000]));
    const random = polledAt.map((now, i) => nextPollAfterRunning(ctx, now, MIN, i / polledAt.length).at);
    expect(new Set(random).size).toBe(polledAt.length);
  });

  it('single-request monitors keep their random spread: unchanged by the slots', () => {
    fc.assert(fc.property(fc.integer({ min: MIN, max: 3_600_000 }), fc.double({ min: 0, max: 1, noNaN: true }), fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), (intervalMs, jitter, random) => {
      const ctx = context({ intervalMs, schedule: { jitter }, expireAt: T0 + 10 * 3_600_000 });
      expect(nextPollAfterRunning(ctx, T0 + 7, MIN, random).at).toBe(T0 + 7 + Math.max(MIN, Math.round(intervalMs * (1 - jitter * random))));
      expect(firstPollDelay(intervalMs, jitter, random)).toBe(Math.round(intervalMs * (1 - jitter * random)));
    }), { numRuns: 300 });
  });

  it('batched: a slot the minimum interval forbids leaves the poll at its schedule; a Retry-After is kept as asked', () => {
    const ctx = context({ intervalMs: 1_000, schedule: { jitter: 1 } });
    expect(nextPollAfterRunning(ctx, 10_050, 200, 0.5, undefined, true).at).toBe(11_000);
    expect(nextPollAfterRunning(ctx, 10_950, 200, 0.5, undefined, true).at).toBe(11_950);
    expect(nextPollAfterRunning(ctx, 10_950, 200, 0.5, 4_321, true).at).toBe(15_271);
  });

  it('decideAfterCheck slots the running re-schedule of a batched monitor, not its retries', () => {
    const ctx = context({ intervalMs: 10_000 });
    const running = decideAfterCheck(ctx, { ok: true, status: 'Processing', body: {} }, T0 + 1_234, policy, 0.5, true);
    expect(running).toMatchObject({ kind: 'reschedule', at: T0 + 11_000 });
    const retry = decideAfterCheck(ctx, { ok: false, failure: { reason: 'connection', message: 'x' } }, T0 + 1_234, policy, 0.5, true);
    expect(retry).toMatchObject({ kind: 'reschedule', reason: 'retry', at: T0 + 1_234 + 750 });
  });
});

describe('schedule input', () => {
  it('a batchStatusUrl monitor\'s first poll meets the others at a slot; a statusUrl one\'s is random', () => {
    const defaults = { intervalMs: 60_000, expireInMs: 3_600_000 };
    const batched = parseMonitorInput({ jobId: 'j', batchStatusUrl: 'http://x/b', firstPollIn: '10s' }, defaults, T0 + 123, () => 0.5);
    expect(batched.nextCheckAt).toBe(T0 + 10_000);
    const single = parseMonitorInput({ jobId: 'j', statusUrl: 'http://x/{jobId}', firstPollIn: '10s' }, defaults, T0 + 123, () => 0.5);
    expect(single.nextCheckAt).toBe(T0 + 123 + 9_500);
  });

  const defaults = { intervalMs: 60_000, expireInMs: 3_600_000 };
  it('backoff, jitter and firstPollIn become the schedule and the first poll time', () => {
    const monitor = parseMonitorInput({ jobId: 'j', statusHook: true, interval: '5s', backoff: { factor: 1.5, max: '5m' }, jitter: 0.2, firstPollIn: '2m' }, defaults, T0, () => 0.5);
    expect(monitor.schedule).toEqual({ jitter: 0.2, backoff: { factor: 1.5, maxMs: 300_000 } });
    expect(monitor.nextCheckAt).toBe(T0 + 108_000);
  });
  it('defaults: the small jitter, no backoff, the first poll at once', () => {
    const monitor = parseMonitorInput({ jobId: 'j', statusHook: true }, defaults, T0, () => 0.5);
    expect(monitor.schedule).toEqual({ jitter: DEFAULT_JITTER });
    expect(monitor.nextCheckAt).toBe(T0);
  });
  it.each([
    [{ backoff: { factor: 0.5, max: '5m' } }, 'backoff.factor: must be at least 1'],
    [{ backoff: { factor: 11, max: '5m' } }, 'backoff.factor: must be at most 10'],
    [{ backoff: { factor: 2, max: '1s' } }, 'backoff.max: 1s is out of range; use 1m to 7d'],
    [{ backoff: { factor: 2 } }, 'backoff.max: must be milliseconds or a duration such as 30s'],
    [{ backoff: '2x' }, 'backoff: must be an object such as {"factor": 1.5, "max": "5m"}'],
    [{ jitter: 1.5 }, 'jitter: must be from 0 to 1'],
    [{ jitter: 'some' }, 'jitter: must be a number from 0 to 1'],
    [{ firstPollIn: 'soon' }, 'firstPollIn: "soon" is not a duration; use milliseconds or e.g. 500ms, 30s, 1m, 2h'],
  ])('%j: %s', (extra, message) => {
    expect(() => parseMonitorInput({ jobId: 'j', statusHook: true, ...extra }, defaults, T0)).toThrow(message);
  });
});
