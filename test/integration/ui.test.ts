import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../../src/wiring/start-server.ts';
import type { WorkerProcess } from '../../src/wiring/worker-process.ts';
import { basicAuth, request, startTestServer } from '../helpers/http.ts';
import { writeSourcesFile, type SourcesFile } from '../helpers/sources-file.ts';
import { createIsolation, type Isolated } from '../helpers/isolation.ts';
import { startOperationServices, type OperationServices } from '../helpers/operation-services.ts';
import { startStatusServer, type StatusServer } from '../helpers/status-server.ts';
import { waitFor } from '../helpers/wait.ts';
import { startTestWorker } from '../helpers/workers.ts';

/**
 * The monitors page over real HTTP, on a real server, worker, Redis and Postgres: auth, what each
 * page shows, the filters, escaping, the cancel form and its guards, and bad input as a 400 page.
 */
const TOKEN = 'ui-test-token-8d1f2a';
const AUTH = basicAuth('ops', TOKEN);
const HOSTILE_JOB = `<script>alert("job")</script>'&"`;
const HOSTILE_STATUS = `<script>alert('status')</script>"`;

let iso: Isolated;
let status: StatusServer;
let server: RunningServer;
let readOnly: RunningServer;
let worker: WorkerProcess;

async function start(body: Record<string, unknown>): Promise<void> {
  const reply = await request(`${server.url}/api/monitors`, { method: 'POST', token: TOKEN, body: { statusUrl: status.template, ...body } });
  expect(reply.status, reply.text).toBe(201);
}

async function stateOf(monitorId: string): Promise<any> {
  return (await request(`${server.url}/api/monitors/${encodeURIComponent(monitorId)}`, { token: TOKEN })).json;
}

const get = (path: string, headers: Record<string, string> = AUTH) => request(`${server.url}${path}`, { headers });

let sourcesFile: SourcesFile | undefined;
let operations: OperationServices;

beforeAll(async () => {
  iso = await createIsolation();
  status = await startStatusServer();
  operations = await startOperationServices({ retryAfter: null, runningPolls: 1 });
  // `scripted`: the status server read by a mapping (a source monitor); `op-202` and `op-body`:
  // fake job services that jobwatch starts (operations).
  sourcesFile = writeSourcesFile({
    scripted: { url: status.template, statusPath: 'status' },
    'op-202': { start: { url: operations.http202.startUrl }, convention: 'http-202' },
    'op-body': {
      start: { url: operations.bodyId.startUrl, jobIdPath: 'id' }, url: operations.bodyId.pollTemplate,
      statusPath: 'status', running: ['Processing'], completed: ['Completed'], failed: ['Failed'],
    },
  });
  const sourcesPath = sourcesFile.path;
  const env = { JOBWATCH_API_TOKEN: TOKEN, JOBWATCH_BOARD_WRITE: '1', JOBWATCH_CALLBACK_SECRET: 'ui-test-callback-secret-0123456789', JOBWATCH_HISTORY: 'all', JOBWATCH_SOURCES: sourcesPath };
  server = await startTestServer(iso, env);
  readOnly = await startTestServer(iso, { ...env, JOBWATCH_BOARD_WRITE: '0' });
  worker = await startTestWorker(iso, { JOBWATCH_HISTORY: 'all', JOBWATCH_SOURCES: sourcesPath });
  status.script('job-done', [{ status: 'Processing' }, { status: 'Completed' }]);
  status.script('job-failed', [{ status: 'Failed' }]);
  status.script('job-slow', [{ status: 'Processing' }]);
  status.script('job-running', [{ status: 'Processing' }]);
  status.script('job-cancel', [{ status: 'Processing' }]);
  status.script(HOSTILE_JOB, [{ status: HOSTILE_STATUS }]);
  await start({ jobId: 'job-done', monitorId: 'ui-done', interval: '100ms', metadata: { team: 'video' } });
  await start({ jobId: 'job-failed', monitorId: 'ui-failed', interval: '100ms', metadata: { team: 'audio' } });
  await start({ jobId: 'job-slow', monitorId: 'ui-expired', interval: '100ms', expireIn: '1s' });
  await start({ jobId: 'job-running', monitorId: 'ui-running', interval: '1h', metadata: { team: 'video' } });
  await start({ jobId: 'job-cancel', monitorId: 'ui-canceled', interval: '1h' });
  // A status that is no known one ends the monitor as failed, with that status as its last.
  await start({ jobId: HOSTILE_JOB, monitorId: 'ui-hostile', interval: '100ms', metadata: { '<b>"key"</b>': `<script>alert('meta')</script>` } });
  await waitFor(async () => (await stateOf('ui-running')).polls === 1 && (await stateOf('ui-canceled')).polls === 1,
    { what: 'the hour-interval monitors polled once' });
  await request(`${server.url}/api/monitors/ui-canceled`, { method: 'DELETE', token: TOKEN });
  for (const id of ['ui-done', 'ui-failed', 'ui-expired', 'ui-canceled', 'ui-hostile']) {
    await waitFor(async () => (await stateOf(id)).persisted === true, { what: `${id} ended and written` });
  }
  // The history writer batches its rows: wait until the ended monitors' checks are in.
  await waitFor(async () => (await request(`${server.url}/api/monitors/ui-done/checks`, { token: TOKEN })).json.checks.length === 2, { what: 'ui-done history written' });
});

