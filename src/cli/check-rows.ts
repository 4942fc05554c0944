import type { CheckRecordView } from '../client/check-page.ts';
import { alignColumns, padRow } from './table.ts';

/** The columns of a monitor's checks, as `jobwatch history` and `jobwatch watch` print them. */
export const CHECK_COLUMNS = ['SEQ', 'CHECKED AT', 'RESULT', 'STATUS / REASON', 'HTTP', 'LATENCY', 'LATE', 'VIA', 'SOURCE'] as const;

/**
 * Widths for checks printed one at a time (`watch`), wide enough for the usual values: an ISO
 * time, a status or a failure reason; a longer status is shortened.
 */
const STREAM_WIDTHS = [4, 24, 8, 24, 4, 8, 8, 6, 8] as const;

/** Checks as one table, the columns sized to fit them. */
export function formatChecks(checks: readonly CheckRecordView[]): string {
  if (checks.length === 0) return 'no checks recorded';
  return alignColumns(CHECK_COLUMNS, checks.map(checkCells));
}

/** The title row of checks printed one at a time. */
export function checkHeaderLine(): string {
  return padRow(CHECK_COLUMNS, STREAM_WIDTHS);
}

/** One check as a row under `checkHeaderLine`. */
export function checkLine(check: CheckRecordView): string {
  return padRow(checkCells(check), STREAM_WIDTHS);
}

function checkCells(c: CheckRecordView): string[] {
  return [
    String(c.seq), c.checkedAt, c.result, c.status ?? c.reason ?? '-', c.httpStatus === null ? '-' : String(c.httpStatus),
    `${c.latencyMs}ms`, `${c.lateMs}ms`, c.via, c.source ?? '-',
  ];
}
