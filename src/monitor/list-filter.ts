/**
 * What narrows the monitor list besides its state. Times are epoch milliseconds and apply to the
 * time the list is sorted by: the start of a running monitor, the finish of an ended one.
 *
 * The list reads running monitors (and records waiting for Postgres) from Redis, and ended ones
 * from Postgres, so each field is decided twice: here in JavaScript, and in SQL by
 * `src/db/ended-page.ts`. Both rule tables are typed from this interface (a field without both
 * rules does not compile), and test/integration/list-filter.test.ts drives both through one table.
 */
export interface ListFilter {
  /** The monitor is in one of these namespaces (the namespaces a key may read, or the one a query names). */
  namespaces?: readonly string[];
  /** The monitor id or the job id starts with this. */
  idPrefix?: string;
  /** The metadata holds this key with this value (a string, number or boolean, compared as text). */
  metadata?: { key: string; value: string };
  /** The list time is this or later. */
  from?: number;
  /** The list time is this or earlier. */
  to?: number;
}

/** What the filter reads of a monitor: its ids, its metadata, and its list time (`at`). */
export interface Filterable {
  namespace: string;
  monitorId: string;
  /** Null for an operation with no job id (operation.ts). */
  jobId: string | null;
  metadata: Record<string, unknown> | null;
  at: number;
}

/** One rule per filter field, given the field's value; typed from ListFilter so none is missing. */
export type FilterRules<Rule> = { [Field in keyof ListFilter]-?: (value: NonNullable<ListFilter[Field]>) => Rule };

/** The JSON types a metadata value is compared as text for (Postgres's `->>` text, which `asText` writes alike). */
export const SCALAR_JSON_TYPES = ['string', 'number', 'boolean'] as const;

const MATCHES: FilterRules<(monitor: Filterable) => boolean> = {
  namespaces: (namespaces) => (monitor) => namespaces.includes(monitor.namespace),
  idPrefix: (prefix) => (monitor) => monitor.monitorId.startsWith(prefix) || (monitor.jobId?.startsWith(prefix) ?? false),
  metadata: ({ key, value }) => (monitor) => {
    const held = monitor.metadata !== null && Object.hasOwn(monitor.metadata, key) ? monitor.metadata[key] : undefined;
    return (SCALAR_JSON_TYPES as readonly string[]).includes(typeof held) && asText(held) === value;
  },
  from: (from) => (monitor) => monitor.at >= from,
  to: (to) => (monitor) => monitor.at <= to,
};

/** A scalar as Postgres's `->>` writes it: a number in plain digits (JSON numbers are `numeric` there, never written with an exponent). */
function asText(value: unknown): string {
  const text = String(value);
  const exponent = typeof value === 'number' ? /^(-?)(\d)(?:\.(\d+))?e([+-]\d+)$/.exec(text) : null;
  if (!exponent) return text;
  const [, sign, lead, rest = '', power] = exponent;
  const digits = `${lead}${rest}`;
  // JavaScript writes an exponent only from 1e21 up (more places than digits) and below 1e-6.
  const places = Number(power);
  return places > 0 ? `${sign}${digits}${'0'.repeat(places + 1 - digits.length)}` : `${sign}0.${'0'.repeat(-places - 1)}${digits}`;
}

/** The filter's fields that are set, with their values: what both rule tables are applied to. */
export function setFields(filter: ListFilter | undefined): [keyof ListFilter, unknown][] {
  return Object.entries(filter ?? {}).filter(([, value]) => value !== undefined) as [keyof ListFilter, unknown][];
}

/** Whether a monitor passes every field of the filter that is set. */
export function matchesFilter(monitor: Filterable, filter: ListFilter | undefined): boolean {
  return setFields(filter).every(([field, value]) => (MATCHES[field] as (value: unknown) => (monitor: Filterable) => boolean)(value)(monitor));
}

/**
 * Whether a monitor's namespace and list time pass the filter: what can be decided from a list
 * position alone (its key names the namespace), before a monitor's data is read. The rules applied
 * read nothing but `namespace` and `at`.
 */
export function passesPosition(namespace: string, at: number, filter: ListFilter | undefined): boolean {
  const fields = {
    ...(filter?.namespaces !== undefined ? { namespaces: filter.namespaces } : {}),
    ...(filter?.from !== undefined ? { from: filter.from } : {}),
    ...(filter?.to !== undefined ? { to: filter.to } : {}),
  };
  return matchesFilter({ namespace, monitorId: '', jobId: '', metadata: null, at }, fields);
}

/** Whether the filter narrows by a monitor's data (its ids or metadata), not only by its list time. */
export function readsMonitorData(filter: ListFilter | undefined): boolean {
  return filter?.idPrefix !== undefined || filter?.metadata !== undefined;
}
