import type { Config } from '../../config/config.ts';
import { InvalidInputError } from '../../errors/errors.ts';
import { isNamespace, NAMESPACE_RULE } from '../../monitor/namespace.ts';
import type { NamespaceQuotaUse } from '../../quotas/quota-report.ts';
import { parseFlags, printHelp, printJson } from '../flags.ts';
import { alignColumns } from '../table.ts';

export const quotasHelp = `Usage: jobwatch quotas [--namespace NAME]... [--json]

Prints each namespace's use of its quotas against them: monitors running, monitors started in the
last second, early pushes kept and the bytes they hold. Lists every namespace that has any of these
in Redis, and those JOBWATCH_NAMESPACE_QUOTAS names; \`off\` is no quota. The quotas shown are the
namespace's (JOBWATCH_QUOTA_* and JOBWATCH_NAMESPACE_QUOTAS); a key with quotas of its own is held
to those instead, and admin keys to none.

Options:
  --namespace NAME      only this namespace; repeat for more
  --json                one JSON line: [{namespace, used, limits}], a quota that is off as null`;

export async function quotasCommand(args: string[], readConfig: () => Config): Promise<number> {
  const { values } = parseFlags(args, { namespace: { type: 'string', multiple: true }, json: { type: 'boolean' } }, 'quotas');
  if (values.help) return printHelp(quotasHelp);
  const bad = values.namespace?.find((name) => !isNamespace(name));
  if (bad !== undefined) throw new InvalidInputError('--namespace', `"${bad}" is not a namespace (${NAMESPACE_RULE})`);
  const config = readConfig();
  const [{ connectRedis, assertRedisReady, closeRedis }, { RedisQuotas }, { quotaUsage, quotaUseJson }, { quotaSettings }] = await Promise.all([
    import('../../redis/connection.ts'), import('../../quotas/redis-quotas.ts'), import('../../quotas/quota-report.ts'), import('../../config/config.ts'),
  ]);
  await assertRedisReady(config, { requireNoEviction: false });
  const redis = connectRedis(config);
  try {
    const uses = await quotaUsage(new RedisQuotas(redis, { prefix: config.prefix }), quotaSettings(config), values.namespace ?? '*');
    if (values.json) printJson(uses.map(quotaUseJson));
    else process.stdout.write(`${uses.length > 0 ? quotaTable(uses) : 'no namespace has running monitors or early pushes'}\n`);
    return 0;
  } finally {
    await closeRedis(redis);
  }
}

function quotaTable(uses: readonly NamespaceQuotaUse[]): string {
  const rows = uses.map(({ namespace, used, limits }) => [
    namespace,
    ofLimit(used.runningMonitors, limits.runningMonitors, String),
    ofLimit(used.startsPerSecond, limits.startsPerSecond, String),
    ofLimit(used.earlyPushes, limits.earlyPushes, String),
    ofLimit(used.earlyPushBytes, limits.earlyPushBytes, formatBytes),
  ]);
  return alignColumns(['NAMESPACE', 'RUNNING', 'STARTS/S', 'EARLY PUSHES', 'EARLY PUSH BYTES'], rows, 64);
}

/** `12 / 100000 (0%)`, or `12 / off`. */
function ofLimit(used: number, limit: number, format: (value: number) => string): string {
  if (limit === Infinity) return `${format(used)} / off`;
  const share = limit === 0 ? (used > 0 ? 100 : 0) : Math.floor((100 * used) / limit);
  return `${format(used)} / ${format(limit)} (${share}%)`;
}

function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const [value, unit] = bytes < 1024 ** 2 ? [bytes / 1024, 'KiB'] : bytes < 1024 ** 3 ? [bytes / 1024 ** 2, 'MiB'] : [bytes / 1024 ** 3, 'GiB'];
  return `${Number.isInteger(value) ? value : value.toFixed(1)} ${unit}`;
}
