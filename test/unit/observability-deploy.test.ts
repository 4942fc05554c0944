import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { exportedMetricNames, metricsIn, readYaml } from '../helpers/metric-names.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const RULES = join(ROOT, 'deploy/prometheus/jobwatch-rules.yml');
const DASHBOARD = join(ROOT, 'deploy/grafana/jobwatch.json');
// Debian's prometheus package brings promtool; CI installs it (.ci/run).
const hasPromtool = spawnSync('promtool', ['--version']).status === 0;
if (!hasPromtool && process.env.CI) throw new Error('promtool is not installed: apt-get install -y prometheus');
if (!hasPromtool) console.warn('promtool is not installed (apt-get install -y prometheus): the rules and PromQL checks are skipped');

interface Rule { alert: string; expr: string; for?: string; labels?: Record<string, string>; annotations?: Record<string, string> }
interface Panel { type: string; title: string; description?: string; datasource?: { uid?: string }; targets?: { expr: string }[]; panels?: Panel[] }
interface Dashboard { schemaVersion: number; title: string; uid: string; panels: Panel[]; templating: { list: { name: string; type: string; query: string }[] } }

const rules = readYaml<{ groups: { rules: Rule[] }[] }>(RULES).groups.flatMap((group) => group.rules);
const dashboard = JSON.parse(readFileSync(DASHBOARD, 'utf8')) as Dashboard;
const panels = dashboard.panels.flatMap((panel) => [panel, ...(panel.panels ?? [])]).filter((panel) => panel.type !== 'row');
const exported = exportedMetricNames();

/** The anchors of a Markdown page's headings, as GitHub makes them. */
function anchorsOf(page: string): Set<string> {
  return new Set([...readFileSync(join(ROOT, page), 'utf8').matchAll(/^#{1,6} (.+)$/gm)]
    .map((match) => match[1]!.trim().toLowerCase().replace(/[^\w\- ]/g, '').replace(/ /g, '-')));
}

const scratch = mkdtempSync(join(tmpdir(), 'jobwatch-promql-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe('deploy/prometheus/jobwatch-rules.yml', () => {
  it('has the alerts the dashboard page lists, each with a for, a severity, a summary and a runbook section', () => {
    expect(rules.map((rule) => rule.alert)).toEqual([
      'JobwatchMonitorsOverdue', 'JobwatchCircuitOpen', 'JobwatchStatusErrorRateHigh', 'JobwatchCompletionsWaitingForPostgres',
      'JobwatchNotificationsFailing', 'JobwatchPollLatenessHigh', 'JobwatchNoWorkerTakingPolls', 'JobwatchRedisMayEvict',
    ]);
    const runbook = anchorsOf('docs/runbook.md');
    for (const rule of rules) {
      expect(rule.for, rule.alert).toMatch(/^\d+[smh]$/);
      expect(['warning', 'critical'], rule.alert).toContain(rule.labels?.severity);
      expect(rule.annotations?.summary, rule.alert).toBeTruthy();
      const [page, anchor] = rule.annotations!.runbook_url!.split('#');
      expect(page, rule.alert).toBe('docs/runbook.md');
      expect(runbook.has(anchor!), `${rule.alert}: docs/runbook.md has no section #${anchor}`).toBe(true);
    }
  });

  it('names only metrics jobwatch exports', () => {
    for (const rule of rules) for (const name of metricsIn(rule.expr)) expect(exported.has(name), `${rule.alert}: ${name}`).toBe(true);
  });

  it.runIf(hasPromtool)('passes promtool check rules, and promtool test rules fires each alert and keeps it quiet', () => {
    expect(execFileSync('promtool', ['check', 'rules', RULES], { encoding: 'utf8' })).toMatch(/SUCCESS: 8 rules found/);
    const tested = spawnSync('promtool', ['test', 'rules', 'jobwatch-rules.test.yml'], { cwd: join(ROOT, 'deploy/prometheus'), encoding: 'utf8' });
    expect(tested.stdout + tested.stderr).toMatch(/SUCCESS/);
    expect(tested.status).toBe(0);
    // Every alert has a case that fires it.
    const cases = readFileSync(join(ROOT, 'deploy/prometheus/jobwatch-rules.test.yml'), 'utf8');
    for (const rule of rules) expect(cases, rule.alert).toMatch(new RegExp(`alertname: ${rule.alert}\\n\\s+exp_alerts:`));
  });
});

describe('deploy/prometheus/prometheus.yml', () => {
  it.runIf(hasPromtool)('passes promtool check config, its rules included (the token file as the container writes it)', () => {
    const config = readFileSync(join(ROOT, 'deploy/prometheus/prometheus.yml'), 'utf8');
    const token = join(scratch, 'jobwatch-token');
    writeFileSync(token, 'a-token');
    writeFileSync(join(scratch, 'prometheus.yml'), config.replaceAll('/tmp/jobwatch-token', token));
    writeFileSync(join(scratch, 'jobwatch-rules.yml'), readFileSync(RULES));
    expect(execFileSync('promtool', ['check', 'config', join(scratch, 'prometheus.yml')], { encoding: 'utf8' })).toMatch(/SUCCESS: 8 rules found/);
  });
});

describe('deploy/grafana/jobwatch.json', () => {
  it('imports as is: a schema of Grafana 10/11, a Prometheus datasource variable every panel uses', () => {
    expect(dashboard.schemaVersion).toBeGreaterThanOrEqual(36);
    expect(dashboard.uid).toBe('jobwatch');
    expect(dashboard.templating.list).toContainEqual(expect.objectContaining({ name: 'datasource', type: 'datasource', query: 'prometheus' }));
    for (const panel of panels) expect(panel.datasource?.uid, panel.title).toBe('${datasource}');
  });

  it('shows what the issue asks for, each panel saying what to do when it looks wrong', () => {
    const titles = panels.map((panel) => panel.title).join('\n');
    for (const wanted of [/ended, by outcome/, /overdue/, /lateness p50 \/ p99/, /duration .*by key/, /error rate by key/, /held back/, /Circuits/,
      /Completions waiting for Postgres/, /Notification backlog/, /Notification attempts/, /saturation/, /CPU/, /memory/]) {
      expect(titles).toMatch(wanted);
    }
    for (const panel of panels) {
      expect(panel.description?.length ?? 0, `${panel.title} has no description`).toBeGreaterThan(60);
      expect(panel.targets?.length ?? 0, panel.title).toBeGreaterThan(0);
    }
  });

  it('queries only metrics jobwatch exports', () => {
    for (const panel of panels) {
      for (const target of panel.targets!) {
        const names = metricsIn(target.expr);
        expect(names.length, `${panel.title}: ${target.expr}`).toBeGreaterThan(0);
        for (const name of names) expect(exported.has(name), `${panel.title}: ${name}`).toBe(true);
      }
    }
  });

  it.runIf(hasPromtool)('has PromQL that Prometheus parses', () => {
    // Each query as a recording rule, which promtool parses; Grafana's $__rate_interval as a range.
    const records = panels.flatMap((panel, p) => panel.targets!.map((target, i) => ({ record: `panel_${p}_${i}`, expr: target.expr.replaceAll('$__rate_interval', '5m') })));
    const file = join(scratch, 'panels.yml');
    writeFileSync(file, JSON.stringify({ groups: [{ name: 'panels', rules: records }] }));
    expect(execFileSync('promtool', ['check', 'rules', file], { encoding: 'utf8' })).toMatch(new RegExp(`SUCCESS: ${records.length} rules found`));
  });
});
