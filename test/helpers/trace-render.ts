import type { ReceivedSpan } from './otlp-receiver.ts';

const BAR_WIDTH = 40;

/**
 * One trace's received spans as a text waterfall, the way a trace viewer draws them: a tree by
 * parent, children in start order, each line with its process, a bar placed on the trace's time
 * line and its duration. A span whose parent was not received (the caller's own) is a root.
 */
export function renderTrace(spans: readonly ReceivedSpan[]): string {
  if (spans.length === 0) return '(no spans)\n';
  const begin = Math.min(...spans.map((span) => span.startMs));
  const end = Math.max(...spans.map((span) => span.endMs));
  const total = Math.max(end - begin, 1e-3);
  const rows = treeRows(spans);
  const labelWidth = Math.max(4, ...rows.map((row) => row.label.length));
  const serviceWidth = Math.max(7, ...spans.map((span) => span.service.length));
  const header = `trace ${spans[0]!.traceId} · ${spans.length} spans · ${formatMs(total)}`;
  const columns = `${'span'.padEnd(labelWidth)}  ${'service'.padEnd(serviceWidth)}  ${timeAxis(total)}  duration`;
  const lines = rows.map(({ span, label }) =>
    `${label.padEnd(labelWidth)}  ${span.service.padEnd(serviceWidth)}  ${bar(span, begin, total)}  ${formatMs(span.endMs - span.startMs).padStart(8)}`);
  return [header, columns, ...lines].join('\n') + '\n';
}

const SVG = { row: 24, label: 400, service: 140, bars: 520, duration: 90, pad: 12 };
const SERVICE_COLOURS = ['#4e79a7', '#f28e2b', '#59a14f', '#e15759', '#76b7b2'];

/** The same waterfall as an SVG picture (a trace viewer's look), for a browser to show or screenshot. */
export function renderTraceSvg(spans: readonly ReceivedSpan[]): string {
  const begin = Math.min(...spans.map((span) => span.startMs));
  const total = Math.max(Math.max(...spans.map((span) => span.endMs)) - begin, 1e-3);
  const rows = treeRows(spans);
  const services = [...new Set(spans.map((span) => span.service))];
  const barsX = SVG.pad + SVG.label + SVG.service;
  const width = barsX + SVG.bars + SVG.duration + SVG.pad;
  const height = SVG.pad * 2 + SVG.row * (rows.length + 2);
  // Line 0 is the title, line 1 the column heads, the spans from line 2; `top` is a line's top edge.
  const top = (line: number) => SVG.pad + SVG.row * line;
  const text = (x: number, line: number, content: string, extra = '') => `<text x="${x}" y="${top(line) + 17}" ${extra}>${escapeXml(content)}</text>`;
  const grey = 'fill="#666"';
  const lines = rows.map(({ span, label }, index) => {
    const line = index + 2;
    const x = barsX + ((span.startMs - begin) / total) * SVG.bars;
    const w = Math.max(2, ((span.endMs - span.startMs) / total) * SVG.bars);
    const colour = SERVICE_COLOURS[services.indexOf(span.service) % SERVICE_COLOURS.length];
    return [
      index % 2 === 0 ? `<rect x="0" y="${top(line)}" width="${width}" height="${SVG.row}" fill="#f3f5f8"/>` : '',
      text(SVG.pad, line, label), text(SVG.pad + SVG.label, line, span.service, `fill="${colour}"`),
      `<rect x="${x.toFixed(1)}" y="${top(line) + 5}" width="${w.toFixed(1)}" height="14" rx="2" fill="${colour}"/>`,
      text(width - SVG.pad, line, formatMs(span.endMs - span.startMs), 'text-anchor="end"'),
    ].join('');
  });
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="DejaVu Sans Mono, monospace" font-size="13">`,
    `<rect width="${width}" height="${height}" fill="#fff"/>`,
    text(SVG.pad, 0, `trace ${spans[0]!.traceId} · ${spans.length} spans · ${formatMs(total)}`, 'font-weight="bold"'),
    text(SVG.pad, 1, 'span', grey) + text(SVG.pad + SVG.label, 1, 'service', grey),
    text(barsX, 1, '0', grey) + text(barsX + SVG.bars, 1, formatMs(total), `${grey} text-anchor="end"`),
    text(width - SVG.pad, 1, 'duration', `${grey} text-anchor="end"`),
    ...lines,
    '</svg>',
  ].join('\n') + '\n';
}

function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

interface Row {
  span: ReceivedSpan;
  label: string;
}

/** Depth-first rows with tree guides (├─ └─ │), children sorted by start. */
function treeRows(spans: readonly ReceivedSpan[]): Row[] {
  const ids = new Set(spans.map((span) => span.spanId));
  const children = new Map<string | undefined, ReceivedSpan[]>();
  for (const span of spans) {
    const parent = span.parentSpanId !== undefined && ids.has(span.parentSpanId) ? span.parentSpanId : undefined;
    children.set(parent, [...(children.get(parent) ?? []), span]);
  }
  for (const list of children.values()) list.sort((a, b) => a.startMs - b.startMs);
  const rows: Row[] = [];
  const walk = (parent: string | undefined, prefix: string, isRoot: boolean) => {
    const list = children.get(parent) ?? [];
    list.forEach((span, index) => {
      const last = index === list.length - 1;
      const guide = isRoot ? '' : `${prefix}${last ? '└─ ' : '├─ '}`;
      rows.push({ span, label: guide + describe(span) });
      walk(span.spanId, isRoot ? '' : `${prefix}${last ? '   ' : '│  '}`, false);
    });
  };
  walk(undefined, '', true);
  return rows;
}

/** The span's name, with the attributes a reader looks for first. */
function describe(span: ReceivedSpan): string {
  const poll = span.attributes['jobwatch.poll.number'];
  const outcome = span.attributes['jobwatch.outcome'];
  const status = span.attributes['http.response.status_code'];
  return [span.name, poll !== undefined ? `#${poll}` : '', status !== undefined ? `→ ${status}` : '', outcome !== undefined ? `(${outcome})` : '']
    .filter(Boolean).join(' ');
}

function bar(span: ReceivedSpan, begin: number, total: number): string {
  const from = Math.min(BAR_WIDTH - 1, Math.floor(((span.startMs - begin) / total) * BAR_WIDTH));
  const to = Math.max(from + 1, Math.min(BAR_WIDTH, Math.ceil(((span.endMs - begin) / total) * BAR_WIDTH)));
  return `|${' '.repeat(from)}${'█'.repeat(to - from)}${' '.repeat(BAR_WIDTH - to)}|`;
}

function timeAxis(total: number): string {
  const right = formatMs(total);
  return `|0${' '.repeat(Math.max(1, BAR_WIDTH - 1 - right.length))}${right}|`;
}

function formatMs(ms: number): string {
  if (ms >= 1000) return `${(ms / 1000).toFixed(2)} s`;
  if (ms >= 10) return `${ms.toFixed(0)} ms`;
  return `${ms.toFixed(1)} ms`;
}
