import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { encodeCursor, LIST_STATES, MAX_LIST_LIMIT, parseListQuery, type ListPosition } from '../../src/client/list-query.ts';
import { InvalidInputError } from '../../src/errors/errors.ts';

const position: fc.Arbitrary<ListPosition> = fc.record({
  part: fc.constantFrom('running', 'ended'),
  at: fc.integer({ min: 0, max: 2 ** 45 }),
  monitorId: fc.string({ minLength: 1, maxLength: 256, unit: 'grapheme' }),
});

describe('parseListQuery, for any query', () => {
  it('property: any state, limit and cursor parse, or give an InvalidInputError naming one of them', () => {
    const text = fc.oneof(fc.string(), fc.base64String().map((s) => s.replace(/=+$/, '')), fc.jsonValue().map((v) => Buffer.from(JSON.stringify(v)).toString('base64url')));
    fc.assert(fc.property(
      fc.record({ state: fc.oneof(fc.constantFrom(...LIST_STATES), text), limit: fc.oneof(fc.integer(), fc.double(), text), cursor: text }, { requiredKeys: [] }),
      (raw) => {
        try {
          const query = parseListQuery(raw);
          expect(query.limit).toBeGreaterThanOrEqual(1);
          expect(query.limit).toBeLessThanOrEqual(MAX_LIST_LIMIT);
          if (query.state !== undefined) expect(LIST_STATES).toContain(query.state);
        } catch (error) {
          expect(error).toBeInstanceOf(InvalidInputError);
          expect(['state', 'limit', 'cursor']).toContain((error as InvalidInputError).field);
        }
      },
    ), { numRuns: 2_000 });
  });

  it('property: a cursor the list gave reads back as the position it was made from', () => {
    fc.assert(fc.property(position, (at) => {
      expect(parseListQuery({ cursor: encodeCursor(at) }).after).toEqual(at);
    }));
  });

  it('property: a cursor whose id Postgres could not hold is refused, not sent to the database', () => {
    fc.assert(fc.property(position, fc.constantFrom('\u0000', '\ud800'), (at, odd) => {
      expect(() => parseListQuery({ cursor: encodeCursor({ ...at, monitorId: `${at.monitorId}${odd}` }) })).toThrow(InvalidInputError);
    }));
  });
});
