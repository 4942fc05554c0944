import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/config.ts';
import { ConfigError } from '../../src/errors/errors.ts';
import { hostSignalOf, MIN_HOST_HOLD_MS } from '../../src/monitor/gate/decisions.ts';
import { describeHold } from '../../src/monitor/gate/hold.ts';
import { hostKeyOf, rateKeyOf, rateKeyProblem } from '../../src/monitor/gate/rate-key.ts';
import { describeRateLimits, emissionIntervalMs, limitFor, parseRateLimits, type RateLimits } from '../../src/monitor/gate/rate-limits.ts';
import type { StatusReading } from '../../src/monitor/reading.ts';

const limitsOf = (text: string): RateLimits => {
  const parsed = parseRateLimits(text);
  if (!parsed.ok) throw new Error(parsed.problem);
  return parsed.limits;
};

/** Keys as a user writes them: host names, host:port, names. */
const keyArb = fc.oneof(
  fc.stringMatching(/^[a-z0-9]([a-z0-9-]{0,20}\.){0,3}[a-z]{2,6}$/),
  fc.tuple(fc.stringMatching(/^[a-z0-9]{1,10}(\.[a-z]{2,4})?$/), fc.integer({ min: 1, max: 65_535 })).map(([host, port]) => `${host}:${port}`),
  fc.stringMatching(/^[A-Za-z0-9._~@/+-]{1,40}$/),
);
const rateArb = fc.tuple(fc.integer({ min: 1, max: 5_000 }), fc.constantFrom('s', 'm', 'h'));

