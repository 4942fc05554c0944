import { html } from 'hono/html';
import type { Overview } from '../../client/overview.ts';
import { END_CHART_HOURS, OVERVIEW_WINDOWS, type HostHealth } from '../../db/overview.ts';
import type { HistoryMode } from '../../monitor/history.ts';
import type { HostState } from '../../monitor/gate/decisions.ts';
import { OUTCOMES } from '../../monitor/statuses.ts';
import { QUOTA_NAMES } from '../../access/quotas.ts';
import type { QuotaName } from '../../errors/errors.ts';
import type { NamespaceQuotaUse } from '../../quotas/quota-report.ts';
import { badge, count, queryString, timeTag, UI_PATH, type Html } from './layout.ts';

export interface OverviewView {
  overview: Overview;
  /** The server's JOBWATCH_HISTORY: with `off`, no checks feed the timings and the hosts. */
  history: HistoryMode;
  /**
   * Each host's state, when the server has a host-state provider; undefined: no such column;
   * `unavailable`: the column is there, empty, with a note (Redis did not answer).
   */
  hostStates?: ReadonlyMap<string, HostState> | 'unavailable';
  /** The caller's namespaces' use of their quotas; absent: no quota section. */
  quotas?: readonly NamespaceQuotaUse[];
}

/** The overview: what runs, what ended and how, and how healthy polling was over the last hour. */
export function overviewBody(view: OverviewView): Html {
  const { overview } = view;
  return html`<h1>Overview</h1>
<p class="note">As of ${timeTag(overview.at)}.</p>
<h2>Running monitors</h2>
<div class="cards">
${card(overview.running.scheduled + overview.running.polling + overview.running.due, 'running', `${UI_PATH}/monitors?state=running`)}
${card(overview.running.scheduled, 'scheduled (waiting for their next poll)')}
${card(overview.running.polling, 'polling now')}
${card(overview.running.due, 'due, waiting for a worker')}
${card(overview.pendingRecords, 'final records waiting for Postgres')}
</div>
<div class="grid2">
<section>
<h2>Ended monitors</h2>
${outcomeTable(overview)}
</section>
<section>
<h2>Ends per hour, last ${END_CHART_HOURS} hours</h2>
${endsChart(overview)}
</section>
</div>
<h2>Polling, last hour</h2>
${timings(view)}
<h2>Status hosts, last hour</h2>
${hostTable(view)}
${view.quotas ? html`<h2>Quotas</h2>${quotaTable(view.quotas)}` : ''}`;
}

/** Each namespace's use against its quotas, as `jobwatch quotas` shows it; a quota that is off shows its use alone. */
function quotaTable(uses: readonly NamespaceQuotaUse[]): Html {
  if (uses.length === 0) return html`<p class="note">No namespace holds monitors or early pushes counted against a quota.</p>`;
  const cellOf = (use: NamespaceQuotaUse, name: QuotaName) => {
    const limit = use.limits[name];
    const near = limit !== Infinity && use.used[name] >= limit * 0.9;
    return html`<td class="num${near ? ' s-failed' : ''}">${count(use.used[name])}${limit === Infinity ? '' : html` / ${count(limit)}`}</td>`;
  };
  return html`<table>
<thead><tr><th>namespace</th><th class="num">running monitors</th><th class="num">starts in the last second</th><th class="num">early pushes</th><th class="num">early push bytes</th></tr></thead>
<tbody>${uses.map((use) => html`<tr><td class="mono">${use.namespace}</td>${QUOTA_NAMES.map((name) => cellOf(use, name))}</tr>`)}</tbody>
</table>`;
}

function card(n: number, label: string, href?: string): Html {
  const figure = href ? html`<a href="${href}">${count(n)}</a>` : count(n);
  return html`<div class="card"><b>${figure}</b>${label}</div>`;
}

function outcomeTable({ outcomes, at }: Overview): Html {
  const since = (ms: number) => new Date(at - ms).toISOString().slice(0, 19);
  const cell = (outcome: string, n: number, ms: number) =>
    html`<td class="num"><a href="${`${UI_PATH}/monitors${queryString({ state: outcome, from: since(ms) })}`}">${count(n)}</a></td>`;
  return html`<table>
<thead><tr><th>outcome</th><th class="num">last hour</th><th class="num">24 h</th><th class="num">7 d</th></tr></thead>
<tbody>${outcomes.map((row) => html`<tr><td>${badge(row.outcome)}</td>${cell(row.outcome, row.hour, OVERVIEW_WINDOWS.hour)}${cell(row.outcome, row.day, OVERVIEW_WINDOWS.day)}${cell(row.outcome, row.week, OVERVIEW_WINDOWS.week)}</tr>`)}</tbody>
</table>`;
}

const CHART = { width: 760, height: 180, left: 40, bottom: 22, top: 8 };

