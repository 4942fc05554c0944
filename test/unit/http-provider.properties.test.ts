import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { interpretResponse } from '../../src/status/http-provider.ts';

const LIMIT = 64 * 1024;
const read = (code: number, bytes: Uint8Array, field = 'status') => interpretResponse(code, undefined, bytes, LIMIT, field, 'http://status');

describe('reading a status answer', () => {
  it('property: any JSON value as a status body gives a reading, never a throw', () => {
    fc.assert(fc.property(fc.jsonValue({ maxDepth: 8 }), fc.constantFrom('status', 'data.state', 'a.0.b'), (body, field) => {
      const reading = read(200, Buffer.from(JSON.stringify(body)), field);
      if (reading.ok) expect(reading.status.trim()).not.toBe('');
      else expect(['bad-body', 'missing-field']).toContain(reading.failure.reason);
    }), { numRuns: 1_000 });
  });

  it('property: any bytes with any HTTP status give a reading with one reason, never a throw', () => {
    fc.assert(fc.property(fc.integer({ min: 100, max: 599 }), fc.uint8Array({ maxLength: 300 }), (code, bytes) => {
      const reading = read(code, bytes);
      if (!reading.ok) expect(reading.failure.message).not.toContain('\n');
      if (code < 200 || code >= 300) expect(reading).toMatchObject({ ok: false, failure: { httpStatus: code } });
    }), { numRuns: 1_000 });
  });

  it('property: a status that is not UTF-8 is a bad body, never a mangled status', () => {
    fc.assert(fc.property(fc.string({ minLength: 1, maxLength: 20 }), fc.integer({ min: 0x80, max: 0xff }), (status, byte) => {
      const text = JSON.stringify({ status });
      const at = text.indexOf(':') + 2;
      const bytes = Buffer.concat([Buffer.from(text.slice(0, at)), Buffer.from([byte]), Buffer.from(text.slice(at))]);
      // A lone byte of 0x80-0xff is never valid UTF-8 between ASCII quote and text.
      const reading = read(200, bytes);
      if (reading.ok) expect(reading.status).not.toContain('\ufffd');
      else expect(reading.failure.reason).toBe('bad-body');
    }));
  });
});
