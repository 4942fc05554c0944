import { describe, expect, it } from 'vitest';
import { createStatusUrlPolicy } from '../../src/http/allowed-urls.ts';
import { secretMatches } from '../../src/access/key-secret.ts';
import { describeJobName, describePollData } from '../../src/http/board-format.ts';
import { assertBindAllowed, isLoopbackHost } from '../../src/http/loopback.ts';
import type { MonitorContext } from '../../src/monitor/context.ts';

describe('isLoopbackHost', () => {
  it.each([
    ['127.0.0.1', true], ['127.9.8.7', true], ['localhost', true], ['LOCALHOST', true], ['::1', true], ['[::1]', true],
    ['::ffff:127.0.0.1', true], ['0.0.0.0', false], ['::', false], ['10.0.0.1', false], ['128.0.0.1', false],
    ['localhost.example.com', false], ['127.0.0.1.nip.io', false], ['', false],
  ])('%s → %s', (host, loopback) => {
    expect(isLoopbackHost(host)).toBe(loopback);
  });

  it('binding elsewhere needs the token or a keys file', () => {
    expect(() => assertBindAllowed('--host', '0.0.0.0', {})).toThrow(/^--host 0\.0\.0\.0: .*jobwatch keys create.*set JOBWATCH_API_TOKEN/);
    expect(() => assertBindAllowed('--host', '0.0.0.0', { apiToken: 'a-token-of-sixteen' })).not.toThrow();
    expect(() => assertBindAllowed('--host', '0.0.0.0', { keysFile: '/etc/jobwatch/keys.json' })).not.toThrow();
    expect(() => assertBindAllowed('--host', '127.0.0.1', {})).not.toThrow();
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
    expect(shown.statusSource).toBe('https://jobs.internal/api/{jobId}');
    expect(JSON.stringify(shown)).not.toMatch(/pa55|s3cret/);
  });

  it('names jobs by their monitor; data that is not a monitor is not shown', () => {
    expect(describeJobName({ name: 'poll', data: context })).toBe('poll m-1');
    expect(describeJobName({ name: 'other', data: {} })).toBe('other');
    expect(describePollData({ url: 'http://x:secret@y' })).toEqual({ note: 'not a jobwatch monitor' });
  });
});
