import { InvalidInputError } from '../errors/errors.ts';
import { isNamespace, NAMESPACE_RULE, type MonitorName } from '../monitor/namespace.ts';

/**
 * `--namespace NAME` of the commands that name a monitor or list them: a monitor id is unique in
 * its namespace only, so the same id in two namespaces is two monitors, told apart by this flag.
 * The CLI talks to Redis and Postgres directly, as an admin would: it may name any namespace.
 */
export const NAMESPACE_OPTION = { namespace: { type: 'string' } } as const;

/** The flag's help line, its text starting `column` characters after the flag's indent, as the command's other flags do. */
export function namespaceHelp(column = 19, text = 'the namespace the monitor is in (default: default)'): string {
  return `  ${'--namespace NAME'.padEnd(column)}${text}`;
}

/** The flag's value checked as a namespace's name (before any connection is opened), or undefined when not given. */
export function namespaceFlag(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  if (!isNamespace(value)) throw new InvalidInputError('--namespace', `${JSON.stringify(value)} is not a namespace; use ${NAMESPACE_RULE}`);
  return value;
}

/** The monitor a command names: its id alone in the default namespace, else with the namespace. */
export function monitorNamed(monitorId: string, namespace: string | undefined): MonitorName {
  return namespace === undefined ? monitorId : { namespace, monitorId };
}

/** How a not-found error names the monitor: `x`, or `x in namespace team-a`. */
export function describeMonitor(monitorId: string, namespace: string | undefined): string {
  return namespace === undefined ? monitorId : `${monitorId} in namespace ${namespace}`;
}