describe('parseRateLimits (JOBWATCH_RATE_LIMITS)', () => {
  it('reads the example of the issue', () => {
    const limits = limitsOf('jobs.internal=50/s,api.vendor.com:443=5/s,*=200/s');
    expect(limitFor(limits, 'jobs.internal')).toMatchObject({ count: 50, perMs: 1_000 });
    expect(limitFor(limits, 'api.vendor.com:443')).toMatchObject({ count: 5, perMs: 1_000 });
    expect(emissionIntervalMs(limitFor(limits, 'api.vendor.com:443')!)).toBe(200);
    // `*`: every key not listed, each its own limit.
    expect(limitFor(limits, 'api.vendor.com')).toMatchObject({ count: 200 });
    expect(limitFor(limits, 'anything-else')).toMatchObject({ count: 200 });
    expect(describeRateLimits(limits)).toBe('jobs.internal=50/s, api.vendor.com:443=5/s, *=200/s');
  });

  it('reads per minute and per hour, decimals, spaces around the parts, and keys in any case', () => {
    const limits = limitsOf(' Billing-API = 90/m , slow.example = 0.5/s,hourly=3600/h ');
    expect(emissionIntervalMs(limitFor(limits, 'billing-api')!)).toBe(666.6666666666666);
    expect(emissionIntervalMs(limitFor(limits, 'slow.example')!)).toBe(2_000);
    expect(emissionIntervalMs(limitFor(limits, 'hourly')!)).toBe(1_000);
    // No `*`: keys not listed are not limited.
    expect(limitFor(limits, 'jobs.internal')).toBeUndefined();
    expect(describeRateLimits(limitsOf('a=1/s'))).toBe('a=1/s');
  });

  it.each([
    ['', /at least one/],
    ['api.vendor.com=5', /entry "api.vendor.com=5" is not KEY=N\/s/],
    ['api.vendor.com:5/s', /entry "api.vendor.com:5\/s" is not KEY=N\/s/],
    ['a=5/d', /entry "a=5\/d" is not/],
    ['a=-1/s', /entry "a=-1\/s" is not/],
    ['a=0/s', /entry "a=0\/s": the rate must be more than 0/],
    ['a=1000001/s', /entry "a=1000001\/s": the rate must be at most 100000\/s/],
    ['a b=5/s', /entry "a b=5\/s": the key must be letters/],
    ['a{x}=5/s', /entry "a\{x\}=5\/s": the key must be letters/],
    ['a=1/s,A=2/s', /entry "A=2\/s": A is given twice/],
    ['*=1/s,*=2/s', /entry "\*=2\/s": \* is given twice/],
  ])('refuses %j with one line naming the entry', (text, problem) => {
    const parsed = parseRateLimits(text);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) {
      expect(parsed.problem).toMatch(problem);
      expect(parsed.problem).not.toContain('\n');
    }
  });

  it('property: any text parses or gives one line, never a throw', () => {
    fc.assert(fc.property(fc.oneof(fc.string(), fc.stringMatching(/^([^,]{0,20}=[0-9.]{0,6}\/[smhx]?,?){0,4}$/)), (text) => {
      const parsed = parseRateLimits(text);
      if (!parsed.ok) expect(parsed.problem).not.toMatch(/\n/);
    }), { numRuns: 2_000 });
  });

  it('property: the limits written are the limits read, whatever the order, and * covers the rest', () => {
    fc.assert(fc.property(fc.uniqueArray(fc.tuple(keyArb, rateArb), { minLength: 1, maxLength: 8, selector: ([key]) => key.toLowerCase() }), fc.option(rateArb), (entries, star) => {
      const text = [...entries.map(([key, [count, unit]]) => `${key}=${count}/${unit}`), ...(star ? [`*=${star[0]}/${star[1]}`] : [])].join(',');
      const limits = limitsOf(text);
      const perMs = { s: 1_000, m: 60_000, h: 3_600_000 };
      for (const [key, [count, unit]] of entries) {
        expect(limitFor(limits, key.toLowerCase())).toMatchObject({ count, perMs: perMs[unit as 's'] });
      }
      const unlisted = limitFor(limits, 'not-listed.invalid');
      if (star) expect(unlisted).toMatchObject({ count: star[0], perMs: perMs[star[1] as 's'] });
      else expect(unlisted).toBeUndefined();
    }));
  });

  it('is read by loadConfig; a bad value stops the process with one line naming the variable and the entry', () => {
    expect(loadConfig({}).rateLimits.byKey.size).toBe(0);
    expect(loadConfig({}).rateLimits.fallback).toBeUndefined();
    expect(loadConfig({}).hostFailures).toBe(20);
    expect(loadConfig({}).hostProbeEveryMs).toBe(30_000);
    const config = loadConfig({ JOBWATCH_RATE_LIMITS: 'jobs.internal=50/s', JOBWATCH_HOST_FAILURES: '0', JOBWATCH_HOST_PROBE_EVERY: '5s' });
    expect(limitFor(config.rateLimits, 'jobs.internal')).toMatchObject({ count: 50 });
    expect(config).toMatchObject({ hostFailures: 0, hostProbeEveryMs: 5_000 });
    expect(() => loadConfig({ JOBWATCH_RATE_LIMITS: 'jobs.internal=50/s,api.vendor.com=5' }))
      .toThrow(new ConfigError('JOBWATCH_RATE_LIMITS: entry "api.vendor.com=5" is not KEY=N/s, KEY=N/m or KEY=N/h; e.g. api.vendor.com=5/s or *=200/s'));
    expect(() => loadConfig({ JOBWATCH_HOST_FAILURES: 'many' })).toThrow(/^JOBWATCH_HOST_FAILURES: must be a whole number$/);
    expect(() => loadConfig({ JOBWATCH_HOST_PROBE_EVERY: '10ms' })).toThrow(/^JOBWATCH_HOST_PROBE_EVERY: 10ms is out of range/);
  });
});