/** Stacked bars, one per hour and outcome, as inline SVG (no script, no library). */
function endsChart({ endsByHour }: Overview): Html {
  const max = Math.max(1, ...endsByHour.map((hour) => OUTCOMES.reduce((sum, outcome) => sum + hour[outcome], 0)));
  const plotHeight = CHART.height - CHART.bottom - CHART.top;
  const slot = (CHART.width - CHART.left) / endsByHour.length;
  const bars = endsByHour.map((hour, i) => {
    let y = CHART.top + plotHeight;
    const x = CHART.left + i * slot + 1;
    const hoursAgo = endsByHour.length - i;
    return OUTCOMES.filter((outcome) => hour[outcome] > 0).map((outcome) => {
      const h = (hour[outcome] / max) * plotHeight;
      y -= h;
      return html`<rect class="f-${outcome}" x="${x.toFixed(1)}" y="${y.toFixed(1)}" width="${(slot - 2).toFixed(1)}" height="${h.toFixed(1)}"><title>${outcome}: ${count(hour[outcome])} (${hoursAgo} to ${hoursAgo - 1} h ago)</title></rect>`;
    });
  });
  const base = CHART.top + plotHeight;
  return html`<svg class="chart" viewBox="0 0 ${CHART.width} ${CHART.height}" role="img" aria-label="Ends per hour by outcome">
<line x1="${CHART.left}" y1="${base}" x2="${CHART.width}" y2="${base}"></line>
<text x="${CHART.left - 6}" y="${CHART.top + 10}" text-anchor="end">${count(max)}</text>
<text x="${CHART.left - 6}" y="${base}" text-anchor="end">0</text>
${bars}
<text x="${CHART.left}" y="${CHART.height - 6}">${END_CHART_HOURS} h ago</text>
<text x="${CHART.left + (CHART.width - CHART.left) / 2}" y="${CHART.height - 6}" text-anchor="middle">${END_CHART_HOURS / 2} h ago</text>
<text x="${CHART.width}" y="${CHART.height - 6}" text-anchor="end">now</text>
</svg>
<div class="legend">${OUTCOMES.map((outcome) => html`<span class="s-${outcome}">${outcome}</span>`)}</div>`;
}

function ms(value: number | null): string {
  return value === null ? '-' : `${count(value)} ms`;
}

function timings({ overview, history }: OverviewView): Html {
  const t = overview.timings;
  if (history === 'off' && t.checks === 0) {
    return html`<p class="note">Poll history is off on this server (<code>JOBWATCH_HISTORY=off</code>), so no checks are kept to measure.
The workers' <code>/metrics</code> have the same figures: <code>jobwatch_poll_lateness_seconds</code> and <code>jobwatch_status_call_duration_seconds</code>.</p>`;
  }
  const offNote = history === 'off' ? html`<p class="note">History is off on this server (<code>JOBWATCH_HISTORY=off</code>); these are the checks of monitors that keep their own.</p>` : '';
  return html`${offNote}<table>
<thead><tr><th></th><th class="num">p50</th><th class="num">p99</th></tr></thead>
<tbody>
<tr><td>poll lateness (start after due)</td><td class="num">${ms(t.lateP50)}</td><td class="num">${ms(t.lateP99)}</td></tr>
<tr><td>status call duration</td><td class="num">${ms(t.latencyP50)}</td><td class="num">${ms(t.latencyP99)}</td></tr>
</tbody>
</table>
<p class="note">From ${count(t.checks)} poll checks in <code>monitor_checks</code> (as JOBWATCH_HISTORY keeps them: with <code>changes</code>, a first check, each change, each failure and each end).</p>`;
}

function hostTable({ overview, hostStates, history }: OverviewView): Html {
  if (overview.hosts.length === 0) {
    return html`<p class="note">No poll checks in the last hour${history === 'off' ? ' (history is off)' : ''}.</p>`;
  }
  const states = hostStates === 'unavailable' ? new Map<string, HostState>() : hostStates;
  const stateHead = states ? html`<th title="what rate limits, Retry-After holds and circuits let its requests do now">state</th>` : '';
  const unavailable = hostStates === 'unavailable'
    ? html`<p class="note s-expired">The hosts' state could not be read from Redis just now; see the server log and /healthz.</p>`
    : '';
  return html`<table>
<thead><tr><th>host</th><th class="num">checks</th><th class="num">failed</th><th class="num">error rate</th><th class="num">mean duration</th>${stateHead}</tr></thead>
<tbody>${overview.hosts.map((host) => hostRow(host, states))}</tbody>
</table>${unavailable}`;
}

/** The key a host row's gate state is read under: its rate key (a source's row is named by the source). */
export function rateKeyOfHost(host: HostHealth): string {
  return host.rateKey ?? host.host;
}

/** How a host's state word is coloured: a circuit open as a failure, a hold or a limit at work as a warning. */
const STATE_CLASS: Record<string, string> = { 'circuit-open': 's-failed', held: 's-expired', 'rate-limited': 's-expired', failing: 's-expired' };

function hostRow(host: HostHealth, states: ReadonlyMap<string, HostState> | undefined): Html {
  const rate = host.checks > 0 ? (host.failed / host.checks) * 100 : 0;
  const rateClass = rate >= 50 ? 's-failed' : rate > 0 ? 's-expired' : '';
  const state = states?.get(rateKeyOfHost(host));
  const stateCell = states
    ? html`<td>${state ? html`<span class="${STATE_CLASS[state.state] ?? ''}" title="${state.detail ?? ''}">${state.state}</span>` : html`<span class="muted">-</span>`}</td>`
    : '';
  return html`<tr><td class="mono">${host.host}</td><td class="num">${count(host.checks)}</td><td class="num">${count(host.failed)}</td>
<td class="num ${rateClass}">${rate.toFixed(1)}%</td><td class="num">${ms(host.latencyAvg)}</td>${stateCell}</tr>`;
}
