import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { readField, readStatus } from '../../src/status/read-field.ts';

const key = fc.stringMatching(/^[^.\s]{1,6}$/);
const dottedPath = fc.array(key, { minLength: 1, maxLength: 5 }).map((keys) => keys.join('.'));

describe('readField and readStatus, at dotted paths', () => {
  it('property: any JSON body and any path give a value or undefined, never a throw; a status is a non-blank string', () => {
    fc.assert(fc.property(fc.jsonValue({ maxDepth: 5 }), fc.oneof(dottedPath, fc.string()), (body, path) => {
      readField(body, path);
      const status = readStatus(body, path);
      if (status !== undefined) expect(status.trim()).not.toBe('');
    }), { numRuns: 2_000 });
  });

  it('property: a status put at a path is read back from it', () => {
    fc.assert(fc.property(fc.array(key, { minLength: 1, maxLength: 5 }), fc.string({ minLength: 1 }).filter((s) => s.trim() !== ''), (keys, status) => {
      const body = keys.reduceRight<unknown>((inner, name) => ({ [name]: inner }), status);
      expect(readStatus(body, keys.join('.'))).toBe(status);
    }));
  });

  it('does not read through to inherited properties as a status', () => {
    expect(readStatus({}, 'constructor.name')).toBeUndefined();
    expect(readStatus({}, '__proto__')).toBeUndefined();
  });
});
