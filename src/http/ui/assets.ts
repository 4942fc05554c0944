import { createHash } from 'node:crypto';

/**
 * The monitors page's only assets, served by jobwatch itself (no CDN, no build step): one
 * stylesheet and one small script. The script only improves the page (local times, the copy
 * button, a confirm before a cancel); without it every page works.
 */
const STYLESHEET = `
:root { --bg: #fff; --fg: #1c2128; --muted: #5b6470; --line: #d8dee4; --panel: #f6f8fa; --link: #0969da;
  --completed: #1a7f37; --failed: #cf222e; --expired: #9a6700; --canceled: #6e7781; --errored: #8250df; --running: #0969da; --overdue: #bc4c00; }
@media (prefers-color-scheme: dark) {
  :root { --bg: #0d1117; --fg: #e6edf3; --muted: #9198a1; --line: #30363d; --panel: #161b22; --link: #4493f8;
    --completed: #3fb950; --failed: #f85149; --expired: #d29922; --canceled: #8b949e; --errored: #ab7df8; --running: #4493f8; --overdue: #f0883e; }
}
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; background: var(--bg); color: var(--fg); }
header { display: flex; gap: 1.5rem; align-items: baseline; padding: .7rem 1.2rem; border-bottom: 1px solid var(--line); background: var(--panel); }
header strong { font-size: 1.05rem; }
main { padding: 1rem 1.2rem 2rem; max-width: 1400px; }
a { color: var(--link); text-decoration: none; } a:hover { text-decoration: underline; }
nav a[aria-current] { font-weight: 600; color: var(--fg); }
h1 { font-size: 1.3rem; margin: .2rem 0 1rem; word-break: break-all; } h2 { font-size: 1.05rem; margin: 1.6rem 0 .6rem; }
table { border-collapse: collapse; width: 100%; } th, td { text-align: left; padding: .35rem .6rem; border-bottom: 1px solid var(--line); vertical-align: top; }
th { color: var(--muted); font-weight: 600; font-size: .85rem; } td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
code, pre, .mono { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: .85rem; }
pre { background: var(--panel); border: 1px solid var(--line); padding: .6rem; overflow: auto; max-height: 24rem; white-space: pre-wrap; word-break: break-all; }
.muted { color: var(--muted); } .note { color: var(--muted); font-size: .9rem; }
.cards { display: grid; grid-template-columns: repeat(auto-fill, minmax(11rem, 1fr)); gap: .8rem; }
.card { border: 1px solid var(--line); border-radius: 6px; padding: .6rem .8rem; background: var(--panel); }
.card b { display: block; font-size: 1.5rem; font-variant-numeric: tabular-nums; }
.badge { display: inline-block; padding: 0 .45rem; border-radius: 1rem; font-size: .8rem; border: 1px solid currentColor; white-space: nowrap; }
.s-completed { color: var(--completed); } .s-failed { color: var(--failed); } .s-expired { color: var(--expired); }
.s-canceled { color: var(--canceled); } .s-errored { color: var(--errored); } .s-starting, .s-scheduled, .s-polling, .s-running, .s-terminal { color: var(--running); } .s-overdue { color: var(--overdue); }
tr.overdue td:first-child { box-shadow: inset 3px 0 var(--overdue); }
.badge.s-starting { border-style: dashed; }
p.start-failed { border-left: 3px solid var(--failed); padding: .3rem .6rem; background: var(--panel); }
form.filters { display: flex; flex-wrap: wrap; gap: .6rem; align-items: end; margin-bottom: 1rem; }
form.filters label { display: flex; flex-direction: column; font-size: .8rem; color: var(--muted); gap: .15rem; }
input, select, button { font: inherit; color: var(--fg); background: var(--bg); border: 1px solid var(--line); border-radius: 4px; padding: .3rem .5rem; }
button { cursor: pointer; background: var(--panel); } button.danger { color: var(--failed); border-color: var(--failed); }
.pager { display: flex; gap: 1rem; margin-top: .8rem; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: .25rem 1rem; margin: 0; } dl.facts dt { color: var(--muted); } dl.facts dd { margin: 0; word-break: break-all; }
.actions { display: flex; flex-wrap: wrap; gap: .8rem; align-items: center; margin: .4rem 0 1rem; }
.actions input { width: 32rem; max-width: 100%; }
.error { border: 1px solid var(--failed); color: var(--failed); padding: .6rem .8rem; border-radius: 6px; }
svg.chart { width: 100%; max-width: 760px; height: auto; } svg.chart text { fill: var(--muted); font-size: 11px; }
svg.chart line { stroke: var(--line); }
.f-completed { fill: var(--completed); } .f-failed { fill: var(--failed); } .f-expired { fill: var(--expired); } .f-canceled { fill: var(--canceled); } .f-errored { fill: var(--errored); }
.legend { display: flex; gap: 1rem; font-size: .85rem; } .legend span::before { content: "■ "; }
.grid2 { display: grid; grid-template-columns: repeat(auto-fit, minmax(22rem, 1fr)); gap: 1.5rem; }
`;

const SCRIPT = `
(function () {
  var format = new Intl.DateTimeFormat(undefined, { year: 'numeric', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', second: '2-digit' });
  document.querySelectorAll('time[datetime]').forEach(function (el) {
    var at = new Date(el.getAttribute('datetime'));
    if (!isNaN(at.getTime())) { el.textContent = format.format(at); el.setAttribute('data-local', ''); }
  });
  document.querySelectorAll('button[data-copy]').forEach(function (button) {
    var field = document.getElementById(button.getAttribute('data-copy'));
    button.hidden = false;
    button.addEventListener('click', function () {
      var done = function () { button.textContent = 'Copied'; };
      if (navigator.clipboard && window.isSecureContext) { navigator.clipboard.writeText(field.value).then(done); return; }
      field.select(); document.execCommand('copy'); done();
    });
  });
  document.querySelectorAll('form[data-confirm]').forEach(function (form) {
    form.addEventListener('submit', function (event) { if (!window.confirm(form.getAttribute('data-confirm'))) event.preventDefault(); });
  });
})();
`;

/** The tab's icon (without one a browser asks for /favicon.ico, which jobwatch does not serve). */
const ICON = '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 16 16"><circle cx="8" cy="8" r="6.5" fill="none" stroke="#0969da" stroke-width="2"/><path d="M8 4v4l3 2" fill="none" stroke="#0969da" stroke-width="2"/></svg>';

export interface Asset {
  body: string;
  type: string;
  /** Part of the URL, so that a new version is a new URL and an old one may be cached for long. */
  version: string;
}

function asset(body: string, type: string): Asset {
  return { body, type, version: createHash('sha256').update(body).digest('hex').slice(0, 12) };
}

export const ASSETS = {
  'ui.css': asset(STYLESHEET, 'text/css; charset=utf-8'),
  'ui.js': asset(SCRIPT, 'text/javascript; charset=utf-8'),
  'icon.svg': asset(ICON, 'image/svg+xml'),
} as const;
export type AssetName = keyof typeof ASSETS;
