import { describe, expect, it } from 'vitest';
import { createStatusUrlPolicy } from '../../src/http/allowed-urls.ts';
import { secretMatches } from '../../src/access/key-secret.ts';
import { describeJobName, describePollData } from '../../src/http/board-format.ts';
import { assertBindAllowed, assertStatusUrlsRestricted, isLoopbackHost } from '../../src/http/loopback.ts';
import { ConfigError } from '../../src/errors/errors.ts';
import type { MonitorContext } from '../../src/monitor/context.ts';

/** Every spelling of loopback a client or an operator might use, and look-alikes that are not. */
const HOSTS: [string, boolean][] = [
  ['127.0.0.1', true], ['127.9.8.7', true], ['localhost', true], ['LOCALHOST', true], ['localhost.', true], ['LocalHost.', true],
  ['::1', true], ['[::1]', true], ['2130706433', true], ['0x7f000001', true], ['0X7F000001', true], ['127.1', true], ['0177.0.0.1', true],
  ['::ffff:127.0.0.1', true], ['[::ffff:127.0.0.1]', true], ['[::ffff:7f00:1]', true], ['[0:0:0:0:0:ffff:7f00:1]', true],
  ['[::FFFF:7F01:0203]', true], ['[::ffff:127.255.255.254]', true], ['0:0:0:0:0:0:0:1', true],
  ['0.0.0.0', false], ['::', false], ['[::]', false], ['10.0.0.1', false], ['128.0.0.1', false], ['2147483648', false],
  ['[::ffff:a00:1]', false], ['[::ffff:8000:1]', false], ['[::7f00:1]', false], ['[::ffff:0:7f00:1]', false],
  ['localhost.example.com', false], ['localhost..', false], ['127.0.0.1.nip.io', false], ['foo.localhost', false], ['', false], ['[]', false],
];

describe('isLoopbackHost', () => {
  it.each(HOSTS)('%s → %s', (host, loopback) => {
    expect(isLoopbackHost(host)).toBe(loopback);
  });

  it('binding elsewhere needs the token or a keys file', () => {
    expect(() => assertBindAllowed('--host', '0.0.0.0', {})).toThrow(/^--host 0\.0\.0\.0: .*jobwatch keys create.*set JOBWATCH_API_TOKEN/);
    expect(() => assertBindAllowed('--host', '0.0.0.0', { apiToken: 'a-token-of-sixteen' })).not.toThrow();
    expect(() => assertBindAllowed('--host', '0.0.0.0', { keysFile: '/etc/jobwatch/keys.json' })).not.toThrow();
    expect(() => assertBindAllowed('--host', '127.0.0.1', {})).not.toThrow();
  });

  it.each(HOSTS.filter(([host]) => host !== ''))('binding to %s (loopback: %s): without a token and an allow-list, only loopback', (host, loopback) => {
    for (const check of [() => assertBindAllowed('--host', host, {}), () => assertStatusUrlsRestricted('--host', host, undefined)]) {
      if (loopback) expect(check).not.toThrow();
      else expect(check).toThrow(ConfigError);
    }
  });

  it('binding elsewhere needs status URLs restricted, to prefixes or to sources: one line says how', () => {
    expect(() => assertStatusUrlsRestricted('--host', '0.0.0.0', undefined)).toThrow(
      '--host 0.0.0.0: a server reachable from other machines must not fetch any loopback URL a client sends; ' +
        'set JOBWATCH_ALLOWED_STATUS_URLS to the status URL prefixes to allow (e.g. https://jobs.internal/api/) or to sources (named sources only)',
    );
    expect(() => assertStatusUrlsRestricted('--host', '0.0.0.0', ['https://jobs.internal/'])).not.toThrow();
    expect(() => assertStatusUrlsRestricted('--host', '0.0.0.0', 'sources')).not.toThrow();
  });
});

describe('secretMatches', () => {
  it.each([
    ['same', 'same', true], ['same', 'samf', false], ['short', 'shorter', false], ['', 'x', false], ['é', 'é', true],
  ])('%j vs %j → %s (any lengths, no throw)', (a, b, same) => {
    expect(secretMatches(a, b)).toBe(same);
  });
});