afterAll(async () => {
  sourcesFile?.remove();
  await worker?.close(5_000);
  await readOnly?.close();
  await server?.close();
  await status?.close();
  await operations?.close();
  await iso?.cleanup();
});

describe('auth: the board\'s basic auth', () => {
  it.each(['/ui', '/ui/monitors', '/ui/monitors/ui-done', '/ui/assets/ui.css'])('%s: 401 without credentials, 401 with a wrong password, 200 with the token', async (path) => {
    const missing = await get(path, {});
    expect(missing.status).toBe(401);
    expect(missing.headers.get('www-authenticate')).toMatch(/^Basic /);
    expect(missing.text).not.toContain('ui-done');
    expect((await get(path, basicAuth('ops', 'wrong'))).status).toBe(401);
    expect((await get(path)).status).toBe(200);
  });
});

describe('pages', () => {
  it('serve HTML under a strict Content-Security-Policy, with the script and stylesheet from jobwatch', async () => {
    const reply = await get('/ui');
    expect(reply.headers.get('content-type')).toMatch(/^text\/html/);
    expect(reply.headers.get('content-security-policy')).toBe("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'");
    const assets = [...reply.text.matchAll(/(?:src|href)="(\/ui\/assets\/[^"]+)"/g)].map((match) => match[1]!);
    expect(assets).toHaveLength(3);
    for (const asset of assets) expect((await get(asset.replaceAll('&amp;', '&'))).status).toBe(200);
    expect(reply.text).not.toMatch(/<script>(?!alert)|<style|style="|https?:\/\/(?!127\.0\.0\.1)/); // nothing inline, nothing from elsewhere
  });

  it('overview: counts by outcome, running monitors, a chart, timings and the status host', async () => {
    const text = (await get('/ui')).text;
    const row = (outcome: string) => new RegExp(`s-${outcome}">${outcome}</span></td>(<td class="num"><a [^>]+>(\\d+)</a></td>){3}`).exec(text)?.[0];
    const counts = (outcome: string) => [...(row(outcome) ?? '').matchAll(/>(\d+)<\/a>/g)].map((m) => Number(m[1]));
    expect(counts('completed')).toEqual([1, 1, 1]);
    expect(counts('failed')).toEqual([2, 2, 2]);
    expect(counts('expired')).toEqual([1, 1, 1]);
    expect(counts('canceled')).toEqual([1, 1, 1]);
    expect(counts('errored')).toEqual([0, 0, 0]);
    expect(text).toMatch(/<b><a href="\/ui\/monitors\?state=running">1<\/a><\/b>running/);
    expect(text).toMatch(/<svg class="chart"[\s\S]*<rect class="f-completed"/);
    expect(text).toMatch(/poll lateness[\s\S]*status call duration/);
    expect(text).toContain(`<td class="mono">${new URL(status.url).host}</td>`);
    // The gate's state of the host (test/integration/host-states.test.ts shows the others): no limit, no failures.
    expect(text).toMatch(/<td><span class="" title="">ok<\/span><\/td><\/tr>/);
  });

  it('list: every monitor, running first, with its row; the overdue mark is absent for monitors on time', async () => {
    const text = (await get('/ui/monitors')).text;
    const order = ['ui-running', 'ui-hostile', 'ui-canceled', 'ui-expired', 'ui-failed', 'ui-done'].map((id) => text.indexOf(`>${id}</a>`));
    expect(order.every((at) => at > 0)).toBe(true);
    expect(order[0]).toBeLessThan(Math.min(...order.slice(1)));
    expect(text).toMatch(/ui-done<\/a><\/td><td class="mono">job-done<\/td><td><span class="badge s-completed">completed<\/span><\/td><td class="num">2<\/td>\s*<td>Completed<\/td><td>finished <time datetime="[^"]+Z"/);
    expect(text).not.toContain('badge s-overdue');
  });

  it('marks a running monitor whose next poll is more than 2 intervals past due (no worker polls it)', async () => {
    const idle = await createIsolation();
    const idleServer = await startTestServer(idle, { JOBWATCH_API_TOKEN: TOKEN });
    try {
      const reply = await request(`${idleServer.url}/api/monitors`, { method: 'POST', token: TOKEN, body: { jobId: 'job-stuck', statusUrl: status.template, interval: '100ms' } });
      const dueAt = Date.parse(reply.json.nextPollAt);
      await waitFor(() => Date.now() > dueAt + 2 * 100 + 50, { what: 'two intervals past its next poll' });
      const text = (await request(`${idleServer.url}/ui/monitors`, { headers: AUTH })).text;
      expect(text).toMatch(/<tr class="overdue"><td><a [^>]+>job-stuck<\/a>[\s\S]*?badge s-overdue">overdue/);
    } finally {
      await idleServer.close();
      await idle.cleanup();
    }
  });

  it('list filters narrow: state, id prefix (monitor or job id), metadata, time range', async () => {
    const ids = async (query: string) => [...(await get(`/ui/monitors?${query}`)).text.matchAll(/class="mono">(ui-[a-z]+)<\/a>/g)].map((m) => m[1]);
    expect((await ids('state=failed')).sort()).toEqual(['ui-failed', 'ui-hostile']);
    expect(await ids('state=running')).toEqual(['ui-running']);
    expect(await ids('idPrefix=ui-ex')).toEqual(['ui-expired']);
    expect(await ids('idPrefix=job-ca')).toEqual(['ui-canceled']);
    expect(await ids('metadata=team%3Dvideo')).toEqual(['ui-running', 'ui-done']);
    expect(await ids('metadata=team%3Dvideo&state=completed')).toEqual(['ui-done']);
    expect(await ids('from=2099-01-01T00%3A00')).toEqual([]);
    expect(await ids('to=2000-01-01T00%3A00%3A00Z')).toEqual([]);
    expect(await ids('state=&idPrefix=&metadata=&from=&to=')).toHaveLength(6); // an empty form filters nothing
    const paged = await get('/ui/monitors?limit=4&idPrefix=ui-');
    const next = /href="([^"]+)" rel="next"/.exec(paged.text)![1]!.replaceAll('&amp;', '&');
    expect(next).toContain('idPrefix=ui-'); // the next page keeps the filters
    const firstPage = [...paged.text.matchAll(/class="mono">(ui-[a-z]+)<\/a>/g)].map((m) => m[1]);
    const secondPage = [...(await get(next)).text.matchAll(/class="mono">(ui-[a-z]+)<\/a>/g)].map((m) => m[1]);
    expect(firstPage).toHaveLength(4);
    expect([...firstPage, ...secondPage].sort()).toEqual(['ui-canceled', 'ui-done', 'ui-expired', 'ui-failed', 'ui-hostile', 'ui-running']);
  });

  it('the list API takes the same filters', async () => {
    const reply = await request(`${server.url}/api/monitors?idPrefix=ui-f&metadata=team=audio`, { token: TOKEN });
    expect(reply.json.monitors.map((m: { monitorId: string }) => m.monitorId)).toEqual(['ui-failed']);
    const bad = await request(`${server.url}/api/monitors?from=yesterday`, { token: TOKEN });
    expect(bad.status).toBe(400);
    expect(bad.json.field).toBe('from');
  });

  it('bad filters: a 400 page with one line naming the parameter', async () => {
    for (const [query, message] of [
      ['state=bogus', 'state: must be one of running, completed'],
      ['from=yesterday', 'from: must be an ISO time'],
      ['metadata=novalue', 'metadata: must be key=value'],
      ['from=2026-01-02T00:00&to=2026-01-01T00:00', 'from: is after to'],
      ['limit=0', 'limit: must be at least 1'],
      ['cursor=nonsense', 'cursor: is not a cursor'],
    ]) {
      const reply = await get(`/ui/monitors?${query}`);
      expect(reply.status, query).toBe(400);
      expect(/<p class="error">([^<]*)<\/p>/.exec(reply.text)?.[1], query).toContain(message);
    }
  });

  it('monitor page: the final record and the check timeline in order', async () => {
    const text = (await get('/ui/monitors/ui-done')).text;
    expect(text).toContain('<h2>Final record</h2>');
    const rows = [...text.matchAll(/<tr><td class="num">(\d+)<\/td><td><time[^>]*>[^<]*<\/time><\/td><td><span class="badge s-(\w+)">\w+<\/span><\/td><td>(\w+)<\/td>/g)].map((m) => [m[1], m[2], m[3]]);
    expect(rows).toEqual([['1', 'running', 'Processing'], ['2', 'terminal', 'Completed']]);
    expect(text).toContain('<th>via</th><th>source</th></tr></thead>'); // how each status was learned: both polled; through no source
    expect([...text.matchAll(/<td>(\w+)<\/td>\s*<td><span class="muted">-<\/span><\/td><\/tr>/g)].map((m) => m[1])).toEqual(['poll', 'poll']);
    expect(text).toContain('href="/board/queue/completions/m-ui-done"');
    expect(text).toContain('/callbacks/ui-done/'); // the callback URL, to copy
    expect(text).not.toContain('Cancel monitor'); // ended: nothing to cancel
  });

  it('monitor page of a running monitor: its context, the cancel form, a board link to its poll job', async () => {
    const text = (await get('/ui/monitors/ui-running')).text;
    expect(text).toContain('<h2>Context</h2>');
    expect(text).toMatch(/<dt>next poll<\/dt><dd><time datetime="[^"]+"/);
    expect(text).toContain('action="/ui/monitors/ui-running/cancel"');
    expect(text).toContain('href="/board/queue/polls/m-ui-running"');
    expect((await request(`${readOnly.url}/ui/monitors/ui-running`, { headers: AUTH })).text).not.toContain('Cancel monitor');
  });

  it('unknown monitor: a 404 page', async () => {
    const reply = await get('/ui/monitors/no-such-monitor');
    expect(reply.status).toBe(404);
    expect(reply.text).toContain('no monitor with id no-such-monitor');
  });

  it('escapes what users supplied: job id, metadata and status render as text', async () => {
    for (const path of ['/ui/monitors', '/ui/monitors/ui-hostile', '/ui/monitors?state=failed&idPrefix=%3Cscript%3E']) {
      const text = (await get(path)).text;
      expect(text, path).not.toContain('<script>alert');
      expect(text, path).not.toContain('<b>"key"');
      expect(text, path).toContain('&lt;script&gt;alert(&quot;job&quot;)&lt;/script&gt;&#39;&amp;&quot;');
    }
    const page = (await get('/ui/monitors/ui-hostile')).text;
    expect(page).toContain('&lt;script&gt;alert(&#39;status&#39;)&lt;/script&gt;&quot;'); // its job status
    expect(page).toContain('&lt;b&gt;\\&quot;key\\&quot;&lt;/b&gt;'); // metadata key, as JSON
    expect(page).toContain('&lt;script&gt;alert(&#39;meta&#39;)&lt;/script&gt;');
  });
});

