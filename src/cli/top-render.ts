import type { MonitorState } from '../client/monitor-state.ts';
import { OUTCOMES, type EndCounts } from '../monitor/statuses.ts';
import { alignColumns } from './table.ts';
import { formatClock, isOverdue, nextPollWhen } from './watch-render.ts';

/** What one screen of `jobwatch top` shows. */
export interface TopFrame {
  now: number;
  /** Ends in the last hour, by outcome. */
  ends: EndCounts;
  /** One page of running monitors, newest first. */
  running: readonly MonitorState[];
  /** Whether more monitors run than the page holds. */
  more: boolean;
  /** Time between two screens; undefined when the screen is printed once. */
  everyMs?: number;
}

const COLUMNS = ['MONITOR', 'JOB', 'STATE', 'POLLS', 'LAST STATUS', 'NEXT POLL', 'OVERDUE'] as const;

/** The screen as text: a title, the hour's ends by outcome, and the running monitors, overdue ones marked. */
export function renderTop({ now, ends, running, more, everyMs }: TopFrame): string {
  const title = `jobwatch top · ${formatClock(now)}${everyMs === undefined ? '' : ` · every ${everyMs / 1_000} s · Ctrl-C quits`}`;
  const counts = `ended in the last hour: ${OUTCOMES.map((outcome) => `${outcome} ${ends[outcome]}`).join('  ')}`;
  const rows = running.flatMap((m) => (m.state === 'ended' ? [] : [[
    m.monitorId, m.jobId ?? '-', m.state, String(m.polls), m.lastStatus ?? (m.lastError ? 'failing' : '-'),
    m.state === 'polling' ? 'now' : nextPollWhen(Date.parse(m.nextPollAt), now, m.intervalMs),
    isOverdue(Date.parse(m.nextPollAt), now, m.intervalMs) && m.state !== 'polling' ? '!' : '',
  ]]));
  const shown = `running: ${rows.length}${more ? ` shown, more run (jobwatch list --state running)` : ''}`;
  const table = rows.length === 0 ? 'no running monitors' : alignColumns(COLUMNS, rows);
  return [title, counts, shown, '', table].join('\n');
}
