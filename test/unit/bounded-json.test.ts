import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { findTooDeep, MAX_JSON_DEPTH, readJson, toBoundedJson } from '../../src/json/bounded-json.ts';

const LIMITS = { maxBytes: 1024 * 1024 };
const nested = (depth: number) => `${'['.repeat(depth)}${']'.repeat(depth)}`;

describe('readJson', () => {
  it.each<[string, Uint8Array | string, object]>([
    ['an object', '{"status":"Completed"}', { ok: true, value: { status: 'Completed' } }],
    ['a scalar', '"Running"', { ok: true, value: 'Running' }],
    ['bytes of UTF-8', Buffer.from('{"s":"é✓"}'), { ok: true, value: { s: 'é✓' } }],
    ['invalid UTF-8', Buffer.from([0x7b, 0x22, 0xff, 0x22, 0x7d]), { ok: false, problem: 'not-utf8', reason: 'is not valid UTF-8' }],
    ['not JSON', '<html>', { ok: false, problem: 'not-json', reason: 'is not valid JSON' }],
    ['over the size', 'x'.repeat(LIMITS.maxBytes + 1), { ok: false, problem: 'too-large' }],
    [`nested ${MAX_JSON_DEPTH} deep`, nested(MAX_JSON_DEPTH), { ok: true }],
    [`nested ${MAX_JSON_DEPTH + 1} deep`, nested(MAX_JSON_DEPTH + 1), { ok: false, problem: 'too-deep', reason: `is nested deeper than ${MAX_JSON_DEPTH} levels` }],
    ['nested 100,000 deep', nested(100_000), { ok: false, problem: 'too-deep' }],
  ])('%s', (_name, input, expected) => {
    expect(readJson(input, LIMITS)).toMatchObject(expected);
  });

  it('names the path to the first value nested too deep', () => {
    const reading = readJson(`{"jobId":"j","metadata":{"a":${nested(5_000)}}}`, LIMITS);
    expect(reading).toMatchObject({ ok: false, problem: 'too-deep' });
    expect(!reading.ok && reading.path.slice(0, 3)).toEqual(['metadata', 'a', 0]);
  });

  it('property: any bytes give a reading, never a throw; a reading that is ok holds at most the depth allowed', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 200 }), fc.integer({ min: 0, max: 8 }), (bytes, maxDepth) => {
      const reading = readJson(bytes, { maxBytes: 100, maxDepth });
      if (reading.ok) expect(findTooDeep(reading.value, maxDepth)).toBeUndefined();
      else expect(['too-large', 'not-utf8', 'not-json', 'too-deep']).toContain(reading.problem);
    }));
  });

  it('property: any JSON value within the limits reads back as itself', () => {
    fc.assert(fc.property(fc.jsonValue({ maxDepth: 6 }), (value) => {
      const text = JSON.stringify(value);
      expect(readJson(Buffer.from(text), LIMITS)).toEqual({ ok: true, value: JSON.parse(text), bytes: Buffer.byteLength(text) });
    }));
  });

  it('property: a value is too deep exactly when its nesting is over the limit', () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: 200 }), fc.integer({ min: 0, max: 100 }), (depth, maxDepth) => {
      expect(readJson(depth === 0 ? '0' : nested(depth), { maxBytes: 1_000, maxDepth }).ok).toBe(depth <= maxDepth);
    }));
  });
});

describe('toBoundedJson', () => {
  it.each<[string, unknown, object]>([
    ['a plain object', { state: { name: 'Done' } }, { ok: true, value: { state: { name: 'Done' } } }],
    ['a cycle', (() => { const a: Record<string, unknown> = {}; a.self = a; return a; })(), { ok: false, problem: 'not-json' }],
    ['a BigInt', { n: 1n }, { ok: false, problem: 'not-json' }],
    ['a getter that throws', { get status() { throw new Error('boom'); } }, { ok: false, problem: 'not-json', reason: expect.stringContaining('boom') }],
    ['an object nested 100,000 deep', JSON.parse(`{"a":${nested(100_000)}}`), { ok: false, problem: 'too-deep', path: ['a', ...Array<number>(MAX_JSON_DEPTH - 1).fill(0)] }],
    ['undefined', undefined, { ok: true, value: null }],
  ])('%s', (_name, value, expected) => {
    expect(toBoundedJson(value, LIMITS)).toMatchObject(expected);
  });

  it('property: anything at all gives a reading, never a throw', () => {
    fc.assert(fc.property(fc.anything({ withBigInt: true, withMap: true, withSet: true, withDate: true, withTypedArray: true, withSparseArray: true, withNullPrototype: true }), (value) => {
      const reading = toBoundedJson(value, { maxBytes: 10_000, maxDepth: 4 });
      expect(typeof reading.ok).toBe('boolean');
    }));
  });
});
