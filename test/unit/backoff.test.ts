import { describe, expect, it } from 'vitest';
import { cappedExponentialBackoff } from '../../src/queue/queues.ts';
import { backoffDelay } from '../../src/time/backoff.ts';

const policy = { baseMs: 500, maxMs: 30_000 };

describe('backoffDelay: doubling from the base up to the cap, with equal jitter when given one', () => {
  it.each([
    { attempt: 0, jitter: undefined, expected: 500 },
    { attempt: 1, jitter: undefined, expected: 500 },
    { attempt: 2, jitter: undefined, expected: 1_000 },
    { attempt: 7, jitter: undefined, expected: 30_000 },
    { attempt: 10_000, jitter: undefined, expected: 30_000 },
    { attempt: 3, jitter: 0, expected: 1_000 },
    { attempt: 3, jitter: 0.5, expected: 1_500 },
    { attempt: 3, jitter: 0.999_9, expected: 2_000 },
  ])('retry $attempt with jitter $jitter waits $expected ms', ({ attempt, jitter, expected }) => {
    expect(backoffDelay(attempt, policy, jitter)).toBe(expected);
  });

  it("is BullMQ's infrastructure retry strategy: 0.5 s, 1 s, 2 s ... 30 s", () => {
    expect([1, 2, 3, 4, 5, 6, 7, 8].map(cappedExponentialBackoff)).toEqual([500, 1_000, 2_000, 4_000, 8_000, 16_000, 30_000, 30_000]);
  });
});
