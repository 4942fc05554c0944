import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { MonitorContext } from '../../src/monitor/context.ts';
import { decideAfterCheck, decideBeforeCheck, retryDelay, type PollPolicy } from '../../src/monitor/decide.ts';
import { MAX_DETAIL_BYTES } from '../../src/monitor/input-limits.ts';
import type { StatusFailureReason, StatusReading } from '../../src/monitor/reading.ts';
import { classifyStatus, createVocabulary } from '../../src/monitor/statuses.ts';

const T0 = Date.parse('2026-01-01T00:00:00Z');
const REASONS: StatusFailureReason[] = ['connection', 'timeout', 'http-status', 'not-found', 'bad-body', 'missing-field', 'hook-error'];

const policy: fc.Arbitrary<PollPolicy> = fc.record({
  vocabulary: fc.constant(createVocabulary()),
  maxConsecutiveFailures: fc.integer({ min: 1, max: 1_000 }),
  retryBaseMs: fc.integer({ min: 10, max: 3_600_000 }),
  retryMaxMs: fc.integer({ min: 10, max: 3_600_000 }),
  notFoundEndsMonitor: fc.boolean(),
});

const context: fc.Arbitrary<MonitorContext> = fc.record({
  monitorId: fc.string({ minLength: 1 }), jobId: fc.string({ minLength: 1 }),
  status: fc.constant({ kind: 'hook' as const }), statusField: fc.constant('status'),
  intervalMs: fc.integer({ min: 100, max: 7 * 86_400_000 }),
  expireAt: fc.integer({ min: T0 + 1, max: T0 + 90 * 86_400_000 }),
  startedAt: fc.constant(T0),
  polls: fc.nat({ max: 1_000_000 }), consecutiveFailures: fc.nat({ max: 999 }),
  lastStatus: fc.option(fc.string()), lastError: fc.option(fc.string()),
  nextCheckAt: fc.constant(T0), metadata: fc.option(fc.dictionary(fc.string(), fc.jsonValue({ maxDepth: 2 }))),
});

const reading: fc.Arbitrary<StatusReading> = fc.oneof(
  fc.record({
    ok: fc.constant(true as const),
    status: fc.oneof(fc.constantFrom('Running', 'Completed', 'Failed', 'Canceled', 'queued', 'DONE'), fc.string({ minLength: 1, maxLength: 2_000 })),
    body: fc.jsonValue({ maxDepth: 5 }),
  }),
  fc.record({
    ok: fc.constant(false as const),
    failure: fc.record({
      reason: fc.constantFrom(...REASONS), message: fc.string(), httpStatus: fc.option(fc.integer({ min: 100, max: 599 }), { nil: undefined }),
      retryAfterMs: fc.option(fc.integer({ min: 0, max: 3_600_000 }), { nil: undefined }),
    }, { requiredKeys: ['reason', 'message'] }),
  }),
);

describe('the decisions, for any context, reading, time and jitter', () => {
  it('property: decideAfterCheck never throws, counts the poll, never schedules past expiry, and ends by the rules', () => {
    fc.assert(fc.property(context, reading, policy, fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), fc.nat({ max: 86_400_000 }), (ctx, read, pol, jitter, elapsed) => {
      const now = Math.min(T0 + elapsed, ctx.expireAt - 1);
      const step = decideAfterCheck(ctx, read, now, pol, jitter);
      const next = step.kind === 'reschedule' ? step.context : undefined;
      if (step.kind === 'reschedule') {
        expect(step.at).toBeGreaterThanOrEqual(now);
        expect(step.at).toBeLessThanOrEqual(ctx.expireAt);
        expect(next!.polls).toBe(ctx.polls + 1);
        expect(next!.nextCheckAt).toBe(step.at);
      } else {
        expect(step.result.polls).toBe(ctx.polls + 1);
        expect(step.result.finishedAt).toBe(now);
        // The detail is JSON, small enough to ride in Redis and a row.
        expect(Buffer.byteLength(JSON.stringify(step.result.detail) ?? '')).toBeLessThanOrEqual(MAX_DETAIL_BYTES + 2_048);
      }
      if (read.ok) {
        const running = classifyStatus(read.status, pol.vocabulary) === 'running';
        expect(step.kind).toBe(running ? 'reschedule' : 'finish');
        if (next) expect(next.consecutiveFailures).toBe(0);
      } else {
        const failures = ctx.consecutiveFailures + 1;
        const ends = failures >= pol.maxConsecutiveFailures || (read.failure.reason === 'not-found' && pol.notFoundEndsMonitor);
        expect(step.kind).toBe(ends ? 'finish' : 'reschedule');
        if (step.kind === 'finish') expect(step.result.outcome).toBe('errored');
        if (next) expect(next.consecutiveFailures).toBe(failures);
      }
    }), { numRuns: 2_000 });
  });

  it('property: decideBeforeCheck checks exactly when nothing has ended the monitor yet', () => {
    fc.assert(fc.property(context, fc.integer({ min: T0, max: T0 + 100 * 86_400_000 }), fc.boolean(), (ctx, now, cancel) => {
      const step = decideBeforeCheck(ctx, now, cancel);
      expect(step.kind).toBe(!cancel && now < ctx.expireAt ? 'check' : 'finish');
      if (step.kind === 'finish') expect(step.result.outcome).toBe(cancel ? 'canceled' : ctx.consecutiveFailures > 0 ? 'errored' : 'expired');
    }));
  });

  it('property: a retry waits at least what Retry-After asked, and otherwise no longer than the policy allows', () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 10_000 }), fc.integer({ min: 100, max: 7 * 86_400_000 }), policy, fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), fc.option(fc.integer({ min: 0, max: 3_600_000 }), { nil: undefined }), (failures, interval, pol, jitter, retryAfter) => {
      const delay = retryDelay(failures, interval, pol, jitter, retryAfter);
      expect(Number.isFinite(delay)).toBe(true);
      expect(delay).toBeGreaterThanOrEqual(retryAfter ?? 0);
      expect(delay).toBeLessThanOrEqual(Math.max(pol.retryMaxMs, retryAfter ?? 0));
    }), { numRuns: 2_000 });
  });
});
