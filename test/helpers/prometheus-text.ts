/**
 * A strict reader of the Prometheus text exposition format (version 0.0.4), so that a test can
 * prove /metrics parses: every line is a comment, a HELP/TYPE line or a well-formed sample; every
 * sample belongs to a declared family; histogram buckets are cumulative and end with +Inf = count.
 */
export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface Exposition {
  types: Map<string, string>;
  samples: Sample[];
  /** The value of one sample; 0 when it is absent (a counter not yet incremented). */
  value(name: string, labels?: Record<string, string>): number;
}

const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})?\s+(\S+)(\s+-?\d+)?$/;
const LABEL = /\s*([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"\s*(,|$)/y;
const TYPES = new Set(['counter', 'gauge', 'histogram', 'summary', 'untyped']);

export function parsePrometheusText(text: string): Exposition {
  const types = new Map<string, string>();
  const samples: Sample[] = [];
  text.split('\n').forEach((line, index) => {
    const fail = (why: string) => { throw new Error(`line ${index + 1}: ${why}: ${line}`); };
    if (line.trim() === '') return;
    if (line.startsWith('# TYPE ')) {
      const [, name, type] = line.split(' ').slice(1);
      if (!name || !type || !TYPES.has(type)) fail('bad TYPE line');
      if (types.has(name!)) fail('family declared twice');
      types.set(name!, type!);
      return;
    }
    if (line.startsWith('#')) return;
    const match = SAMPLE.exec(line);
    if (!match) return fail('not a sample');
    const value = parseValue(match[4]!);
    if (value === undefined) fail('bad value');
    const name = match[1]!;
    if (!types.has(familyOf(name, types))) fail('sample of an undeclared family');
    samples.push({ name, labels: parseLabels(match[3] ?? '', fail), value: value! });
  });
  checkHistograms(types, samples);
  return {
    types,
    samples,
    value(name, labels = {}) {
      const found = samples.find((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v)
        && Object.keys(s.labels).length === Object.keys(labels).length);
      return found?.value ?? 0;
    },
  };
}

function familyOf(name: string, types: Map<string, string>): string {
  for (const suffix of ['_bucket', '_sum', '_count']) {
    const base = name.slice(0, -suffix.length);
    if (name.endsWith(suffix) && (types.get(base) === 'histogram' || types.get(base) === 'summary')) return base;
  }
  return name;
}

/** Go's ParseFloat, which Prometheus uses: NaN and Inf in any letter case (prom-client writes `Nan`). */
function parseValue(text: string): number | undefined {
  const word = text.toLowerCase();
  if (word === '+inf' || word === 'inf') return Infinity;
  if (word === '-inf') return -Infinity;
  if (word === 'nan') return NaN;
  const value = Number(text);
  return Number.isNaN(value) ? undefined : value;
}

function parseLabels(text: string, fail: (why: string) => never): Record<string, string> {
  const labels: Record<string, string> = {};
  LABEL.lastIndex = 0;
  while (LABEL.lastIndex < text.length) {
    const match = LABEL.exec(text);
    if (!match) fail('bad labels');
    labels[match![1]!] = match![2]!.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
  }
  return labels;
}

function checkHistograms(types: Map<string, string>, samples: Sample[]): void {
  for (const [family, type] of types) {
    if (type !== 'histogram') continue;
    const series = new Map<string, Sample[]>();
    for (const sample of samples.filter((s) => s.name === `${family}_bucket`)) {
      const { le, ...rest } = sample.labels;
      if (le === undefined) throw new Error(`${family}_bucket without le`);
      const key = JSON.stringify(rest);
      series.set(key, [...(series.get(key) ?? []), sample]);
    }
    for (const [key, buckets] of series) {
      const values = buckets.map((b) => b.value);
      if (values.some((v, i) => i > 0 && v < values[i - 1]!)) throw new Error(`${family} buckets not cumulative (${key})`);
      const inf = buckets.find((b) => b.labels.le === '+Inf');
      const count = samples.find((s) => s.name === `${family}_count` && JSON.stringify(s.labels) === key);
      if (!inf || !count || inf.value !== count.value) throw new Error(`${family}: +Inf bucket does not equal _count (${key})`);
    }
  }
}
