import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InvalidInputError } from '../../src/errors/errors.ts';
import { MAX_JSON_DEPTH } from '../../src/json/bounded-json.ts';
import { parseMonitorInput } from '../../src/monitor/input.ts';
import { MAX_EXPIRE_IN_MS, MAX_INTERVAL_MS, MIN_INTERVAL_MS } from '../../src/monitor/input-limits.ts';

const NOW = Date.parse('2026-01-01T00:00:00Z');
const defaults = { intervalMs: 60_000, expireInMs: 86_400_000 };
const parse = (input: unknown) => parseMonitorInput(input, defaults, NOW);

/** Inputs near the valid ones: each field fitting, odd or missing, and stray fields. */
const monitorLike = fc.record({
  jobId: fc.oneof(fc.string({ maxLength: 300 }), fc.constantFrom('j-1', 'a\u0000b', 'a\ud800', '😀', ' '), fc.anything()),
  statusUrl: fc.oneof(fc.webUrl(), fc.constantFrom('http://127.0.0.1:1/{jobId}', 'ftp://x', ''), fc.string(), fc.anything()),
  statusHook: fc.oneof(fc.boolean(), fc.anything()),
  monitorId: fc.oneof(fc.string({ maxLength: 300 }), fc.anything()),
  interval: fc.oneof(fc.integer(), fc.double(), fc.stringMatching(/^\d{1,6}(\.\d{1,3})?(ms|s|m|h|d)$/), fc.string(), fc.anything()),
  expireIn: fc.oneof(fc.integer(), fc.stringMatching(/^\d{1,4}(ms|s|m|h|d)$/), fc.anything()),
  expireAt: fc.oneof(fc.date({ noInvalidDate: true }).map((date) => date.toISOString()), fc.integer(), fc.string(), fc.anything()),
  statusField: fc.oneof(fc.stringMatching(/^[a-z0-9]{1,5}(\.[a-z0-9]{1,5}){0,3}$/), fc.string(), fc.anything()),
  metadata: fc.oneof(fc.dictionary(fc.string(), fc.jsonValue({ maxDepth: 3 })), fc.anything()),
  colour: fc.anything(),
}, { requiredKeys: [] });

describe('parseMonitorInput, for any input', () => {
  it('property: parses, or throws an InvalidInputError with a path and a one-line reason; nothing else', () => {
    fc.assert(fc.property(fc.oneof(monitorLike, fc.anything({ withBigInt: true, withDate: true, withMap: true })), (input) => {
      let context;
      try {
        context = parse(input);
      } catch (error) {
        expect(error).toBeInstanceOf(InvalidInputError);
        const invalid = error as InvalidInputError;
        expect(Array.isArray(invalid.path)).toBe(true);
        expect(invalid.reason.length).toBeGreaterThan(0);
        expect(invalid.message).not.toContain('\n');
        return;
      }
      expect(context.intervalMs).toBeGreaterThanOrEqual(MIN_INTERVAL_MS);
      expect(context.intervalMs).toBeLessThanOrEqual(MAX_INTERVAL_MS);
      expect(context.expireAt).toBeGreaterThan(NOW);
      expect(context.expireAt - NOW).toBeLessThanOrEqual(MAX_EXPIRE_IN_MS);
      expect(context.monitorId).toBe((input as { monitorId?: string }).monitorId ?? (input as { jobId: string }).jobId);
      expect(Object.isFrozen(context)).toBe(true);
    }), { numRuns: 2_000 });
  });

  it('property: metadata of any depth or shape never throws anything but InvalidInputError naming metadata', () => {
    const deep = fc.integer({ min: 0, max: 3_000 }).map((depth) => {
      let value: unknown = 1;
      for (let i = 0; i < depth; i++) value = { a: value };
      return { value, depth };
    });
    fc.assert(fc.property(deep, ({ value, depth }) => {
      const input = { jobId: 'j', statusHook: true, metadata: { m: value } };
      if (depth < MAX_JSON_DEPTH) return void expect(parse(input).metadata).toEqual({ m: value });
      expect(() => parse(input)).toThrow(new InvalidInputError('metadata', `is nested deeper than ${MAX_JSON_DEPTH} levels`));
    }), { numRuns: 200 });
  });

  it('cyclic metadata, or metadata holding a BigInt, is an InvalidInputError naming metadata', () => {
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    for (const metadata of [cyclic, { n: 1n }]) {
      expect(() => parse({ jobId: 'j', statusHook: true, metadata })).toThrow(expect.objectContaining({ field: 'metadata' }));
    }
  });
});
