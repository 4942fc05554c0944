import { namespaceQuotas, QUOTA_NAMES, type QuotaLimits, type QuotaSettings } from '../access/quotas.ts';
import { ALL_NAMESPACES } from '../access/principal.ts';
import type { QuotaName } from '../errors/errors.ts';
import type { QuotaUsage, RedisQuotas } from './redis-quotas.ts';

/** One namespace's use against its quotas (as the settings give them; a key may have its own). */
export interface NamespaceQuotaUse {
  namespace: string;
  used: Readonly<Record<QuotaName, number>>;
  limits: Readonly<QuotaLimits>;
}

/**
 * The use of the namespaces named, or of every namespace (`*`): those with counts in Redis and
 * those JOBWATCH_NAMESPACE_QUOTAS names, by name. What `jobwatch quotas`, `GET /api/quotas` and
 * the monitors page show.
 */
export async function quotaUsage(
  quotas: Pick<RedisQuotas, 'usage' | 'namespacesCounted'>, settings: QuotaSettings,
  namespaces: readonly string[] | typeof ALL_NAMESPACES, now?: number,
): Promise<NamespaceQuotaUse[]> {
  const names = namespaces === ALL_NAMESPACES
    ? new Set([...(await quotas.namespacesCounted()), ...Object.keys(settings.namespaces)])
    : new Set(namespaces);
  const usages = await Promise.all([...names].sort().map((namespace) => quotas.usage(namespace, now)));
  return usages.map((usage) => ({ namespace: usage.namespace, used: usedOf(usage), limits: namespaceQuotas(settings, usage.namespace) }));
}

function usedOf(usage: QuotaUsage): Record<QuotaName, number> {
  return Object.fromEntries(QUOTA_NAMES.map((name) => [name, usage[name]])) as Record<QuotaName, number>;
}

/** A use as JSON carries it: a quota that is off is `null` (JSON has no Infinity). */
export interface NamespaceQuotaUseJson {
  namespace: string;
  used: Record<QuotaName, number>;
  limits: Record<QuotaName, number | null>;
}

export function quotaUseJson(use: NamespaceQuotaUse): NamespaceQuotaUseJson {
  const limits = Object.fromEntries(QUOTA_NAMES.map((name) => [name, use.limits[name] === Infinity ? null : use.limits[name]]));
  return { namespace: use.namespace, used: { ...use.used }, limits: limits as Record<QuotaName, number | null> };
}
