import { html } from 'hono/html';
import type { CheckPage, CheckRecordView } from '../../client/check-page.ts';
import type { EndedMonitorState, MonitorState, RunningMonitorState } from '../../client/monitor-state.ts';
import { describeStartAnswer, describeStartFailure, finishedAtStart, startFailureOf, startingText, startRetryText } from '../../monitor/operation-text.ts';
import { formatDuration, formatElapsed } from '../../time/durations.ts';
import { badge, jsonBlock, queryString, timeTag, UI_PATH, type Html } from './layout.ts';
import { isOverdue, monitorLink } from './list-page.ts';

export interface MonitorView {
  monitor: MonitorState;
  checks: CheckPage;
  /** The checks page's cursor this view shows (absent: the first page). */
  checksCursor?: string;
  /** Whether the page offers the cancel button (JOBWATCH_BOARD_WRITE). */
  writable: boolean;
  /** The monitor's job in Bull Board. */
  boardUrl: string;
  now: number;
}

/** One monitor: its state, actions, context and metadata, final record and check timeline. */
export function monitorBody(view: MonitorView): Html {
  const { monitor } = view;
  const state = monitor.state === 'ended' ? badge(monitor.outcome) : badge(monitor.state);
  const overdue = isOverdue(monitor, view.now) ? html` ${badge('overdue')}` : '';
  return html`<p class="note"><a href="${UI_PATH}/monitors">← Monitors</a></p>
<h1>${monitor.monitorId} ${state}${overdue}</h1>
${startFailedLine(monitor)}
${actions(view)}
<div class="grid2">
<section><h2>${monitor.state === 'ended' ? 'Final record' : 'Context'}</h2>${monitor.state === 'ended' ? finalRecord(monitor) : context(monitor, view.now)}</section>
<section><h2>Metadata</h2>${jsonBlock(monitor.metadata)}</section>
</div>
${monitor.state === 'ended' ? html`<h2>Detail</h2>${jsonBlock(monitor.detail)}${notifications(monitor)}` : ''}
<h2>Check timeline</h2>
${timeline(view)}`;
}

function actions(view: MonitorView): Html {
  const { monitor } = view;
  const cancel = view.writable && monitor.state !== 'ended'
    ? html`<form method="post" action="${monitorLink(monitor, '/cancel')}" data-confirm="${`Cancel monitor ${monitor.monitorId}?`}"><button type="submit" class="danger">Cancel monitor</button></form>`
    : '';
  const callback = monitor.callbackUrl
    ? html`<label class="muted" for="callback-url">callback URL</label><input id="callback-url" class="mono" readonly value="${monitor.callbackUrl}"><button type="button" data-copy="callback-url" hidden>Copy</button>`
    : '';
  return html`<div class="actions">${cancel}<a href="${view.boardUrl}">Job in Bull Board</a>${callback}</div>`;
}

function facts(rows: [string, Html | string | number][]): Html {
  return html`<dl class="facts">${rows.map(([name, value]) => html`<dt>${name}</dt><dd>${value}</dd>`)}</dl>`;
}

/** A refused start, above everything else on an operation's page: its status and why. */
function startFailedLine(monitor: MonitorState): Html | string {
  const failure = monitor.state === 'ended' ? startFailureOf(monitor.detail) : undefined;
  return failure ? html`<p class="start-failed"><span class="s-failed">start ${describeStartFailure(failure)}</span></p>` : '';
}

/** The job's id; an operation has none until its start answers one (and may never have one). */
function jobId(monitor: MonitorState): Html {
  return monitor.jobId === null ? html`<span class="muted">-</span>` : html`<span class="mono">${monitor.jobId}</span>`;
}

/** An operation's start as the context shows it: being sent (and why it is retried), or what it answered. */
function startFact(monitor: RunningMonitorState): [string, Html | string][] {
  if (!monitor.operation) return [];
  if (monitor.state === 'starting') {
    const retry = monitor.lastError === null ? '' : html`<br><span class="s-failed">${startRetryText(monitor.lastError)}</span>`;
    return [['start', html`${startingText(monitor.statusSource)}${retry}`]];
  }
  return monitor.operation.answer ? [['start', `start ${describeStartAnswer(monitor.operation.answer)}`]] : [];
}

/** An ended operation's start: refused, or what it answered (and whether that was its end). */
function endedStartFact(monitor: EndedMonitorState): [string, Html | string][] {
  if (!monitor.operation) return [];
  const failure = startFailureOf(monitor.detail);
  if (failure) return [['start', html`<span class="s-failed">start ${describeStartFailure(failure)}</span>`]];
  const answer = monitor.operation.answer;
  if (!answer) return [['start', 'not answered']];
  return [['start', `start ${describeStartAnswer(answer)}${finishedAtStart(monitor.detail) ? ', the job finished at once' : ''}`]];
}

