/**
 * The rows of a raw `db.execute(sql…)`: postgres.js answers with the rows themselves, PGlite with
 * `{ rows }`. Every raw query reads its answer through this one place.
 */
export function rowsOf<Row>(answer: unknown): Row[] {
  return Array.isArray(answer) ? (answer as Row[]) : ((answer as { rows: Row[] }).rows ?? []);
}
