import { sql, type SQL } from 'drizzle-orm';
import type { NamespaceScope } from '../monitor/namespace.ts';

/** ` and namespace = any(...)` for a read narrowed to some namespaces; nothing for one of every namespace. Both tables with a `namespace` column read it alike. */
export function andInNamespaces(namespaces: NamespaceScope): SQL {
  return namespaces === undefined ? sql`` : sql` and namespace = any(${sql.param([...namespaces])}::text[])`;
}