describe('cancel from the page', () => {
  const post = (url: string, headers: Record<string, string>) =>
    fetch(url, { method: 'POST', redirect: 'manual', headers: { ...AUTH, 'content-type': 'application/x-www-form-urlencoded', ...headers }, body: '' });

  it('refuses a post from another origin, and any post on a read-only server', async () => {
    expect((await post(`${server.url}/ui/monitors/ui-running/cancel`, { origin: 'http://evil.example' })).status).toBe(403);
    const readOnlyReply = await post(`${readOnly.url}/ui/monitors/ui-running/cancel`, { origin: readOnly.url });
    expect(readOnlyReply.status).toBe(403);
    expect(await readOnlyReply.text()).toContain('set JOBWATCH_BOARD_WRITE=1');
    expect((await stateOf('ui-running')).state).toBe('scheduled');
  });

  it('cancels on a same-origin post and sends the browser back to the monitor', async () => {
    const reply = await post(`${server.url}/ui/monitors/ui-running/cancel`, { origin: server.url });
    expect(reply.status).toBe(303);
    expect(reply.headers.get('location')).toBe('/ui/monitors/ui-running');
    expect(await stateOf('ui-running')).toMatchObject({ state: 'ended', outcome: 'canceled' });
  });
});

describe('a monitor of a named source', () => {
  it('the overview names its host row by the source, the monitor page its source in the record and each check', async () => {
    status.script('job-src', [{ status: 'Processing' }, { status: 'Completed' }]);
    const reply = await request(`${server.url}/api/monitors`, { method: 'POST', token: TOKEN, body: { jobId: 'job-src', monitorId: 'ui-source', source: 'scripted', interval: '100ms' } });
    expect(reply.status, reply.text).toBe(201);
    await waitFor(async () => (await stateOf('ui-source')).persisted === true, { what: 'ui-source ended and written' });
    expect(await stateOf('ui-source')).toMatchObject({ outcome: 'completed', source: 'scripted' });
    const checks = await waitFor(async () => {
      const page = (await request(`${server.url}/api/monitors/ui-source/checks`, { token: TOKEN })).json;
      return page.checks.length === 2 ? page.checks : undefined;
    }, { what: 'ui-source history written' });
    expect(checks.map((check: { source: string | null }) => check.source)).toEqual(['scripted', 'scripted']);

    const overview = (await get('/ui')).text;
    // Named by the source; its gate state read under its rate key (the source's name), as for any host.
    expect(overview).toMatch(/<td class="mono">source scripted<\/td><td class="num">2<\/td><td class="num">0<\/td>[\s\S]*?<span class="" title="">ok<\/span>/);
    // The status URL monitors' checks keep their own row, apart from the source's.
    expect(overview).toContain(`<td class="mono">${new URL(status.url).host}</td>`);

    const page = (await get('/ui/monitors/ui-source')).text;
    expect(page).toContain('<dt>status source</dt><dd><span class="mono">source scripted</span></dd>');
    expect(page.match(/<td>poll<\/td>\s*<td>scripted<\/td><\/tr>/g)).toHaveLength(2);
    // A status URL monitor's checks name no source.
    expect((await get('/ui/monitors/ui-done')).text).toMatch(/<td>poll<\/td>\s*<td><span class="muted">-<\/span><\/td><\/tr>/);
  });
});

