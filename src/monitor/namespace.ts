/**
 * Namespaces: the boundary between the teams that share one deployment. A monitor belongs to one
 * namespace, and its id is unique within it only, so every place that stores a monitor by id
 * (its BullMQ job, its end request and early push keys, its Postgres rows) stores it by key.
 */

/** Where monitors live when nothing names a namespace, and where monitors from before namespaces are. */
export const DEFAULT_NAMESPACE = 'default';

/** A namespace's name: what a key file, a URL query and a metric label can all carry as it is. */
export const NAMESPACE_PATTERN = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

export const NAMESPACE_RULE = '1 to 63 lowercase letters, digits and inner dashes';

export function isNamespace(value: string): boolean {
  return NAMESPACE_PATTERN.test(value);
}

/**
 * Monitor ids may hold any character but a control character, so a control character can part a
 * namespace from an id without any id being mistaken for another namespace's. The default
 * namespace's keys are the bare ids: the monitors and rows from before namespaces keep theirs.
 */
const SEPARATOR = '\u001f';

/** The key a monitor is stored under: unique per deployment, where its id is unique per namespace. */
export function monitorKey(namespace: string | undefined, monitorId: string): string {
  return namespace === undefined || namespace === DEFAULT_NAMESPACE ? monitorId : `${namespace}${SEPARATOR}${monitorId}`;
}

/** The namespace and id a key was made of (the inverse of monitorKey). */
export function splitMonitorKey(key: string): { namespace: string; monitorId: string } {
  const at = key.indexOf(SEPARATOR);
  if (at < 0) return { namespace: DEFAULT_NAMESPACE, monitorId: key };
  return { namespace: key.slice(0, at), monitorId: key.slice(at + 1) };
}

/** A monitor's namespace as its context or record carries it: absent means the default one. */
export function namespaceOf(monitor: { namespace?: string | undefined }): string {
  return monitor.namespace ?? DEFAULT_NAMESPACE;
}

/** A monitor as something that names it: its namespace (absent: the default) and its id. */
export interface MonitorRef {
  namespace?: string | undefined;
  monitorId: string;
}

/** The key of a context, a record or a reference. */
export function keyOf(monitor: MonitorRef): string {
  return monitorKey(monitor.namespace, monitor.monitorId);
}

/** The `namespace` field of a log line or an answer: only for monitors outside the default one. */
export function namespaceField(monitor: { namespace?: string | undefined }): { namespace?: string } {
  return monitor.namespace ? { namespace: monitor.namespace } : {};
}

/** A monitor named by its id alone is in the default namespace. */
export type MonitorName = string | MonitorRef;

export function refOf(monitor: MonitorName): MonitorRef {
  return typeof monitor === 'string' ? { monitorId: monitor } : monitor;
}

/**
 * The namespaces a read is narrowed to: a key's own namespaces, or undefined for every namespace
 * (an admin key, the CLI, the library).
 */
export type NamespaceScope = readonly string[] | undefined;
