import { isNamespace } from '../monitor/namespace.ts';

/** The Redis keys of one namespace's quota counts (see RedisQuotas). */
export interface QuotaKeys {
  /** Sorted set: a monitor key per running monitor, scored by its expireAt and a margin. */
  running: string;
  /** Sorted set: `<time>:<monitor key>` per start in the last window, scored by its time. */
  starts: string;
  /** Sorted set: a monitor key per early push kept, scored by when it expires. */
  pushes: string;
  /** Hash: the bytes of each early push kept. */
  pushSizes: string;
  /** The bytes of all early pushes kept. */
  pushBytes: string;
}

/** The part of the keys before the namespace's tag: what a scan for every namespace matches. */
export function quotaKeysBase(prefix: string): string {
  return `${prefix}:quotas:`;
}

/**
 * The keys of a namespace's counts, `<prefix>:quotas:{<namespace>}:…`, under one hash tag so that
 * one script touches one node of a Redis Cluster. A namespace holds lowercase letters, digits and
 * dashes only, so it cannot end the tag early or reach into another's keys.
 */
export function quotaKeysOf(prefix: string, namespace: string): QuotaKeys {
  if (!isNamespace(namespace)) throw new Error(`quota keys: "${namespace}" is not a namespace`);
  const base = `${quotaKeysBase(prefix)}{${namespace}}`;
  return {
    running: `${base}:running`, starts: `${base}:starts`,
    pushes: `${base}:pushes`, pushSizes: `${base}:push-sizes`, pushBytes: `${base}:push-bytes`,
  };
}

/** The namespace a quota key belongs to, or undefined for a key that is not one. */
export function namespaceOfQuotaKey(prefix: string, key: string): string | undefined {
  const base = quotaKeysBase(prefix);
  if (!key.startsWith(`${base}{`)) return undefined;
  const end = key.indexOf('}', base.length + 1);
  const namespace = end < 0 ? '' : key.slice(base.length + 1, end);
  return isNamespace(namespace) ? namespace : undefined;
}
