import { ConfigError } from '../errors/errors.ts';
import type { MonitorDefaults } from '../monitor/input.ts';
import type { OperationDefaults } from '../monitor/operation-input.ts';
import type { QuotaSettings } from '../access/quotas.ts';
import { checkMonitorSource, checkOperationSource } from '../sources/check-monitor-source.ts';
import { CONFIG_OPTIONS, type ConfigOption, type DefaultedOption, type OptionalOption } from './options.ts';

export {
  BULLMQ_PATHS, CONFIG_OPTIONS, MAX_BATCH_IDS, MAX_BATCH_WINDOW_MS, MAX_CONCURRENCY, MAX_SHARDS, MIN_API_TOKEN_LENGTH, type BullmqPath,
} from './options.ts';

/** The value an option gives the config: its check's output, or undefined where it may stay unset. */
type ValueOf<O> = O extends DefaultedOption<infer T> ? T : O extends OptionalOption<infer T> ? T | undefined : never;

/**
 * jobwatch's whole configuration, read from the environment once at start-up and passed down.
 * Nothing below the entry points reads `process.env`. Each field is declared, with its variable,
 * default and meaning, in `CONFIG_OPTIONS` (config/options.ts; docs/configuration.md lists them).
 */
export type Config = { readonly [K in keyof typeof CONFIG_OPTIONS]: ValueOf<(typeof CONFIG_OPTIONS)[K]> };

type DefaultedKey = { [K in keyof typeof CONFIG_OPTIONS]: (typeof CONFIG_OPTIONS)[K] extends DefaultedOption<unknown> ? K : never }[keyof typeof CONFIG_OPTIONS];

/** The value of every option that has a default, made from `CONFIG_OPTIONS`. */
export const DEFAULTS = Object.freeze(Object.fromEntries(
  Object.entries(CONFIG_OPTIONS).flatMap(([key, spec]) => ('default' in spec ? [[key, spec.default]] : [])),
)) as { readonly [K in DefaultedKey]: Config[K] };

/** Reads and validates the environment; throws ConfigError naming the first bad variable. */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const values: Record<string, unknown> = {};
  for (const [key, spec] of Object.entries(CONFIG_OPTIONS) as [string, ConfigOption][]) {
    const text = env[spec.env];
    // An empty variable counts as unset, as in most shells' `VAR= command` idiom.
    if (text === undefined || text === '') {
      values[key] = spec.default;
      continue;
    }
    const parsed = spec.check.schema.safeParse(text);
    if (!parsed.success) throw new ConfigError(`${spec.env}: ${parsed.error.issues[0]!.message}`);
    values[key] = parsed.data;
  }
  const config = values as Config;
  checkCombinations(config);
  return Object.freeze(config);
}

/** The rules that span options, checked after each option on its own. */
function checkCombinations(config: Config): void {
  if (config.prefix.includes('{') && (config.shards > 1 || config.redisClusterNodes)) {
    // Redis hashes the first {...} of a key: one in the prefix would put every shard in one slot.
    throw new ConfigError('JOBWATCH_PREFIX: must not contain { or } with JOBWATCH_SHARDS > 1 or a Redis Cluster; jobwatch adds the hash tags itself');
  }
  if (config.notifyUrl && !config.notifySecret) {
    throw new ConfigError('JOBWATCH_NOTIFY_SECRET: is required with JOBWATCH_NOTIFY_URL, to sign notifications; generate one with `openssl rand -hex 32`');
  }
}

/** What a new monitor gets when its input names no interval or expiry, the interval floor, and the check of its source. */
export function monitorDefaults(config: Config): MonitorDefaults {
  return {
    intervalMs: config.defaultIntervalMs, expireInMs: config.defaultExpireInMs, minIntervalMs: config.minIntervalMs,
    checkSource: (name, jobId, params, namespace) => checkMonitorSource(config.sources, name, jobId, params, namespace),
  };
}

/** What a new operation gets: a monitor's defaults, the check of its source's start request, and the deployment it is keyed to. */
export function operationDefaults(config: Config): OperationDefaults {
  return {
    ...monitorDefaults(config),
    checkOperation: (name, params, namespace) => checkOperationSource(config.sources, name, params, namespace),
    deployment: config.prefix,
  };
}

/** The deployment's quotas: the defaults (JOBWATCH_QUOTA_*) and the namespaces' own (JOBWATCH_NAMESPACE_QUOTAS). */
export function quotaSettings(config: Config): QuotaSettings {
  return {
    defaults: Object.freeze({
      runningMonitors: config.quotaRunningMonitors, startsPerSecond: config.quotaStartsPerSecond,
      earlyPushes: config.quotaEarlyPushes, earlyPushBytes: config.quotaEarlyPushBytes,
    }),
    namespaces: config.namespaceQuotas,
  };
}

/**
 * `DATABASE_URL`, for the commands that cannot run without Postgres; otherwise a ConfigError that
 * says what needs it, e.g. `requireDatabaseUrl(config, 'to persist results')`.
 */
export function requireDatabaseUrl(config: Config, neededFor: string): string {
  if (!config.databaseUrl) {
    throw new ConfigError(`DATABASE_URL: is required ${neededFor}, e.g. postgres://postgres@127.0.0.1:5432/jobwatch`);
  }
  return config.databaseUrl;
}

/**
 * A copy of the config with other values, frozen like the original. The values are not validated
 * again: pass only values that `loadConfig` would accept (or that were derived from ones it did).
 */
export function withOverrides(config: Config, overrides: Partial<Config>): Config {
  return Object.freeze({ ...config, ...overrides });
}
