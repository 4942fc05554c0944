import { describe, expect, it } from 'vitest';
import { parseNamespaceQuotas } from '../../src/access/namespace-quotas.ts';
import type { Principal } from '../../src/access/principal.ts';
import { effectiveQuotas, isUnlimited, namespaceQuotas, NO_QUOTAS, QUOTA_NAMES, type QuotaLimits } from '../../src/access/quotas.ts';
import { CONFIG_OPTIONS, loadConfig, quotaSettings } from '../../src/config/config.ts';
import { QuotaExceededError, quotaOption } from '../../src/errors/errors.ts';
import { Hono } from 'hono';
import { errorResponse, retryAfterSeconds } from '../../src/http/errors-to-http.ts';
import { createLogger } from '../../src/logging/logger.ts';

const DEFAULTS: QuotaLimits = { runningMonitors: 100, startsPerSecond: 10, earlyPushes: 50, earlyPushBytes: 1_000 };
const key = (scopes: Principal['scopes'], quotas?: Partial<QuotaLimits>): Principal => ({ name: 'k', namespaces: ['team-a'], scopes, ...(quotas ? { quotas } : {}) });

describe('effectiveQuotas', () => {
  const rows: [string, Partial<QuotaLimits> | undefined, Principal | undefined, QuotaLimits][] = [
    ['no principal, no overrides: the defaults', undefined, undefined, DEFAULTS],
    ['a key without quotas: the defaults', undefined, key(['start']), DEFAULTS],
    ["the namespace's own over the defaults", { runningMonitors: 5 }, key(['start']), { ...DEFAULTS, runningMonitors: 5 }],
    ["the key's own over the namespace's", { runningMonitors: 5, earlyPushes: 7 }, key(['start'], { runningMonitors: 9 }), { ...DEFAULTS, runningMonitors: 9, earlyPushes: 7 }],
    ["the key's own may be off", undefined, key(['push'], { startsPerSecond: Infinity }), { ...DEFAULTS, startsPerSecond: Infinity }],
    ['an admin key: none at all, whatever it or its namespace says', { runningMonitors: 5 }, key(['admin'], { runningMonitors: 1 }), NO_QUOTAS],
    ['admin among other scopes: none', undefined, key(['read', 'admin']), NO_QUOTAS],
  ];
  it.each(rows)('%s', (_case, namespace, principal, expected) => {
    expect(effectiveQuotas(DEFAULTS, namespace, principal)).toEqual(expected);
  });

  it("looks a namespace's overrides up by name, never from the prototype", () => {
    const settings = { defaults: DEFAULTS, namespaces: { 'team-a': { earlyPushes: 1 } } };
    expect(namespaceQuotas(settings, 'team-a').earlyPushes).toBe(1);
    expect(namespaceQuotas(settings, 'constructor')).toEqual(DEFAULTS);
  });

  it('tells unlimited quotas apart', () => {
    expect(isUnlimited(NO_QUOTAS)).toBe(true);
    expect(isUnlimited({ ...NO_QUOTAS, earlyPushBytes: 1 })).toBe(false);
  });
});

