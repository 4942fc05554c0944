import { sql, type SQL } from 'drizzle-orm';

/**
 * The namespaces a read is narrowed to: a key's own namespaces, or none for every namespace (an
 * admin key, the CLI, the library). Both tables with a `namespace` column read it alike.
 */
export type NamespaceScope = readonly string[] | undefined;

/** ` and namespace = any(...)` for a narrowed read; nothing for an unnarrowed one. */
export function andInNamespaces(namespaces: NamespaceScope): SQL {
  return namespaces === undefined ? sql`` : sql` and namespace = any(${sql.param([...namespaces])}::text[])`;
}
