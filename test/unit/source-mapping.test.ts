import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MAX_DETAIL_BYTES } from '../../src/monitor/input-limits.ts';
import { parseFieldPath, readPath, readStatusAt, type FieldPath } from '../../src/sources/field-path.ts';
import type { HttpAnswer } from '../../src/sources/http-answer.ts';
import { createMapping, readMapped, type MappingWords, type SourceMapping } from '../../src/sources/mapping.ts';
import { readSourceAnswer } from '../../src/sources/read-answer.ts';

function path(text: string): FieldPath {
  const parsed = parseFieldPath(text);
  if (!parsed.ok) throw new Error(parsed.problem);
  return parsed.path;
}

function mapping(words: MappingWords = {}): SourceMapping {
  const built = createMapping(words);
  if (!built.ok) throw new Error(built.problem);
  return built.mapping;
}

function answer(statusCode: number, body?: unknown, headers: Record<string, string> = {}): HttpAnswer {
  return { statusCode, headers, where: 'GET https://render.internal/jobs/7', body: body === undefined ? { kind: 'empty' } : { kind: 'json', value: body } };
}

const JOB = {
  metadata: { name: 'render-7' },
  status: {
    conditions: [
      { type: 'SuccessCriteriaMet', status: 'True' },
      { type: 'Complete', status: 'True', reason: 'CompletionsReached' },
    ],
    items: [{ status: 'a' }, { status: 'b' }],
  },
};

describe('field paths', () => {
  it.each([
    ['status.conditions[type=Complete].status', 'True'],
    ['status.conditions[type=Complete].reason', 'CompletionsReached'],
    ['status.conditions[type=Failed].status', undefined],
    ['status.conditions[0].type', 'SuccessCriteriaMet'],
    ['status.conditions.1.type', 'Complete'],
    ['status.items[1].status', 'b'],
    ['status.items[7].status', undefined],
    ['metadata.name', 'render-7'],
    ['metadata.name.length', undefined],
    ['metadata[type=x]', undefined],
  ])('reads %s', (text, expected) => {
    expect(readPath(JOB, path(text))).toBe(expected);
  });

  it.each(['', 'a..b', '.a', 'a.', 'a[', 'a]', 'a[x]', 'a[=v]', 'a[b=c', 'x'.repeat(201)])('refuses %j', (text) => {
    expect(parseFieldPath(text).ok).toBe(false);
  });

  it('reads own members only: no constructor, no __proto__', () => {
    expect(readStatusAt({}, path('constructor.name'))).toBeUndefined();
    expect(readStatusAt({}, path('__proto__'))).toBeUndefined();
    expect(readStatusAt([{ type: 'x' }], path('[type=x].constructor.name'))).toBeUndefined();
  });

  it('property: any body and path give a value or undefined, never a throw', () => {
    const key = fc.stringMatching(/^[a-z0-9]{1,4}$/);
    const step = fc.oneof(key, key.map((k) => `${k}[0]`), fc.tuple(key, key, key).map(([a, b, c]) => `${a}[${b}=${c}]`));
    fc.assert(fc.property(fc.jsonValue({ maxDepth: 5 }), fc.array(step, { minLength: 1, maxLength: 5 }), (body, steps) => {
      const parsed = parseFieldPath(steps.join('.'));
      expect(parsed.ok).toBe(true);
      if (parsed.ok) readStatusAt(body, parsed.path);
    }), { numRuns: 1_000 });
  });
});

describe('a source mapping', () => {
  const renders = mapping({ statusPath: 'state.phase', completed: ['done'], failed: ['error', 'rejected'], running: ['queued', 'working'], outputPath: 'state.output' });

  it.each([
    ['a running value', { state: { phase: 'working' } }, { ok: true, state: 'running', status: 'working' }],
    ['a completed value, with its output', { state: { phase: 'done', output: { url: 's3://x' } } }, { ok: true, state: 'ended', outcome: 'completed', status: 'done', output: { url: 's3://x' } }],
    ['a failed value', { state: { phase: 'rejected' } }, { ok: true, state: 'ended', outcome: 'failed', status: 'rejected' }],
    ['a canceled value from the default list', { state: { phase: 'Cancelled' } }, { ok: true, state: 'ended', outcome: 'canceled', status: 'Cancelled' }],
    ['a value it does not know: failed, raw kept', { state: { phase: 'Exploded' } }, { ok: true, state: 'ended', outcome: 'failed', status: 'Exploded' }],
    // The mapping's own lists replace the defaults: `Running` is not among `queued, working`.
    ['a default running word its running list left out', { state: { phase: 'Running' } }, { ok: true, state: 'ended', outcome: 'failed', status: 'Running' }],
  ])('reads %s', (_, body, expected) => {
    expect(readMapped(answer(200, body), renders)).toMatchObject(expected);
  });

  it('is a failed check, missing-field, naming the path, when the body has no status there', () => {
    const reading = readMapped(answer(200, { state: {} }), renders);
    expect(reading).toMatchObject({ ok: false, failure: { reason: 'missing-field', httpStatus: 200 } });
    if (!reading.ok) expect(reading.failure.message).toContain('"state.phase"');
  });

  it('reads a 202 with no status as running, and honours its Retry-After', () => {
    expect(readMapped(answer(202, undefined, { 'retry-after': '7' }), renders)).toEqual({ ok: true, state: 'running', status: 'Accepted', httpStatus: 202, retryAfterMs: 7_000 });
  });

  it('reads non-2xx answers as any status URL does', () => {
    expect(readMapped(answer(404), renders)).toMatchObject({ ok: false, failure: { reason: 'not-found' } });
    expect(readMapped(answer(503, undefined, { 'retry-after': '30' }), renders)).toMatchObject({ ok: false, failure: { reason: 'http-status', httpStatus: 503, retryAfterMs: 30_000 } });
    expect(readMapped({ ...answer(200), body: { kind: 'invalid', reason: 'is not valid JSON' } }, renders)).toMatchObject({ ok: false, failure: { reason: 'bad-body' } });
  });

  it('keeps the whole body as the output without an outputPath, and bounds it', () => {
    const plain = mapping();
    expect(readMapped(answer(200, { status: 'Succeeded', n: 1 }), plain)).toMatchObject({ outcome: 'completed', output: { status: 'Succeeded', n: 1 } });
    const big = readMapped(answer(200, { status: 'Succeeded', blob: 'x'.repeat(MAX_DETAIL_BYTES) }), plain);
    expect(big).toMatchObject({ outcome: 'completed', output: { truncated: true } });
  });

  it('reads Kubernetes-style conditions through an array filter', () => {
    const k8s = mapping({ statusPath: 'status.conditions[type=Complete].status', completed: ['True'], running: ['False', 'Unknown'] });
    expect(readMapped(answer(200, JOB), k8s)).toMatchObject({ state: 'ended', outcome: 'completed', status: 'True' });
  });

  it('says which source and mapping decided', () => {
    expect(readSourceAnswer({ kind: 'mapping', mapping: renders }, answer(200, { state: { phase: 'done' } }), 'renders').decidedBy)
      .toEqual({ source: 'renders', mapping: 'state.phase' });
  });

  it('refuses a bad path, naming the field', () => {
    expect(createMapping({ statusPath: 'a..b' })).toMatchObject({ ok: false, field: 'statusPath' });
    expect(createMapping({ outputPath: '[x]' })).toMatchObject({ ok: false, field: 'outputPath' });
  });
});
