import { describe, expect, it } from 'vitest';
import { InvalidInputError } from '../../src/errors/errors.ts';
import { isValidatedMonitor, parseMonitorInput } from '../../src/monitor/input.ts';

const NOW = Date.parse('2026-01-01T00:00:00Z');
const defaults = { intervalMs: 60_000, expireInMs: 86_400_000 };
const parse = (input: unknown) => parseMonitorInput(input, defaults, NOW);
const base = { jobId: 'job-1', statusUrl: 'https://api.example.com/jobs/{jobId}' };

describe('prototype keys in metadata and params', () => {
  const fromJson = (text: string) => parse({ ...base, ...JSON.parse(text) });
  it.each([
    ['{"metadata": {"__proto__": {"admin": true}}}', 'metadata.__proto__'],
    ['{"metadata": {"ok": 1, "constructor": {"prototype": {}}}}', 'metadata.constructor'],
    ['{"metadata": {"prototype": 1}}', 'metadata.prototype'],
    ['{"metadata": {"a": {"b": [{"__proto__": {}}]}}}', 'metadata.a.b[0].__proto__'],
    ['{"metadata": {"a": {"constructor": "x"}}}', 'metadata.a.constructor'],
  ])('%s is a 400 naming %s, not silently dropped', (text, field) => {
    const error = (() => { try { fromJson(text); } catch (caught) { return caught; } })();
    expect(error).toBeInstanceOf(InvalidInputError);
    expect((error as InvalidInputError).field).toBe(field);
    expect((error as InvalidInputError).message).toBe(`${field}: is not allowed as a key`);
  });

  it('params of a source too', () => {
    const withSource = { jobId: 'j', source: 'runs', params: JSON.parse('{"__proto__": "x"}') };
    expect(() => parseMonitorInput(withSource, { ...defaults, checkSource: () => ({ rateKey: 'runs' }) }, NOW)).toThrow('params.__proto__: is not allowed as a key');
  });

  it('the words as values, or inside longer keys, are fine; a cyclic value from a library caller does not hang', () => {
    expect(fromJson('{"metadata": {"kind": "constructor", "__proto__x": 1, "my_prototype": {"a": "__proto__"}}}').metadata)
      .toEqual({ kind: 'constructor', __proto__x: 1, my_prototype: { a: '__proto__' } });
    const cyclic: Record<string, unknown> = { a: 1 };
    cyclic.self = cyclic;
    expect(() => parse({ ...base, metadata: cyclic })).toThrow(/^metadata: /);
  });
});

