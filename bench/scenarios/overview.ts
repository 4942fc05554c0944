import { sql } from 'drizzle-orm';
import { request } from 'undici';
import type { DatabaseHandle } from '../../src/db/database.ts';
import { nowMs, settle, summarize } from '../harness/measure.ts';
import { row, type Row, type ScenarioContext } from '../harness/scenario.ts';
import { ShippedJobwatch } from '../harness/shipped-jobwatch.ts';

/** What the overview must answer within, at 100,000 ended monitors (issue 13). */
const TARGET_MS = 300;
/** A deployment's status hosts, one of them failing now and then. */
const HOSTS = 10;

/**
 * (13) The monitors page's overview (`GET /ui`) over a week of history: N ended monitors spread over
 * 7 days, each with the three checks JOBWATCH_HISTORY=changes keeps (first, change, end), a last hour
 * of every-check history from running monitors on 10 hosts, and running monitors in Redis. Seeded in
 * SQL (generate_series), analyzed, then the page is requested one at a time and timed.
 */
export async function overviewScenario(context: ScenarioContext): Promise<Row[]> {
  const { config, services } = context;
  const { endedMonitors, lastHourChecks, runningMonitors, requests } = config.overview;
  // A `jobwatch server` process as shipped, on a database seeded before it is asked anything.
  const jobwatch = await ShippedJobwatch.start(services, 'overview');
  context.progress(`overview: seeding ${endedMonitors} ended monitors, ${endedMonitors * 3 + lastHourChecks} checks`);
  const seeded = nowMs();
  await seedOverview(jobwatch.database, endedMonitors, lastHourChecks);
  const seedSeconds = (nowMs() - seeded) / 1000;
  try {
    await jobwatch.startMonitors(Array.from({ length: runningMonitors }, (_, i) => ({ jobId: `running-${i}`, statusUrl: 'http://127.0.0.1:9/jobs/{jobId}', interval: '1h' })));
    const get = async (path: string) => {
      const started = nowMs();
      const response = await request(`${jobwatch.url}${path}`);
      const body = await response.body.text();
      if (response.statusCode !== 200) throw new Error(`bench: GET ${path} answered ${response.statusCode}: ${body.slice(0, 200)}`);
      return nowMs() - started;
    };
    context.progress('overview: warm-up');
    for (let i = 0; i < Math.max(5, requests / 10); i++) await get('/ui');
    await settle();
    const overview: number[] = [];
    for (let i = 0; i < requests; i++) overview.push(await get('/ui'));
    const list: number[] = [];
    for (let i = 0; i < requests; i++) list.push(await get('/ui/monitors?state=failed'));
    const o = summarize(overview);
    const l = summarize(list);
    context.progress(`overview: p50 ${o.p50.toFixed(1)} ms, p99 ${o.p99.toFixed(1)} ms; list p50 ${l.p50.toFixed(1)} ms`);
    const shape = `\`jobwatch server\` as shipped; ${endedMonitors} ended monitors over 7 d, ${endedMonitors * 3 + lastHourChecks} checks (${lastHourChecks} in the last hour, ${HOSTS} hosts), ` +
      `${runningMonitors} running; ${requests} sequential requests after a warm-up; seeded in ${seedSeconds.toFixed(1)} s`;
    return [
      row({ id: '13a', measurement: 'monitors page overview (GET /ui), p50', value: o.p50, unit: 'ms', samples: overview, target: { on: 'value', op: '<=', value: TARGET_MS }, note: shape }),
      row({ id: '13b', measurement: 'monitors page overview (GET /ui), p99', value: o.p99, unit: 'ms', target: { on: 'value', op: '<=', value: TARGET_MS } }),
      row({ id: '13c', measurement: 'monitors list, failed ones (GET /ui/monitors?state=failed), p50 / p99', value: l.p50, unit: 'ms', note: `p99 ${l.p99.toFixed(1)} ms` }),
    ];
  } finally {
    await jobwatch.close();
  }
}

/** One outcome in ten of each kind but completed, as a healthy deployment ends them. */
export async function seedOverview(handle: DatabaseHandle, ended: number, lastHourChecks: number): Promise<void> {
  const spacingMs = (7 * 24 * 3_600_000) / ended;
  await handle.db.execute(sql`
    insert into monitor_results (monitor_id, job_id, outcome, job_status, polls, started_at, finished_at, detail, metadata)
    select 'ended-' || i, 'job-' || i,
      (array['completed','completed','completed','completed','completed','completed','failed','expired','canceled','errored'])[1 + i % 10],
      'Completed', 3 + i % 20,
      now() - make_interval(secs => i * ${spacingMs / 1000}::float8) - interval '10 minutes',
      now() - make_interval(secs => i * ${spacingMs / 1000}::float8),
      '{"status": "Completed"}'::jsonb, jsonb_build_object('team', 'team-' || (i % 8))
    from generate_series(1, ${ended}::int) as i`);
  await handle.db.execute(sql`
    insert into monitor_checks (monitor_id, seq, checked_at, status, result, latency_ms, late_ms, via, status_host)
    select 'ended-' || i, s, now() - make_interval(secs => i * ${spacingMs / 1000}::float8) - make_interval(mins => 10 - 5 * (s - 1)),
      case s when 1 then 'Queued' when 2 then 'Processing' else 'Completed' end,
      case s when 3 then 'terminal' else 'running' end, 20 + (i * 7 + s) % 400, (i * 13 + s) % 120, 'poll', 'jobs-' || (i % ${HOSTS}::int) || '.example:443'
    from generate_series(1, ${ended}::int) as i, generate_series(1, 3) as s`);
  await handle.db.execute(sql`
    insert into monitor_checks (monitor_id, seq, checked_at, status, result, reason, http_status, latency_ms, late_ms, via, status_host)
    select 'running-' || (i % 1000), 1000 + i / 1000, now() - make_interval(secs => (i % 3600)),
      case when i % 50 = 0 then null else 'Processing' end, case when i % 50 = 0 then 'failed' else 'running' end,
      case when i % 50 = 0 then 'http-status' end, case when i % 50 = 0 then 503 else 200 end,
      20 + (i * 7) % 900, (i * 11) % 200, 'poll', 'jobs-' || (i % ${HOSTS}::int) || '.example:443'
    from generate_series(1, ${lastHourChecks}::int) as i`);
  // As autovacuum leaves tables that only grow (it vacuums on inserts since Postgres 13): statistics
  // and the visibility map that lets the (finished_at, outcome) index answer without the table.
  await handle.db.execute(sql`vacuum analyze monitor_results`);
  await handle.db.execute(sql`vacuum analyze monitor_checks`);
}
