import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/config.ts';
import { formatDuration, parseDuration } from '../../src/time/durations.ts';
import { ConfigError } from '../../src/errors/errors.ts';

describe('loadConfig', () => {
  it('has the documented defaults', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      redisUrl: 'redis://127.0.0.1:6379', databaseUrl: undefined, prefix: 'jobwatch', defaultIntervalMs: 60_000,
      defaultExpireInMs: 86_400_000, statusTimeoutMs: 10_000, maxStatusFailures: 10, concurrency: 50, logLevel: 'info',
      notFoundEndsMonitor: true,
    });
    expect(config.runningStatuses).toContain('Processing');
    expect(Object.isFrozen(config)).toBe(true);
  });

  it('reads every variable', () => {
    const config = loadConfig({
      REDIS_URL: 'redis://redis:6380', DATABASE_URL: 'postgres://u:p@db/jw', JOBWATCH_PREFIX: 'prod',
      JOBWATCH_DEFAULT_INTERVAL: '30s', JOBWATCH_DEFAULT_EXPIRE_IN: '2h', JOBWATCH_STATUS_TIMEOUT: '5s',
      JOBWATCH_RUNNING_STATUSES: 'Transcoding, Uploading', JOBWATCH_MAX_STATUS_FAILURES: '4', JOBWATCH_CONCURRENCY: '8',
      JOBWATCH_NOT_FOUND_ENDS: 'false', LOG_LEVEL: 'debug',
    });
    expect(config).toMatchObject({
      redisUrl: 'redis://redis:6380', databaseUrl: 'postgres://u:p@db/jw', prefix: 'prod', defaultIntervalMs: 30_000,
      defaultExpireInMs: 7_200_000, statusTimeoutMs: 5_000, runningStatuses: ['Transcoding', 'Uploading'],
      maxStatusFailures: 4, concurrency: 8, notFoundEndsMonitor: false, logLevel: 'debug',
    });
  });

  it.each([
    ['REDIS_URL', 'localhost:6379'],
    ['DATABASE_URL', 'mysql://x'],
    ['JOBWATCH_PREFIX', 'has:colon'],
    ['JOBWATCH_DEFAULT_INTERVAL', '60'],
    ['JOBWATCH_CONCURRENCY', '0'],
    ['JOBWATCH_CONCURRENCY', 'lots'],
    ['JOBWATCH_NOT_FOUND_ENDS', 'maybe'],
    ['LOG_LEVEL', 'loud'],
    ['JOBWATCH_SHARDS', '0'],
    ['JOBWATCH_SHARDS', '65'],
    ['REDIS_CLUSTER_NODES', 'redis-1'],
    ['JOBWATCH_HISTORY', 'some'],
    ['JOBWATCH_NOTIFY_URL', 'ftp://x'],
    ['JOBWATCH_NOTIFY_SECRET', 'short'],
    ['JOBWATCH_RETENTION', '10s'],
    ['JOBWATCH_HISTORY_RETENTION', 'forever'],
    ['REDIS_CLUSTER_NODES', '10.0.0.1:7000,10.0.0.2:99999'],
    ['JOBWATCH_BATCH_MAX', '0'],
    ['JOBWATCH_BATCH_MAX', '10001'],
    ['JOBWATCH_BATCH_MAX', 'many'],
    ['JOBWATCH_BATCH_WINDOW', '20'],
    ['JOBWATCH_BATCH_WINDOW', '1m'],
  ])('rejects %s=%s with one line naming it', (name, value) => {
    expect(() => loadConfig({ [name]: value })).toThrow(ConfigError);
    expect(() => loadConfig({ [name]: value })).toThrow(new RegExp(`^${name}: `));
  });

  it('reads history, notification and retention settings, off by default', () => {
    expect(loadConfig({})).toMatchObject({ history: 'changes', notifyUrl: undefined, notifyForMs: 86_400_000, retentionMs: undefined, historyRetentionMs: undefined, purgeEveryMs: 3_600_000 });
    expect(loadConfig({
      JOBWATCH_HISTORY: 'all', JOBWATCH_NOTIFY_URL: 'https://h.example/x', JOBWATCH_NOTIFY_SECRET: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
      JOBWATCH_NOTIFY_FOR: '2h', JOBWATCH_RETENTION: '30d', JOBWATCH_HISTORY_RETENTION: 'off',
    })).toMatchObject({ history: 'all', notifyUrl: 'https://h.example/x', notifyForMs: 7_200_000, retentionMs: 30 * 86_400_000, historyRetentionMs: undefined });
    expect(() => loadConfig({ JOBWATCH_NOTIFY_URL: 'https://h.example/x' })).toThrow(/^JOBWATCH_NOTIFY_SECRET: is required with JOBWATCH_NOTIFY_URL/);
  });

  it('reads the batch size and window of batched status checks, 100 ids and 20ms by default', () => {
    expect(loadConfig({})).toMatchObject({ batchMaxIds: 100, batchWindowMs: 20 });
    expect(loadConfig({ JOBWATCH_BATCH_MAX: '500', JOBWATCH_BATCH_WINDOW: '0ms' })).toMatchObject({ batchMaxIds: 500, batchWindowMs: 0 });
    expect(() => loadConfig({ JOBWATCH_BATCH_WINDOW: '1m' })).toThrow(/^JOBWATCH_BATCH_WINDOW: 1m is out of range; use 0ms to 10s$/);
  });

  it('reads JOBWATCH_DEBUG as on when set to anything, off when unset or empty', () => {
    expect(loadConfig({}).debug).toBe(false);
    expect(loadConfig({ JOBWATCH_DEBUG: '' }).debug).toBe(false);
    expect(loadConfig({ JOBWATCH_DEBUG: '1' }).debug).toBe(true);
    expect(loadConfig({ JOBWATCH_DEBUG: 'yes please' }).debug).toBe(true);
  });

  it('reads a sharded cluster layout', () => {
    const config = loadConfig({ JOBWATCH_SHARDS: '6', REDIS_CLUSTER_NODES: '10.0.0.1:7000, redis-2:7001' });
    expect(config).toMatchObject({ shards: 6, redisClusterNodes: [{ host: '10.0.0.1', port: 7000 }, { host: 'redis-2', port: 7001 }] });
  });

  it('refuses a hash tag in the prefix when it would put every shard in one slot', () => {
    expect(() => loadConfig({ JOBWATCH_PREFIX: '{jw}', JOBWATCH_SHARDS: '4' })).toThrow(/^JOBWATCH_PREFIX: must not contain \{ or \} with JOBWATCH_SHARDS > 1/);
    expect(() => loadConfig({ JOBWATCH_PREFIX: '{jw}', REDIS_CLUSTER_NODES: 'a:7000' })).toThrow(ConfigError);
    expect(loadConfig({ JOBWATCH_PREFIX: '{jw}' }).prefix).toBe('{jw}');
  });

  it('never echoes a database password in its errors', () => {
    expect(() => loadConfig({ DATABASE_URL: 'postgres://u:hunter2@db:notaport/x' })).not.toThrow(/hunter2/);
  });
});

describe('durations', () => {
  it.each([['500ms', 500], ['30s', 30_000], ['1m', 60_000], ['2h', 7_200_000], ['1d', 86_400_000], ['1.5s', 1_500]])('%s is %d ms', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });
  it.each(['', '5', 's', '1 week', '-1s', '1x'])('%j is not a duration', (text) => {
    expect(parseDuration(text)).toBeUndefined();
  });
  it('formats in the largest whole unit', () => {
    expect(formatDuration(60_000)).toBe('1m');
    expect(formatDuration(1_500)).toBe('1500ms');
  });
});
