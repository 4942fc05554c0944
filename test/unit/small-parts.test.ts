import { describe, expect, it } from 'vitest';
import { fromQueueJobId, toQueueJobId } from '../../src/monitor/queue-job-id.ts';
import { readStatus } from '../../src/status/read-field.ts';
import { describeUrl } from '../../src/monitor/describe-url.ts';
import { parseRetryAfter } from '../../src/time/retry-after.ts';
import { postgresErrorCode, isTransientDatabaseError } from '../../src/db/postgres-errors.ts';

describe('queue job ids', () => {
  it.each(['plain', 'tenant:42', '12345', '100%', 'm-x', 'spaces and/slashes', 'ünïcode'])('maps %j reversibly, without colons or bare digits', (id) => {
    const mapped = toQueueJobId(id);
    expect(mapped).not.toContain(':');
    expect(mapped).not.toMatch(/^\d+$/);
    expect(fromQueueJobId(mapped)).toBe(id);
  });
  it('keeps distinct ids distinct', () => {
    expect(toQueueJobId('a:b')).not.toBe(toQueueJobId('a%3Ab'));
  });
});

describe('readStatus', () => {
  it.each([
    [{ status: 'Done' }, 'status', 'Done'],
    [{ data: { job: { state: 'Running' } } }, 'data.job.state', 'Running'],
    [{ items: [{ status: 'x' }] }, 'items.0.status', 'x'],
    [{ code: 3 }, 'code', '3'],
    [{ status: '' }, 'status', undefined],
    [{ status: { nested: true } }, 'status', undefined],
    [{ other: 1 }, 'status', undefined],
    ['text', 'status', undefined],
    [null, 'status', undefined],
  ])('%j at %s is %j', (body, path, expected) => {
    expect(readStatus(body, path)).toBe(expected);
  });
});

describe('http helpers', () => {
  it('parses Retry-After seconds and dates', () => {
    expect(parseRetryAfter('5')).toBe(5_000);
    expect(parseRetryAfter(new Date(1_000_000 + 10_000).toUTCString(), 1_000_000)).toBe(10_000);
    expect(parseRetryAfter('999999')).toBe(3_600_000);
    expect(parseRetryAfter('soon')).toBeUndefined();
    expect(parseRetryAfter(undefined)).toBeUndefined();
  });
  it('describes URLs without credentials or query strings', () => {
    expect(describeUrl('https://user:secret@api.example.com/jobs/42?token=abc')).toBe('https://api.example.com/jobs/42');
  });
  it('describes a URL as it is sent: percent-encoding kept, not decoded into another path', () => {
    expect(describeUrl('http://127.0.0.1:4000/jobs/a%2Fb/caf%C3%A9%20x')).toBe('http://127.0.0.1:4000/jobs/a%2Fb/caf%C3%A9%20x');
    expect(describeUrl('http://127.0.0.1:4000/jobs/café x')).toBe('http://127.0.0.1:4000/jobs/caf%C3%A9%20x');
    expect(describeUrl('not a url')).toBe('<invalid url>');
  });
});

describe('postgres error codes', () => {
  it('finds the code on wrapped errors', () => {
    const wrapped = { message: 'Failed query', cause: { code: 'ECONNREFUSED' } };
    expect(postgresErrorCode(wrapped)).toBe('ECONNREFUSED');
    expect(isTransientDatabaseError(wrapped)).toBe(true);
    expect(isTransientDatabaseError({ code: '23505' })).toBe(false);
  });
});
