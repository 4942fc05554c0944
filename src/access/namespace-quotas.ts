import { z } from 'zod';
import { isNamespace, NAMESPACE_RULE } from '../monitor/namespace.ts';
import { QUOTA_NAMES, type NamespaceQuotas } from './quotas.ts';

/** Largest quota a number may set: past it, `off` says what is meant. */
export const MAX_QUOTA = 1_000_000_000_000;

const QUOTA_VALUE_RULE = { error: `must be a whole number from 0 to ${MAX_QUOTA}, or "off"` };

/** A quota's value: a whole number, or `off` (no ceiling). */
const quotaValue = z.union([
  z.number(QUOTA_VALUE_RULE).int(QUOTA_VALUE_RULE).min(0, QUOTA_VALUE_RULE).max(MAX_QUOTA, QUOTA_VALUE_RULE),
  z.literal('off').transform(() => Infinity),
], QUOTA_VALUE_RULE);

const overridesSchema = z.strictObject(Object.fromEntries(QUOTA_NAMES.map((name) => [name, quotaValue.optional()])) as
  Record<(typeof QUOTA_NAMES)[number], z.ZodOptional<typeof quotaValue>>);

/**
 * JOBWATCH_NAMESPACE_QUOTAS as JSON: `{"team-a": {"runningMonitors": 5000, "startsPerSecond": "off"}}`.
 * Answers the overrides, or one line naming the namespace and quota that is wrong.
 */
export function parseNamespaceQuotas(text: string): { ok: true; value: NamespaceQuotas } | { ok: false; problem: string } {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    return { ok: false, problem: `is not valid JSON (${(error as Error).message})` };
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    return { ok: false, problem: 'must be a JSON object of namespaces, e.g. {"team-a": {"runningMonitors": 5000}}' };
  }
  const value: Record<string, Readonly<Partial<Record<(typeof QUOTA_NAMES)[number], number>>>> = {};
  for (const [namespace, overrides] of Object.entries(json)) {
    if (!isNamespace(namespace)) return { ok: false, problem: `"${namespace}" is not a namespace (${NAMESPACE_RULE})` };
    const parsed = overridesSchema.safeParse(overrides);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      const where = issue.path.length > 0 ? `${namespace}.${issue.path.join('.')}` : namespace;
      const message = issue.code === 'unrecognized_keys' ? `unknown quota ${issue.keys.join(', ')}; use ${QUOTA_NAMES.join(', ')}` : issue.message;
      return { ok: false, problem: `${where}: ${message}` };
    }
    value[namespace] = Object.freeze(Object.fromEntries(Object.entries(parsed.data).filter(([, limit]) => limit !== undefined)));
  }
  return { ok: true, value: Object.freeze(value) };
}