function context(monitor: RunningMonitorState, now: number): Html {
  return facts([
    ['job id', jobId(monitor)],
    ['state', monitor.state],
    ...startFact(monitor),
    ['polls', monitor.polls],
    ['last status', monitor.lastStatus ?? '-'],
    ['last error', monitor.lastError ? html`<span class="s-failed">${monitor.lastError}</span>` : '-'],
    ['next poll', timeTag(monitor.nextPollAt)],
    ['interval', formatDuration(monitor.intervalMs)],
    ['started', html`${timeTag(monitor.startedAt)} (${formatElapsed(now - Date.parse(monitor.startedAt))} ago)`],
    ['expires', timeTag(monitor.expireAt)],
    ['status source', html`<span class="mono">${monitor.statusSource}</span>`],
    ['status field', html`<span class="mono">${monitor.statusField}</span>`],
  ]);
}

function finalRecord(monitor: EndedMonitorState): Html {
  return facts([
    ['job id', jobId(monitor)],
    ['outcome', badge(monitor.outcome)],
    ...endedStartFact(monitor),
    ['job status', monitor.jobStatus ?? '-'],
    ['polls', monitor.polls],
    ['started', timeTag(monitor.startedAt)],
    ['finished', timeTag(monitor.finishedAt)],
    ['duration', formatElapsed(Date.parse(monitor.finishedAt) - Date.parse(monitor.startedAt))],
    ...(monitor.source ? [['status source', html`<span class="mono">source ${monitor.source}</span>`] as [string, Html]] : []),
    ['record', monitor.persisted ? 'in Postgres (monitor_results)' : 'waiting in Redis for Postgres'],
  ]);
}

function notifications(monitor: EndedMonitorState): Html {
  if (!monitor.notifications?.length) return html``;
  return html`<h2>Notifications</h2><table>
<thead><tr><th>channel</th><th>target</th><th class="num">attempts</th><th>delivered</th><th>gave up</th><th>last error</th></tr></thead>
<tbody>${monitor.notifications.map((n) => html`<tr><td>${n.channel}</td><td class="mono">${n.target}</td><td class="num">${n.attempts}</td><td>${timeTag(n.deliveredAt)}</td><td>${timeTag(n.gaveUpAt)}</td><td>${n.lastError ?? '-'}</td></tr>`)}</tbody>
</table>`;
}

function timeline(view: MonitorView): Html {
  const { checks, monitor } = view;
  if (checks.checks.length === 0 && !view.checksCursor) {
    return html`<p class="note">No checks in <code>monitor_checks</code> for this monitor: history is off for it (<code>JOBWATCH_HISTORY=off</code> or its own
<code>history</code>), or the rows were purged. What the monitor itself holds: ${monitor.polls} polls, last status
${monitor.state === 'ended' ? monitor.jobStatus ?? '-' : monitor.lastStatus ?? '-'}${monitor.state === 'ended' ? '' : html`, next poll ${timeTag(monitor.nextPollAt)}`}.</p>`;
  }
  const next = checks.nextCursor ? monitorLink(monitor, '', { checks: checks.nextCursor }) : undefined;
  return html`<table class="timeline">
<thead><tr><th class="num">#</th><th>checked</th><th>result</th><th>status / reason</th><th class="num">HTTP</th><th class="num">duration</th><th class="num">late</th><th>via</th><th>source</th></tr></thead>
<tbody>${checks.checks.map(checkRow)}</tbody>
</table>
<div class="pager">${view.checksCursor ? html`<a href="${monitorLink(monitor)}">First checks</a>` : ''}${next ? html`<a href="${next}" rel="next">Later checks →</a>` : ''}</div>`;
}

function checkRow(check: CheckRecordView): Html {
  const what = check.result === 'failed'
    ? html`<span class="s-failed" title="${check.error ?? ''}">${check.reason ?? 'failed'}</span>${check.error ? html` <span class="muted">${check.error}</span>` : ''}`
    : check.status;
  return html`<tr><td class="num">${check.seq}</td><td>${timeTag(check.checkedAt)}</td><td>${badge(check.result)}</td><td>${what}</td>
<td class="num">${check.httpStatus ?? '-'}</td><td class="num">${check.latencyMs} ms</td><td class="num">${check.lateMs} ms</td><td>${check.via}</td>
<td>${check.source ?? html`<span class="muted">-</span>`}</td></tr>`;
}
