import { ForbiddenError, InvalidInputError } from '../errors/errors.ts';
import { DEFAULT_NAMESPACE, isNamespace, NAMESPACE_RULE } from '../monitor/namespace.ts';
import { ALL_NAMESPACES, mayActIn, type Principal } from './principal.ts';

/**
 * The namespace a request acts in: the key's own when it has one, otherwise the namespace the
 * request names, otherwise `default`. A key may never act outside its namespaces: naming another is
 * a 403 that says only which namespace was refused.
 */
export function namespaceFor(principal: Principal, requested: unknown): string {
  if (requested !== undefined && (typeof requested !== 'string' || !isNamespace(requested))) {
    throw new InvalidInputError('namespace', `must be ${NAMESPACE_RULE}`);
  }
  const own = principal.namespaces !== ALL_NAMESPACES && principal.namespaces.length === 1 ? principal.namespaces[0]! : undefined;
  const namespace = requested ?? own ?? DEFAULT_NAMESPACE;
  if (!mayActIn(principal, namespace)) {
    throw new ForbiddenError(requested === undefined
      ? `forbidden: this key acts in several namespaces, not in ${DEFAULT_NAMESPACE}; name one with namespace`
      : `forbidden: this key may not act in the namespace ${namespace}`);
  }
  return namespace;
}

/** The namespaces a key may read: a list, or undefined for every one. */
export function readableNamespaces(principal: Principal): readonly string[] | undefined {
  return principal.namespaces === ALL_NAMESPACES ? undefined : principal.namespaces;
}
