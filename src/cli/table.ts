/** Rows as aligned columns under their titles, each cell shortened to `maxCell` so a row fits a terminal. */
export function alignColumns(titles: readonly string[], rows: readonly (readonly string[])[], maxCell = 36): string {
  const cells = rows.map((row) => row.map((cell) => shorten(cell, maxCell)));
  const widths = titles.map((title, i) => Math.max(title.length, ...cells.map((row) => row[i]!.length)));
  return [padRow(titles, widths), ...cells.map((row) => padRow(row, widths))].join('\n');
}

/**
 * One row in columns of the given widths: what a table printed a row at a time uses, since it
 * cannot size its columns by rows it has not seen. Cells are shortened to their width.
 */
export function padRow(row: readonly string[], widths: readonly number[]): string {
  return row.map((cell, i) => shorten(cell, Math.max(widths[i]!, 1)).padEnd(widths[i]!)).join('  ').trimEnd();
}

function shorten(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}