describe('operations on the monitors page', () => {
  const startOperation = async (body: Record<string, unknown>) => {
    const reply = await request(`${server.url}/api/operations`, { method: 'POST', token: TOKEN, body });
    expect(reply.status, reply.text).toBe(201);
  };
  const rowOf = (text: string, monitorId: string) => new RegExp(`<tr[^>]*><td><a [^>]+>${monitorId}</a></td>[\\s\\S]*?</tr>`).exec(text)?.[0];

  it('starting: the badge, no job id, the start request being sent and its last failed try; then what the start answered', async () => {
    // The first try answers 503 (retried with the same key), the second is held: the operation stays starting.
    operations.http202.failStarts(1, 503);
    operations.http202.holdStarts();
    try {
      await startOperation({ source: 'op-202', monitorId: 'ui-op-starting', interval: '100ms' });
      await waitFor(() => operations.http202.heldStarts() === 1, { what: 'the second try of the start held' });
      expect(await stateOf('ui-op-starting')).toMatchObject({ state: 'starting', jobId: null, lastError: expect.stringMatching(/503/) });

      const row = rowOf((await get('/ui/monitors')).text, 'ui-op-starting');
      expect(row).toMatch(/<td><span class="muted">-<\/span><\/td>\s*<td><span class="badge s-starting">starting<\/span>/);
      expect(row).toContain('start request <time');
      expect(row).not.toContain('null');
      const css = (await get('/ui/assets/ui.css')).text;
      expect(css).toMatch(/\.s-starting[,{ ]/);

      const page = (await get('/ui/monitors/ui-op-starting')).text;
      expect(page).toContain('<h1>ui-op-starting <span class="badge s-starting">starting</span></h1>');
      expect(page).toContain('<dt>job id</dt><dd><span class="muted">-</span></dd>');
      expect(page).toMatch(/<dt>start<\/dt><dd>starting: sending the start request to source op-202<br><span class="s-failed">last try failed: [^<]*503[^<]*\(retried with the same idempotency key\)<\/span><\/dd>/);
      expect(page).not.toMatch(/\bnull\b/);
    } finally {
      operations.http202.releaseStarts();
    }
    await waitFor(async () => (await stateOf('ui-op-starting')).persisted === true, { what: 'ui-op-starting ended and written' });
    const ended = (await get('/ui/monitors/ui-op-starting')).text;
    expect(ended).toMatch(/<dt>start<\/dt><dd>start answered 202, watching http:\/\/127\.0\.0\.1:\d+\/async\/jobs\/job-\d+\/status<\/dd>/);
    expect(ended).not.toContain('start-failed');
  });

  it('a refused start: a "start failed" line with the status and the reason, and no job id', async () => {
    operations.bodyId.failStarts(1, 400, { body: { error: 'scene is missing' } });
    await startOperation({ source: 'op-body', monitorId: 'ui-op-refused', interval: '100ms' });
    await waitFor(async () => (await stateOf('ui-op-refused')).persisted === true, { what: 'ui-op-refused ended and written' });

    const page = (await get('/ui/monitors/ui-op-refused')).text;
    expect(page).toContain('<h1>ui-op-refused <span class="badge s-failed">failed</span></h1>');
    expect(page).toMatch(/<p class="start-failed"><span class="s-failed">start failed: 400 the start request was refused: [^<]+ answered 400<\/span><\/p>/);
    expect(page).toContain('<dt>job id</dt><dd><span class="muted">-</span></dd>');
    const row = rowOf((await get('/ui/monitors')).text, 'ui-op-refused');
    expect(row).toMatch(/<td><span class="muted">-<\/span><\/td><td><span class="badge s-failed">failed<\/span>/);
    expect(row).not.toContain('null');
  });
});
