/** Rows as aligned columns under their titles, each cell shortened to `maxCell` so a row fits a terminal. */
export function alignColumns(titles: readonly string[], rows: readonly (readonly string[])[], maxCell = 36): string {
  const cells = rows.map((row) => row.map((cell) => shorten(cell, maxCell)));
  const widths = titles.map((title, i) => Math.max(title.length, ...cells.map((row) => row[i]!.length)));
  const line = (row: readonly string[]) => row.map((cell, i) => cell.padEnd(widths[i]!)).join('  ').trimEnd();
  return [line(titles), ...cells.map(line)].join('\n');
}

function shorten(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}
