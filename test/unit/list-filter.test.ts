import { describe, expect, it } from 'vitest';
import { parseListQuery } from '../../src/client/list-query.ts';
import { InvalidInputError } from '../../src/errors/errors.ts';
import { isOverdue } from '../../src/http/ui/list-page.ts';
import { formatElapsed } from '../../src/time/durations.ts';

describe('parseListQuery: the list filters', () => {
  it('reads an id prefix, a metadata pair and a range; a time without a zone is UTC', () => {
    expect(parseListQuery({ idPrefix: 'job-', metadata: 'team=a=b', from: '2026-11-30T12:00', to: '2026-11-30T13:00:00+01:00' }).filter).toEqual({
      idPrefix: 'job-', metadata: { key: 'team', value: 'a=b' }, from: Date.parse('2026-11-30T12:00:00Z'), to: Date.parse('2026-11-30T12:00:00Z'),
    });
    expect(parseListQuery({}).filter).toBeUndefined();
  });

  it.each([
    [{ metadata: 'team' }, 'metadata: must be key=value'],
    [{ metadata: '=x' }, 'metadata: must be key=value'],
    [{ from: 'yesterday' }, 'from: must be an ISO time'],
    [{ to: '2026-13-45T00:00' }, 'to: is not a valid date'],
    [{ from: '0000-01-01T00:00Z' }, 'from: must be between 1970 and 9999'],
    [{ to: '9999-12-31T23:59-05:00' }, 'to: must be between 1970 and 9999'],
    [{ from: '2026-01-02T00:00', to: '2026-01-01T00:00' }, 'from: is after to'],
    [{ idPrefix: 'x'.repeat(257) }, 'idPrefix: must be at most 256 characters'],
  ])('refuses %j: %s', (query, message) => {
    expect(() => parseListQuery(query)).toThrow(InvalidInputError);
    expect(() => parseListQuery(query)).toThrow(message);
  });
});

describe('the page helpers', () => {
  it('isOverdue: a running monitor more than 2 intervals past its next poll', () => {
    const running = { state: 'scheduled', nextPollAt: '2026-01-01T00:00:00.000Z', intervalMs: 1_000 } as never;
    const at = Date.parse('2026-01-01T00:00:00.000Z');
    expect(isOverdue(running, at + 2_000)).toBe(false);
    expect(isOverdue(running, at + 2_001)).toBe(true);
    expect(isOverdue({ state: 'ended' } as never, at + 1e9)).toBe(false);
  });

  it.each([[850, '850ms'], [4_210, '4.2s'], [192_000, '3m 12s'], [7_500_000, '2h 05m'], [273_600_000, '3d 4h']])('formatElapsed(%d) is %s', (ms, text) => {
    expect(formatElapsed(ms)).toBe(text);
  });
});
