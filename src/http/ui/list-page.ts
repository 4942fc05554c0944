import { html } from 'hono/html';
import type { MonitorPage } from '../../client/list-monitors.ts';
import { LIST_STATES } from '../../client/list-query.ts';
import type { MonitorState } from '../../client/monitor-state.ts';
import { formatElapsed } from '../../time/durations.ts';
import { badge, queryString, timeTag, UI_PATH, type Html } from './layout.ts';
import { DEFAULT_NAMESPACE } from '../../monitor/namespace.ts';

/** The list's filters as the form sends them (and as its links keep them): text, as typed. */
export interface ListFilters {
  state?: string;
  idPrefix?: string;
  metadata?: string;
  from?: string;
  to?: string;
  limit?: string;
}

export const FILTER_NAMES = ['state', 'idPrefix', 'metadata', 'from', 'to', 'limit'] as const satisfies readonly (keyof ListFilters)[];

/** A running monitor whose next poll is more than this many intervals past due is marked overdue. */
export const OVERDUE_INTERVALS = 2;

/** Whether a running monitor's next poll is more than OVERDUE_INTERVALS intervals in the past. */
export function isOverdue(monitor: MonitorState, now: number): boolean {
  return monitor.state !== 'ended' && now - Date.parse(monitor.nextPollAt) > OVERDUE_INTERVALS * monitor.intervalMs;
}

/** A monitor's page (or `suffix` below it), with its namespace unless that is the default one, and `query`. */
export function monitorLink(monitor: { namespace: string; monitorId: string }, suffix = '', query: Record<string, string | undefined> = {}): string {
  const namespace = monitor.namespace === DEFAULT_NAMESPACE ? undefined : monitor.namespace;
  return `${UI_PATH}/monitors/${encodeURIComponent(monitor.monitorId)}${suffix}${queryString({ namespace, ...query })}`;
}

/** The monitors list: filters, one page of rows, and a link to the next page. */
export function listBody(page: MonitorPage, filters: ListFilters, now: number): Html {
  const next = page.nextCursor ? `${UI_PATH}/monitors${queryString({ ...filters, cursor: page.nextCursor })}` : undefined;
  const first = `${UI_PATH}/monitors${queryString({ ...filters })}`;
  return html`<h1>Monitors</h1>
${filterForm(filters)}
${page.monitors.length === 0 ? html`<p class="note">No monitor matches.</p>` : monitorTable(page.monitors, now)}
<div class="pager"><a href="${first}">First page</a>${next ? html`<a href="${next}" rel="next">Next page →</a>` : html`<span class="muted">Last page</span>`}</div>
<p class="note">Running monitors first (newest started first), then ended ones (newest finished first). The time range applies to that time.
A monitor is <span class="s-overdue">overdue</span> when its next poll is more than ${OVERDUE_INTERVALS} intervals in the past.</p>`;
}

function filterForm(filters: ListFilters): Html {
  const option = (value: string, label: string) =>
    value === (filters.state ?? '') ? html`<option value="${value}" selected>${label}</option>` : html`<option value="${value}">${label}</option>`;
  return html`<form class="filters" method="get" action="${UI_PATH}/monitors">
<label>state or outcome<select name="state">${option('', 'any')}${LIST_STATES.map((state) => option(state, state))}</select></label>
<label>monitor or job id starts with<input name="idPrefix" value="${filters.idPrefix ?? ''}" placeholder="transcode-"></label>
<label>metadata key=value<input name="metadata" value="${filters.metadata ?? ''}" placeholder="team=video"></label>
<label>from (UTC)<input name="from" type="datetime-local" step="1" value="${filters.from ?? ''}"></label>
<label>to (UTC)<input name="to" type="datetime-local" step="1" value="${filters.to ?? ''}"></label>
<button type="submit">Filter</button>
<a href="${UI_PATH}/monitors">Clear</a>
</form>`;
}

function monitorTable(monitors: MonitorState[], now: number): Html {
  return html`<table>
<thead><tr><th>monitor</th><th>job</th><th>state</th><th class="num">polls</th><th>last status</th><th>next poll / finished</th><th class="num">duration</th></tr></thead>
<tbody>${monitors.map((monitor) => monitorRow(monitor, now))}</tbody>
</table>`;
}

/** The job's id; an operation has none until its start answers one (and may never have one): a dash then. */
function jobCell(monitor: MonitorState): Html {
  return monitor.jobId === null ? html`<td><span class="muted">-</span></td>` : html`<td class="mono">${monitor.jobId}</td>`;
}

function monitorRow(monitor: MonitorState, now: number): Html {
  const link = html`<a href="${monitorLink(monitor)}" class="mono">${monitor.monitorId}</a>${monitor.namespace === DEFAULT_NAMESPACE ? '' : html` <span class="muted">${monitor.namespace}</span>`}`;
  if (monitor.state === 'ended') {
    const duration = Date.parse(monitor.finishedAt) - Date.parse(monitor.startedAt);
    return html`<tr><td>${link}</td>${jobCell(monitor)}<td>${badge(monitor.outcome)}</td><td class="num">${monitor.polls}</td>
<td>${monitor.jobStatus ?? html`<span class="muted">-</span>`}</td><td>finished ${timeTag(monitor.finishedAt)}</td><td class="num">${formatElapsed(duration)}</td></tr>`;
  }
  const overdue = isOverdue(monitor, now);
  const last = monitor.lastError ? html`<span class="s-failed" title="${monitor.lastError}">${monitor.lastStatus ?? 'failed check'}</span>` : monitor.lastStatus ?? html`<span class="muted">-</span>`;
  return html`<tr${overdue ? html` class="overdue"` : ''}><td>${link}</td>${jobCell(monitor)}
<td>${badge(monitor.state)}${overdue ? html` ${badge('overdue')}` : ''}</td><td class="num">${monitor.polls}</td>
<td>${last}</td><td>${monitor.state === 'starting' ? 'start request' : 'next'} ${timeTag(monitor.nextPollAt)}</td><td class="num">${formatElapsed(now - Date.parse(monitor.startedAt))}</td></tr>`;
}