describe('parseMonitorInput', () => {
  it('fills in defaults: monitor id = job id, 60s interval, 24h expiry, field status', () => {
    expect(parse(base)).toEqual({
      monitorId: 'job-1', jobId: 'job-1', status: { kind: 'http', url: base.statusUrl }, statusField: 'status',
      intervalMs: 60_000, expireAt: NOW + 86_400_000, startedAt: NOW, polls: 0, consecutiveFailures: 0,
      lastStatus: null, lastError: null, nextCheckAt: NOW, metadata: null, schedule: { jitter: 0.1 },
    });
  });

  it('accepts durations as text or milliseconds, and an absolute expiry', () => {
    expect(parse({ ...base, interval: '30s', expireIn: '2h' })).toMatchObject({ intervalMs: 30_000, expireAt: NOW + 7_200_000 });
    expect(parse({ ...base, interval: 500 })).toMatchObject({ intervalMs: 500 });
    expect(parse({ ...base, expireAt: '2026-01-02T00:00:00Z' })).toMatchObject({ expireAt: NOW + 86_400_000 });
  });

  it('takes ids BullMQ cannot (colons, digits only) as they are', () => {
    expect(parse({ ...base, jobId: 'tenant:42' }).monitorId).toBe('tenant:42');
    expect(parse({ ...base, jobId: '12345' }).monitorId).toBe('12345');
  });

  it('carries history and notification targets only when given', () => {
    expect(parse({ jobId: 'j', statusHook: true })).not.toHaveProperty('history');
    expect(parse({ jobId: 'j', statusHook: true })).not.toHaveProperty('notify');
    expect(parse({ jobId: 'j', statusHook: true, history: 'all', notifyUrl: 'https://h.example/x', notifyQueue: 'next' }))
      .toMatchObject({ history: 'all', notify: { url: 'https://h.example/x', queue: 'next' } });
  });

  it('carries a rateKey only when given, as it was written', () => {
    expect(parse(base)).not.toHaveProperty('rateKey');
    expect(parse({ ...base, rateKey: 'Vendor-Pool' })).toMatchObject({ rateKey: 'Vendor-Pool' });
    expect(parse({ jobId: 'j', statusHook: true, rateKey: 'billing-api' })).toMatchObject({ rateKey: 'billing-api' });
  });

  it('reads the status from a hook instead of a URL', () => {
    expect(parse({ jobId: 'j', statusHook: true }).status).toEqual({ kind: 'hook' });
  });

  it('reads the status from a batch status URL instead', () => {
    expect(parse({ jobId: 'j', batchStatusUrl: 'https://api.example.com/jobs/statuses' }).status)
      .toEqual({ kind: 'batch', url: 'https://api.example.com/jobs/statuses' });
  });

  it.each([
    [{ statusUrl: base.statusUrl }, 'jobId'],
    [{ ...base, jobId: '' }, 'jobId'],
    [{ ...base, jobId: '   ' }, 'jobId'],
    [{ ...base, jobId: 'x'.repeat(257) }, 'jobId'],
    [{ ...base, jobId: 'a\nb' }, 'jobId'],
    [{ ...base, monitorId: '' }, 'monitorId'],
    [{ jobId: 'j' }, 'statusUrl'],
    [{ ...base, statusHook: true }, 'statusUrl'],
    [{ ...base, batchStatusUrl: 'https://api.example.com/batch' }, 'statusUrl'],
    [{ jobId: 'j', batchStatusUrl: 'https://api.example.com/batch', statusHook: true }, 'statusUrl'],
    [{ jobId: 'j', batchStatusUrl: 'https://api.example.com/jobs/{jobId}' }, 'batchStatusUrl'],
    [{ jobId: 'j', batchStatusUrl: 'ftp://example.com/x' }, 'batchStatusUrl'],
    [{ ...base, statusUrl: 'ftp://example.com/x' }, 'statusUrl'],
    [{ ...base, statusUrl: 'not a url' }, 'statusUrl'],
    [{ ...base, interval: '5' }, 'interval'],
    [{ ...base, interval: '10ms' }, 'interval'],
    [{ ...base, interval: '30d' }, 'interval'],
    [{ ...base, expireIn: 'soon' }, 'expireIn'],
    [{ ...base, expireAt: '2025-01-01T00:00:00Z' }, 'expireAt'],
    [{ ...base, expireAt: 'yesterday' }, 'expireAt'],
    [{ ...base, expireAt: '2026-06-01T00:00:00Z', expireIn: '1h' }, 'expireAt'],
    [{ ...base, statusField: 'a..b' }, 'statusField'],
    [{ ...base, metadata: [1, 2] }, 'metadata'],
    [{ ...base, metadata: { blob: 'x'.repeat(20_000) } }, 'metadata'],
    [{ ...base, surprise: 1 }, 'monitor'],
    [{ ...base, history: 'some' }, 'history'],
    [{ ...base, notifyUrl: 'ftp://example.com/x' }, 'notifyUrl'],
    [{ ...base, notifyQueue: 'has space' }, 'notifyQueue'],
    [{ ...base, jobId: 'acme:7', notifyQueue: 'next' }, 'jobId'],
    [{ ...base, monitorId: '123', notifyQueue: 'next' }, 'monitorId'],
    [{ ...base, rateKey: '' }, 'rateKey'],
    [{ ...base, rateKey: 'has space' }, 'rateKey'],
    [{ ...base, rateKey: 'a,b=5/s' }, 'rateKey'],
    [{ ...base, rateKey: '{tag}' }, 'rateKey'],
    [{ ...base, rateKey: 'k'.repeat(129) }, 'rateKey'],
    [{ ...base, rateKey: 7 }, 'rateKey'],
    ['just a string', 'monitor'],
  ])('rejects %j naming %s', (input, field) => {
    expect(() => parse(input)).toThrow(InvalidInputError);
    try {
      parse(input);
    } catch (error) {
      expect((error as InvalidInputError).field).toBe(field);
      expect((error as Error).message).not.toContain('\n');
    }
  });

  it('carries the path and the reason apart; the message joins them on one line', () => {
    const error = catchError(() => parse({ ...base, interval: '10ms' }));
    expect(error.path).toEqual(['interval']);
    expect(error.reason).toBe('10ms is out of range; use 100ms to 7d');
    expect(error.message).toBe('interval: 10ms is out of range; use 100ms to 7d');
    const whole = catchError(() => parse({ ...base, colour: 'red' }));
    expect(whole).toMatchObject({ path: [], field: 'monitor', reason: 'unknown field colour' });
  });

  it('lets each edge name the value in its own words', () => {
    const error = catchError(() => parse({ ...base, statusUrl: 'ftp://x' }));
    expect(error.under(['inputs', 3]).message).toBe(`inputs[3].statusUrl: ${error.reason}`);
    expect(error.under(['inputs', 3]).path).toEqual(['inputs', 3, 'statusUrl']);
    expect(error.at('--status-url').message).toBe(`--status-url: ${error.reason}`);
  });

  it('marks what it returns as validated; a copy is raw input again, and the original cannot change', () => {
    const validated = parse(base);
    expect(isValidatedMonitor(validated)).toBe(true);
    expect(isValidatedMonitor({ ...validated })).toBe(false);
    expect(isValidatedMonitor(base)).toBe(false);
    expect(Object.isFrozen(validated)).toBe(true);
  });
});

function catchError(run: () => unknown): InvalidInputError {
  try {
    run();
  } catch (error) {
    if (error instanceof InvalidInputError) return error;
    throw error;
  }
  throw new Error('expected an InvalidInputError');
}