describe('rate keys', () => {
  it.each([
    ['https://api.vendor.com/jobs/{jobId}', 'api.vendor.com'],
    ['https://api.vendor.com:443/jobs/{jobId}', 'api.vendor.com:443'],
    ['https://API.Vendor.COM:8443/x', 'api.vendor.com:8443'],
    ['http://user:pass@jobs.internal:8080/j?id={jobId}', 'jobs.internal:8080'],
    ['http://[::1]:3000/jobs/{jobId}', '[::1]:3000'],
    ['http://[::1]/jobs/{jobId}', '[::1]'],
    ['http://127.0.0.1:4999/jobs/{jobId}#frag', '127.0.0.1:4999'],
  ])('%s is %s', (url, key) => {
    expect(hostKeyOf(url)).toBe(key);
  });

  it('property: a URL\'s key is its host, with the port only when the URL gives one', () => {
    fc.assert(fc.property(fc.webUrl({ withQueryParameters: true, withFragments: true }), fc.option(fc.integer({ min: 1, max: 65_535 })), (url, port) => {
      const parsed = new URL(url);
      const withPort = port === null ? url : url.replace(`//${parsed.host}`, `//${parsed.hostname}:${port}`);
      expect(hostKeyOf(withPort)).toBe(port === null ? new URL(withPort).hostname : `${new URL(withPort).hostname}:${port}`);
    }), { numRuns: 500 });
  });

  it('is the monitor\'s rateKey when it names one (ignoring case), else the host, else the hook\'s', () => {
    expect(rateKeyOf({ status: { kind: 'http', url: 'https://api.vendor.com/x' } })).toBe('api.vendor.com');
    expect(rateKeyOf({ status: { kind: 'http', url: 'https://api.vendor.com/x' }, rateKey: 'Vendor-Pool' })).toBe('vendor-pool');
    expect(rateKeyOf({ status: { kind: 'batch', url: 'https://api.vendor.com:9000/batch' } })).toBe('api.vendor.com:9000');
    expect(rateKeyOf({ status: { kind: 'hook' } })).toBe('hook');
    expect(rateKeyOf({ status: { kind: 'hook' } }, 'Billing-API')).toBe('billing-api');
    expect(rateKeyOf({ status: { kind: 'hook' }, rateKey: 'own' }, 'billing-api')).toBe('own');
  });

  it.each([
    ['billing-api', undefined],
    ['api.vendor.com:443', undefined],
    ['[::1]:8080', undefined],
    ['', 'must not be empty'],
    ['a'.repeat(129), 'must be at most 128 characters'],
    ['has space', 'must be letters'],
    ['a,b', 'must be letters'],
    ['a=b', 'must be letters'],
    ['*', 'must be letters'],
    ['{tag}', 'must be letters'],
  ])('a named key %j: %s', (key, problem) => {
    const found = rateKeyProblem(key);
    if (problem === undefined) expect(found).toBeUndefined();
    else expect(found).toContain(problem);
  });

  it('describes a hold as `jobwatch status` prints it', () => {
    const until = Date.parse('2026-11-30T12:00:00.000Z');
    expect(describeHold({ key: 'api.vendor.com', reason: 'circuit-open', until })).toBe('api.vendor.com circuit open until 2026-11-30T12:00:00.000Z');
    expect(describeHold({ key: 'jobs.internal', reason: 'rate-limit', until })).toBe('jobs.internal rate limit until 2026-11-30T12:00:00.000Z');
    expect(describeHold({ key: 'x', reason: 'retry-after', until })).toBe('x Retry-After until 2026-11-30T12:00:00.000Z');
  });
});

describe('hostSignalOf: what an answer says about its host', () => {
  const failure = (reason: string, httpStatus?: number, retryAfterMs?: number): StatusReading =>
    ({ ok: false, failure: { reason, message: reason, ...(httpStatus ? { httpStatus } : {}), ...(retryAfterMs !== undefined ? { retryAfterMs } : {}) } }) as StatusReading;

  it.each<[string, StatusReading, string]>([
    ['a status', { ok: true, status: 'Processing', body: {} }, 'ok'],
    ['a 404', failure('not-found', 404), 'ok'],
    ['a body that is not JSON', failure('bad-body', 200), 'ok'],
    ['no status at the field', failure('missing-field', 200), 'ok'],
    ['a 400', failure('http-status', 400), 'ok'],
    ['a redirect', failure('http-status', 302), 'ok'],
    ['connection refused', failure('connection'), 'fail'],
    ['a timeout', failure('timeout'), 'fail'],
    ['a hook that throws', failure('hook-error'), 'fail'],
    ['a 500', failure('http-status', 500), 'fail'],
    ['a 503 without Retry-After', failure('http-status', 503), 'fail'],
    ['a 500 with Retry-After (not 429 or 503)', failure('http-status', 500, 5_000), 'fail'],
    ['a 429 without Retry-After', failure('http-status', 429), 'neutral'],
    ['a 429 with Retry-After: 0', failure('http-status', 429, 0), 'neutral'],
    ['a 429 with Retry-After', failure('http-status', 429, 5_000), 'retry-after'],
    ['a 503 with Retry-After', failure('http-status', 503, 5_000), 'retry-after'],
  ])('%s: %s', (_name, reading, kind) => {
    expect(hostSignalOf(reading).kind).toBe(kind);
  });

  it('holds at least MIN_HOST_HOLD_MS, and as long as asked beyond it', () => {
    expect(hostSignalOf(failure('http-status', 429, 10))).toEqual({ kind: 'retry-after', ms: MIN_HOST_HOLD_MS });
    expect(hostSignalOf(failure('http-status', 503, 120_000))).toEqual({ kind: 'retry-after', ms: 120_000 });
  });
});
