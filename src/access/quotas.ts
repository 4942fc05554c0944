import type { QuotaName } from '../errors/errors.ts';
import { hasScope, type Principal } from './principal.ts';

/**
 * What one namespace may hold or do, so that one client cannot fill Redis or crowd out the others.
 * Each is a ceiling; `Infinity` is no ceiling (what `admin` keys get).
 */
export interface QuotaLimits {
  /** Monitors started and not yet ended. */
  runningMonitors: number;
  /** Monitors started per second (a sliding one-second window). */
  startsPerSecond: number;
  /** Early pushes (statuses pushed before their monitor starts) kept at once. */
  earlyPushes: number;
  /** The bytes those early pushes hold. */
  earlyPushBytes: number;
}

/** The quotas by name, in the order tables show them. */
export const QUOTA_NAMES = ['runningMonitors', 'startsPerSecond', 'earlyPushes', 'earlyPushBytes'] as const satisfies readonly (keyof QuotaLimits)[];

// The error names a quota with errors.ts's own union (a leaf cannot import this layer): they must agree.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const QUOTA_NAMES_AGREE: Same<QuotaName, keyof QuotaLimits> & Same<QuotaName, (typeof QUOTA_NAMES)[number]> = true;
void QUOTA_NAMES_AGREE;

/** No ceiling at all. */
export const NO_QUOTAS: Readonly<QuotaLimits> = Object.freeze({
  runningMonitors: Infinity, startsPerSecond: Infinity, earlyPushes: Infinity, earlyPushBytes: Infinity,
});

/** Per-namespace overrides of the defaults (JOBWATCH_NAMESPACE_QUOTAS), by namespace. */
export type NamespaceQuotas = Readonly<Record<string, Readonly<Partial<QuotaLimits>>>>;

/** The deployment's quotas: its defaults and the namespaces that differ from them. */
export interface QuotaSettings {
  defaults: Readonly<QuotaLimits>;
  namespaces: NamespaceQuotas;
}

/**
 * The quotas a request is held to. `admin` keys have none; otherwise the key's own quotas win over
 * its namespace's, and those over the defaults, quota by quota. No principal (a trusted caller
 * such as the library client in-process) is held to the namespace's quotas.
 */
export function effectiveQuotas(
  defaults: Readonly<QuotaLimits>,
  namespaceOverrides: Readonly<Partial<QuotaLimits>> | undefined,
  principal?: Principal,
): Readonly<QuotaLimits> {
  if (principal && hasScope(principal, 'admin')) return NO_QUOTAS;
  return Object.freeze({ ...defaults, ...namespaceOverrides, ...principal?.quotas });
}

/** A namespace's quotas as the settings give them (no key's own): what `jobwatch quotas` shows. */
export function namespaceQuotas(settings: QuotaSettings, namespace: string, principal?: Principal): Readonly<QuotaLimits> {
  const overrides = Object.hasOwn(settings.namespaces, namespace) ? settings.namespaces[namespace] : undefined;
  return effectiveQuotas(settings.defaults, overrides, principal);
}

/** Whether nothing would ever be refused: a caller may then skip counting (it loses only the usage figures). */
export function isUnlimited(limits: Readonly<QuotaLimits>): boolean {
  return QUOTA_NAMES.every((name) => limits[name] === Infinity);
}