describe('JOBWATCH_NAMESPACE_QUOTAS', () => {
  it('reads numbers and off per namespace', () => {
    expect(parseNamespaceQuotas('{"team-a": {"runningMonitors": 5000, "startsPerSecond": "off"}, "b": {}}'))
      .toEqual({ ok: true, value: { 'team-a': { runningMonitors: 5000, startsPerSecond: Infinity }, b: {} } });
  });

  const bad: [string, string][] = [
    ['{', 'is not valid JSON'],
    ['[]', 'must be a JSON object of namespaces'],
    ['{"Team A": {}}', '"Team A" is not a namespace'],
    ['{"a": {"runningMonitor": 5}}', 'a: unknown quota runningMonitor; use runningMonitors, startsPerSecond, earlyPushes, earlyPushBytes'],
    ['{"a": {"earlyPushes": -1}}', 'a.earlyPushes: must be a whole number from 0'],
    ['{"a": {"earlyPushes": 1.5}}', 'a.earlyPushes: must be a whole number from 0'],
    ['{"a": 5}', 'a: '],
  ];
  it.each(bad)('refuses %s in one line naming what is wrong', (text, problem) => {
    const parsed = parseNamespaceQuotas(text);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.problem).toContain(problem);
  });

  it('is read by loadConfig, inline or from a file, and a bad value names the variable', () => {
    expect(loadConfig({ JOBWATCH_NAMESPACE_QUOTAS: '{"a": {"earlyPushes": 3}}' }).namespaceQuotas).toEqual({ a: { earlyPushes: 3 } });
    expect(() => loadConfig({ JOBWATCH_NAMESPACE_QUOTAS: '/nonexistent/quotas.json' }))
      .toThrow('JOBWATCH_NAMESPACE_QUOTAS: cannot read the quotas file /nonexistent/quotas.json: ENOENT');
    expect(() => loadConfig({ JOBWATCH_NAMESPACE_QUOTAS: '{"a": {"earlyPushes": "lots"}}' })).toThrow(/^JOBWATCH_NAMESPACE_QUOTAS: a\.earlyPushes: /);
  });
});

describe('the quota options', () => {
  it('default generously, take off for no quota, and make the settings', () => {
    const settings = quotaSettings(loadConfig({ JOBWATCH_QUOTA_STARTS_PER_SECOND: 'off', JOBWATCH_QUOTA_EARLY_PUSHES: '0' }));
    expect(settings.defaults).toEqual({ runningMonitors: 100_000, startsPerSecond: Infinity, earlyPushes: 0, earlyPushBytes: 64 * 1024 * 1024 });
    expect(settings.namespaces).toEqual({});
    expect(() => loadConfig({ JOBWATCH_QUOTA_RUNNING_MONITORS: 'many' })).toThrow(/^JOBWATCH_QUOTA_RUNNING_MONITORS: must be a whole number/);
  });

  it('are the ones a refusal names', () => {
    const envOf: Record<(typeof QUOTA_NAMES)[number], string> = {
      runningMonitors: CONFIG_OPTIONS.quotaRunningMonitors.env, startsPerSecond: CONFIG_OPTIONS.quotaStartsPerSecond.env,
      earlyPushes: CONFIG_OPTIONS.quotaEarlyPushes.env, earlyPushBytes: CONFIG_OPTIONS.quotaEarlyPushBytes.env,
    };
    for (const quota of QUOTA_NAMES) expect(quotaOption(quota)).toBe(envOf[quota]);
  });
});

describe('QuotaExceededError', () => {
  it('says how much more a batch asked for when that alone passes the quota', () => {
    const error = new QuotaExceededError({ quota: 'runningMonitors', namespace: 'team-a', retryAfterMs: 5_000, used: 99_990, limit: 100_000, requested: 20 });
    expect(error.message).toBe('quota: namespace team-a has 99990 running monitors, and 20 more would pass its quota of 100000 ' +
      '(JOBWATCH_QUOTA_RUNNING_MONITORS); end some or raise the quota');
  });

  it('gives Retry-After in whole seconds, rounded up, at least 1', () => {
    expect([0, 1, 999, 1_000, 1_001, 5_000].map(retryAfterSeconds)).toEqual(['1', '1', '1', '1', '2', '5']);
  });
});

describe('a refusal over HTTP', () => {
  it('is a 429 with Retry-After in seconds and the one-line error', async () => {
    const app = new Hono();
    app.get('/start', () => {
      throw new QuotaExceededError({ quota: 'startsPerSecond', namespace: 'team-a', retryAfterMs: 1_200, used: 50, limit: 50, requested: 1 });
    });
    app.onError((error, c) => errorResponse(c, error, createLogger({ logLevel: 'silent' }, { pretty: false })));
    const reply = await app.request('/start');
    expect(reply.status).toBe(429);
    expect(reply.headers.get('retry-after')).toBe('2');
    expect(await reply.json()).toEqual({
      error: 'quota: namespace team-a has 50 monitors started in the last second (JOBWATCH_QUOTA_STARTS_PER_SECOND); start them more slowly or raise the quota',
    });
  });
});