describe('status URL policy', () => {
  it('checks the URL with the job id filled in, so an id cannot leave the allowed path', () => {
    const policy = createStatusUrlPolicy(['https://jobs.internal/api/']);
    expect(() => policy.assertAllowed('https://jobs.internal/api/jobs/{jobId}', 'job-1')).not.toThrow();
    expect(() => policy.assertAllowed('https://jobs.internal/api/{jobId}', '..')).toThrow(/not under any prefix/);
    expect(() => policy.assertAllowed('https://{jobId}/api/x', 'evil.net')).toThrow(/not under any prefix/);
    expect(() => policy.assertAllowed('https://{jobId}/api/x', 'jobs.internal')).not.toThrow();
  });

  it('unset: loopback only, in every spelling the URL parser reads as loopback', () => {
    const policy = createStatusUrlPolicy(undefined);
    for (const [host, loopback] of HOSTS) {
      if (host === '' || host === '[]' || host === '::' || host.includes(':') && !host.startsWith('[')) continue; // not a URL's host
      const check = () => policy.assertAllowed(`http://${host}:4000/jobs/{jobId}`, 'j-1');
      if (loopback) expect(check, host).not.toThrow();
      else expect(check, host).toThrow(/without JOBWATCH_ALLOWED_STATUS_URLS only loopback URLs are/);
    }
  });

  it('sources: no URL at all, with what to give instead', () => {
    const policy = createStatusUrlPolicy('sources');
    expect(() => policy.assertAllowed('http://127.0.0.1:4000/jobs/{jobId}', 'j-1')).toThrow(
      'statusUrl: is not allowed: JOBWATCH_ALLOWED_STATUS_URLS=sources allows only monitors of named sources; give `source` (and `params`) instead of a URL',
    );
  });

  it.each([
    '/jobs/..%2fadmin', '/jobs/..%2Fadmin', '/jobs/..%5cadmin', '/jobs/..%5Cadmin', '/jobs/%2e%2e%2fadmin', '/jobs/%2E%2E/admin-x',
    '/jobs/x/%2e%2e%5c', '/jobs/%252e%252e/admin', '/jobs/..%252fadmin', '/jobs/..%252Fadmin', '/jobs/%25252e%25252e%25252f', '/jobs/.%2e%2f',
  ])('an encoded climb in the path is refused wherever it is allowed: %s', (path) => {
    for (const rule of [undefined, ['http://127.0.0.1:4000/']]) {
      expect(() => createStatusUrlPolicy(rule).assertAllowed(`http://127.0.0.1:4000${path}`, 'j-1')).toThrow(/^statusUrl: its path holds .*an encoded \. or \.\. step/);
    }
  });

  it.each(['/jobs/{jobId}', '/jobs/a%2Fb', '/jobs/v1%2e2', '/jobs/%20x', '/jobs/caf%C3%A9', '/jobs/%2e%2e%2e', '/jobs/a..b'])('an encoded character that climbs nowhere is allowed: %s', (path) => {
    expect(() => createStatusUrlPolicy(undefined).assertAllowed(`http://127.0.0.1:4000${path}`, 'j-1')).not.toThrow();
  });

  it('a job id is URL-encoded into the path, so its own slashes climb nowhere, but an encoded climb in it is refused', () => {
    const policy = createStatusUrlPolicy(['https://jobs.internal/api/']);
    expect(() => policy.assertAllowed('https://jobs.internal/api/jobs/{jobId}', 'team/a/42')).not.toThrow();
    expect(() => policy.assertAllowed('https://jobs.internal/api/jobs/{jobId}', '../../admin')).toThrow(/encoded \. or \.\. step/);
    expect(() => policy.assertAllowed('https://jobs.internal/api/jobs/{jobId}', '%2e%2e')).toThrow(/encoded \. or \.\. step/);
  });

  it('a job id that makes the URL unparsable is bad input, not a crash', () => {
    expect(() => createStatusUrlPolicy(undefined).assertAllowed('http://{jobId}/x', 'a%b')).toThrow(/^statusUrl: is not a valid URL once \{jobId\} is filled in/);
  });
});

describe('the board shows poll jobs without secrets', () => {
  const context: MonitorContext = {
    monitorId: 'm-1', jobId: 'j-1', status: { kind: 'http', url: 'https://user:pa55@jobs.internal/api/{jobId}?token=s3cret' },
    statusField: 'status', intervalMs: 60_000, expireAt: Date.UTC(2026, 0, 2), startedAt: Date.UTC(2026, 0, 1), polls: 3,
    consecutiveFailures: 0, lastStatus: 'Running', lastError: null, nextCheckAt: Date.UTC(2026, 0, 1, 0, 3), metadata: { team: 'a' },
  };

  it('monitor id, job id, poll count and next poll time first; the status URL without credentials or query', () => {
    const shown = describePollData(context) as Record<string, unknown>;
    expect(Object.keys(shown).slice(0, 4)).toEqual(['monitorId', 'jobId', 'polls', 'nextPollAt']);
    expect(shown).toMatchObject({ monitorId: 'm-1', jobId: 'j-1', polls: 3, nextPollAt: '2026-01-01T00:03:00.000Z', interval: '1m' });
    expect(shown.statusSource).toBe('https://jobs.internal/api/j-1');
    expect(JSON.stringify(shown)).not.toMatch(/pa55|s3cret/);
  });

  it('names jobs by their monitor; data that is not a monitor is not shown', () => {
    expect(describeJobName({ name: 'poll', data: context })).toBe('poll m-1');
    expect(describeJobName({ name: 'other', data: {} })).toBe('other');
    expect(describePollData({ url: 'http://x:secret@y' })).toEqual({ note: 'not a jobwatch monitor' });
  });
});
