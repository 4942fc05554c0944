import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseRetryAfter } from '../../src/time/retry-after.ts';
import { formatDuration, parseDuration } from '../../src/time/durations.ts';

describe('parseDuration and formatDuration', () => {
  it('property: any text is a whole, non-negative number of milliseconds, or undefined', () => {
    fc.assert(fc.property(fc.oneof(fc.string(), fc.stringMatching(/^\s*\d{1,400}(\.\d{1,20})?(ms|s|m|h|d)\s*$/)), (text) => {
      const ms = parseDuration(text);
      if (ms !== undefined) {
        expect(Number.isInteger(ms)).toBe(true);
        expect(ms).toBeGreaterThanOrEqual(0);
      }
    }), { numRuns: 2_000 });
  });

  it('property: a formatted duration parses back to itself', () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: 2 ** 40 }), (ms) => {
      expect(parseDuration(formatDuration(ms))).toBe(ms);
    }));
  });
});

describe('parseRetryAfter', () => {
  const NOW = Date.parse('2026-01-01T00:00:00Z');

  it('property: any header gives undefined or a whole wait from 0 to an hour', () => {
    fc.assert(fc.property(fc.oneof(fc.string(), fc.integer().map(String), fc.double().map(String), fc.date().map((date) => (Number.isNaN(date.getTime()) ? 'x' : date.toUTCString()))), (header) => {
      const wait = parseRetryAfter(header, NOW);
      if (wait !== undefined) {
        expect(Number.isInteger(wait)).toBe(true);
        expect(wait).toBeGreaterThanOrEqual(0);
        expect(wait).toBeLessThanOrEqual(3_600_000);
      }
    }), { numRuns: 2_000 });
  });

  it('property: seconds and HTTP dates in the future are honoured, up to an hour', () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: 10_000 }), (seconds) => {
      expect(parseRetryAfter(String(seconds), NOW)).toBe(Math.min(seconds * 1_000, 3_600_000));
      expect(parseRetryAfter(new Date(NOW + seconds * 1_000).toUTCString(), NOW)).toBe(Math.min(seconds * 1_000, 3_600_000));
    }));
  });
});
