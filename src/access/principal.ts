import { NAMESPACE_PATTERN } from '../monitor/namespace.ts';
import type { QuotaLimits } from './quotas.ts';

/** What a key may do. `admin` may do everything, and reach the board and the deployment-wide views. */
export const SCOPES = ['read', 'start', 'push', 'cancel', 'admin'] as const;
export type Scope = (typeof SCOPES)[number];

/** Every namespace: what JOBWATCH_API_TOKEN and `--namespace '*'` keys act in. */
export const ALL_NAMESPACES = '*';

/** Who made a request: the key it was authenticated by, as the keys file describes it. */
export interface Principal {
  /** The key's name (never the key): what logs, `keys list` and 403s name. */
  name: string;
  /** The namespaces the key may act in, or every one. */
  namespaces: typeof ALL_NAMESPACES | readonly string[];
  scopes: readonly Scope[];
  /** This key's own quotas, over the deployment's defaults; absent: the defaults. */
  quotas?: Partial<QuotaLimits>;
}

export function hasScope(principal: Principal, scope: Scope): boolean {
  return principal.scopes.includes('admin') || principal.scopes.includes(scope);
}

export function mayActIn(principal: Principal, namespace: string): boolean {
  return principal.namespaces === ALL_NAMESPACES || principal.namespaces.includes(namespace);
}

export function isNamespaceList(value: readonly string[]): boolean {
  return value.every((name) => NAMESPACE_PATTERN.test(name));
}
