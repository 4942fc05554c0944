import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { storableResult, toStorable, type StorageNotes } from '../../src/db/storable.ts';
import type { MonitorResult } from '../../src/monitor/context.ts';
import { MAX_JOB_STATUS_LENGTH } from '../../src/monitor/input-limits.ts';

const result = (over: Partial<MonitorResult>): MonitorResult => ({
  monitorId: 'm', jobId: 'j', outcome: 'completed', jobStatus: 'Completed', polls: 1, startedAt: 0, finishedAt: 1, detail: null, metadata: null, ...over,
});
/** What Postgres refuses: NUL anywhere, half a surrogate pair in jsonb. */
const UNSTORABLE = /\u0000|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

describe('storableResult', () => {
  it.each<[string, Partial<MonitorResult>, Partial<MonitorResult>]>([
    ['a clean record is returned as it is', { detail: { status: 'Completed' } }, { detail: { status: 'Completed' } }],
    ['NUL in detail: removed and noted', { detail: { note: 'a\u0000b' } }, { detail: { note: 'ab', storageNotes: { nulsRemoved: 1 } } }],
    ['NUL in a key and in metadata', { detail: { 'a\u0000': 1 }, metadata: { m: '\u0000' } }, { detail: { a: 1, storageNotes: { nulsRemoved: 2 } }, metadata: { m: '' } }],
    ['a lone surrogate: replaced and noted', { detail: ['\ud800x'] }, { detail: { body: ['\ufffdx'], storageNotes: { surrogatesReplaced: 1 } } }],
    ['a pair is kept', { detail: { s: '😀' } }, { detail: { s: '😀' } }],
    ['a long status: capped, its length noted', { jobStatus: 'S'.repeat(5_000) }, { jobStatus: 'S'.repeat(MAX_JOB_STATUS_LENGTH), detail: { body: null, storageNotes: { jobStatusLength: 5_000 } } }],
    ['NUL in the status', { jobStatus: 'Comp\u0000leted' }, { jobStatus: 'Completed', detail: { body: null, storageNotes: { nulsRemoved: 1 } } }],
  ])('%s', (_name, given, expected) => {
    expect(storableResult(result(given))).toEqual(result(expected));
  });

  it('never cuts a long status between the halves of a pair', () => {
    const status = `${'S'.repeat(MAX_JOB_STATUS_LENGTH - 1)}😀😀`;
    expect(storableResult(result({ jobStatus: status })).jobStatus).toBe('S'.repeat(MAX_JOB_STATUS_LENGTH - 1));
  });

  it('property: any record becomes storable, and a storable one is left alone', () => {
    const text = fc.string({ unit: fc.oneof(fc.constantFrom('\u0000', '\ud800', '\udc00'), fc.constant('😀'), fc.string({ unit: 'binary', maxLength: 3 })) });
    const json = fc.jsonValue({ maxDepth: 4 });
    const withOdd = fc.letrec((tie) => ({
      value: fc.oneof({ depthSize: 'small' }, text, fc.integer(), fc.constant(null), fc.array(tie('value'), { maxLength: 3 }), fc.dictionary(text, tie('value'), { maxKeys: 3 })),
    })).value;
    fc.assert(fc.property(fc.option(text, { nil: null }), withOdd, fc.oneof(json, withOdd), (jobStatus, detail, metadata) => {
      const given = result({ jobStatus, detail, metadata: metadata as MonitorResult['metadata'] });
      const stored = storableResult(given);
      expect(collectStrings(stored).filter((s) => UNSTORABLE.test(s))).toEqual([]);
      expect((stored.jobStatus ?? '').length).toBeLessThanOrEqual(MAX_JOB_STATUS_LENGTH);
      if (!collectStrings(given).some((s) => UNSTORABLE.test(s)) && (jobStatus ?? '').length <= MAX_JOB_STATUS_LENGTH) expect(stored).toBe(given);
      expect(storableResult(stored)).toEqual(stored);
    }));
  });

  it('toStorable counts each change', () => {
    const notes: StorageNotes = {};
    expect(toStorable({ a: ['\u0000\u0000', '\udfff'] }, notes)).toEqual({ a: ['', '\ufffd'] });
    expect(notes).toEqual({ nulsRemoved: 2, surrogatesReplaced: 1 });
  });
});

/** Every string in a record, keys included. */
function collectStrings(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (value === null || typeof value !== 'object') return [];
  return Object.entries(value).flatMap(([key, item]) => [key, ...collectStrings(item)]);
}
