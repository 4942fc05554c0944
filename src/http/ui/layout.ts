import { html } from 'hono/html';
import { ASSETS } from './assets.ts';

/** A piece of HTML: every value interpolated into `html` is escaped unless it is itself such a piece. */
export type Html = ReturnType<typeof html>;

/** Where the monitors page is served. */
export const UI_PATH = '/ui';

export type Section = 'overview' | 'monitors' | 'none';

/** The page around every view: head, navigation, the assets (same origin, as the CSP demands). */
export function page(title: string, section: Section, body: Html, options: { boardPath: string }): Html {
  const link = (name: Section, href: string, label: string) =>
    name === section ? html`<a href="${href}" aria-current="page">${label}</a>` : html`<a href="${href}">${label}</a>`;
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title} · jobwatch</title>
<link rel="icon" href="${UI_PATH}/assets/icon.svg?v=${ASSETS['icon.svg'].version}" type="image/svg+xml">
<link rel="stylesheet" href="${UI_PATH}/assets/ui.css?v=${ASSETS['ui.css'].version}">
<script src="${UI_PATH}/assets/ui.js?v=${ASSETS['ui.js'].version}" defer></script>
</head>
<body>
<header>
<strong>jobwatch</strong>
<nav>
${link('overview', UI_PATH, 'Overview')} ·
${link('monitors', `${UI_PATH}/monitors`, 'Monitors')} ·
<a href="${options.boardPath}">Bull Board</a>
</nav>
</header>
<main>
${body}
</main>
</body>
</html>`;
}

/**
 * A time as ISO (UTC) in the markup, which is what a browser without JavaScript shows; the page's
 * script rewrites the text into the browser's zone and the tooltip keeps the ISO value.
 */
export function timeTag(at: string | number | null | undefined): Html {
  if (at === null || at === undefined) return html`<span class="muted">-</span>`;
  const iso = typeof at === 'number' ? new Date(at).toISOString() : at;
  return html`<time datetime="${iso}" title="${iso}">${iso}</time>`;
}

/** A state or an outcome as a coloured badge. */
export function badge(label: string, kind: string = label): Html {
  return html`<span class="badge s-${kind}">${label}</span>`;
}

/** A JSON value, pretty-printed and escaped. */
export function jsonBlock(value: unknown): Html {
  if (value === null || value === undefined) return html`<span class="muted">none</span>`;
  return html`<pre>${JSON.stringify(value, null, 2)}</pre>`;
}

/** A number with thousands separators, as the page shows counts. */
export function count(n: number): string {
  return n.toLocaleString('en-US');
}

/** A query string of the non-empty values, for links that keep a page's filters. */
export function queryString(values: Record<string, string | undefined>): string {
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(values)) if (value) params.set(name, value);
  const text = params.toString();
  return text ? `?${text}` : '';
}
