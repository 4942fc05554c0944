import { existsSync, mkdirSync } from 'node:fs';
import { chromium, type Browser, type BrowserContextOptions, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../../src/wiring/start-server.ts';
import { request, startTestServer } from '../helpers/http.ts';
import { createIsolation, type Isolated } from '../helpers/isolation.ts';
import { startStatusServer, type StatusServer } from '../helpers/status-server.ts';
import { waitFor } from '../helpers/wait.ts';
import { exited, spawnWorker } from '../helpers/workers.ts';

/**
 * The monitors page in headless Chromium, over monitors real worker processes polled to every end:
 * completed, failed, expired, canceled, and still running. Screenshots go to test-results/.
 */
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const TOKEN = 'ui-e2e-token-3f9a6c1d2e';
const SCREENSHOTS = 'test-results';
const LOGIN = { httpCredentials: { username: 'ops', password: TOKEN }, viewport: { width: 1280, height: 900 } } satisfies BrowserContextOptions;

let iso: Isolated;
let status: StatusServer;
let server: RunningServer;
let browser: Browser;
const workers: ReturnType<typeof spawnWorker>[] = [];

const api = (path: string, method = 'GET') => request(`${server.url}/api/monitors${path}`, { method, token: TOKEN });

async function start(body: Record<string, unknown>): Promise<void> {
  const reply = await request(`${server.url}/api/monitors`, { method: 'POST', token: TOKEN, body: { statusUrl: status.template, ...body } });
  if (reply.status !== 201) throw new Error(`start ${JSON.stringify(body)}: ${reply.status} ${reply.text}`);
}

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`no Chromium at ${CHROMIUM}: install it with \`apt-get install -y chromium\`, or set CHROMIUM_PATH`);
  mkdirSync(SCREENSHOTS, { recursive: true });
  iso = await createIsolation();
  status = await startStatusServer();
  const secrets = { JOBWATCH_API_TOKEN: TOKEN, JOBWATCH_CALLBACK_SECRET: 'ui-e2e-callback-secret-0123456789abcdef', JOBWATCH_HISTORY: 'all' };
  server = await startTestServer(iso, { ...secrets, JOBWATCH_BOARD_WRITE: '1' });
  // Two `jobwatch worker` processes, as deployed (the compiled CLI).
  const env = iso.env({ ...secrets, LOG_LEVEL: 'info' });
  workers.push(spawnWorker(env, ['--concurrency', '5']), spawnWorker(env, ['--concurrency', '5']));
  await waitFor(() => workers.every((worker) => worker.output().includes('"msg":"worker started"')), { what: 'both workers to start', timeoutMs: 30_000 });

  status.script('job-done', [{ code: 503 }, { status: 'Processing' }, { status: 'Completed' }]);
  status.script('job-failed', [{ status: 'Processing' }, { status: 'Failed' }]);
  status.script('job-slow', [{ status: 'Processing' }]);
  status.script('job-cancel', [{ status: 'Processing' }]);
  status.script('job-render', [{ status: 'Running' }]);
  status.script('job-encode', [{ status: 'InProgress' }]);
  await start({ jobId: 'job-done', monitorId: 'render-done', interval: '100ms', metadata: { team: 'video', customer: 'acme' } });
  await start({ jobId: 'job-failed', monitorId: 'render-failed', interval: '100ms', metadata: { team: 'video' } });
  await start({ jobId: 'job-slow', monitorId: 'render-expired', interval: '200ms', expireIn: '1s' });
  await start({ jobId: 'job-cancel', monitorId: 'render-canceled', interval: '1h' });
  await start({ jobId: 'job-render', monitorId: 'render-running', interval: '1h', metadata: { team: 'video' } });
  await start({ jobId: 'job-encode', monitorId: 'encode-running', interval: '1h', metadata: { team: 'audio' } });
  await waitFor(async () => (await api('/render-canceled')).json.polls === 1 && (await api('/encode-running')).json.polls === 1 && (await api('/render-running')).json.polls === 1,
    { what: 'the running monitors polled once' });
  await api('/render-canceled', 'DELETE');
  for (const id of ['render-done', 'render-failed', 'render-expired', 'render-canceled']) {
    await waitFor(async () => (await api(`/${id}`)).json.persisted === true, { what: `${id} ended and written` });
  }
  await waitFor(async () => (await api('/render-done/checks')).json.checks.length === 3, { what: 'the history of render-done written' });
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
});

afterAll(async () => {
  await browser?.close();
  for (const worker of workers) if (worker.exitCode === null) worker.kill('SIGTERM');
  await Promise.all(workers.map(exited));
  await server?.close();
  await status?.close();
  await iso?.cleanup();
});

async function withPage<T>(options: BrowserContextOptions, work: (page: Page) => Promise<T>): Promise<T> {
  const context = await browser.newContext(options);
  try {
    const page = await context.newPage();
    // A page of ours that broke the CSP or threw would say so here (Bull Board's own are not ours).
    const problems: string[] = [];
    const ours = () => new URL(page.url()).pathname.startsWith('/ui');
    page.on('console', (message) => { if (message.type() === 'error' && ours()) problems.push(`${page.url()}: ${message.text()}`); });
    page.on('pageerror', (error) => { if (ours()) problems.push(`${page.url()}: ${error.message}`); });
    const result = await work(page);
    expect(problems).toEqual([]);
    return result;
  } finally {
    await context.close();
  }
}

const listedIds = (page: Page) => page.locator('tbody tr td:first-child a').allInnerTexts();

describe('the monitors page in Chromium', () => {
  it('without credentials: 401 and nothing of the page', async () => {
    const context = await browser.newContext();
    try {
      const page = await context.newPage();
      const answered = page.waitForResponse((response) => new URL(response.url()).pathname === '/ui');
      await page.goto(`${server.url}/ui`, { waitUntil: 'domcontentloaded' }).catch((error: Error) => error);
      const response = await answered;
      expect(response.status()).toBe(401);
      expect(await response.text()).not.toContain('render-');
    } finally {
      await context.close();
    }
  });

  it('overview: counts by outcome, running monitors, the chart of ends, polling timings and the status host', async () => {
    await withPage({ ...LOGIN, colorScheme: 'light' }, async (page) => {
      const response = await page.goto(`${server.url}/ui`);
      expect(response?.status()).toBe(200);
      const outcomes = Object.fromEntries(await page.locator('section table tbody tr').evaluateAll((rows) =>
        rows.map((row) => [row.querySelector('td')!.textContent!.trim(), [...row.querySelectorAll('td.num')].map((cell) => Number(cell.textContent))])));
      expect(outcomes).toEqual({ completed: [1, 1, 1], failed: [1, 1, 1], canceled: [1, 1, 1], expired: [1, 1, 1], errored: [0, 0, 0] });
      expect(await page.locator('.card').first().innerText()).toMatch(/^2\s*running/);
      expect(await page.locator('svg.chart rect').count()).toBe(4); // one bar segment per outcome, all in the last hour
      const host = page.locator('tr', { hasText: new URL(status.url).host });
      expect(await host.locator('td').allInnerTexts()).toEqual([new URL(status.url).host, expect.any(String), '1', expect.stringMatching(/%$/), expect.stringMatching(/ms$/), 'ok']);
      await page.screenshot({ path: `${SCREENSHOTS}/ui-overview.png`, fullPage: true });
    });
  });

  it('list: every monitor, running first; times in the browser\'s zone with the ISO value as tooltip', async () => {
    await withPage({ ...LOGIN, timezoneId: 'Asia/Tokyo', locale: 'en-GB' }, async (page) => {
      await page.goto(`${server.url}/ui/monitors`);
      const ids = await listedIds(page);
      expect(ids.slice(0, 2).sort()).toEqual(['encode-running', 'render-running']);
      expect(ids.slice(2).sort()).toEqual(['render-canceled', 'render-done', 'render-expired', 'render-failed']);
      const time = page.locator('tr', { hasText: 'render-done' }).locator('time');
      const iso = (await time.getAttribute('datetime'))!;
      expect(await time.getAttribute('title')).toBe(iso);
      await expect.poll(() => time.getAttribute('data-local')).toBe('');
      const local = new Intl.DateTimeFormat('en-GB', { timeZone: 'Asia/Tokyo', year: 'numeric', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', second: '2-digit' }).format(new Date(iso));
      expect(await time.innerText()).toBe(local);
      await page.screenshot({ path: `${SCREENSHOTS}/ui-monitors.png`, fullPage: true });
    });
  });

  it('filters narrow the list: outcome, id prefix, metadata', async () => {
    await withPage(LOGIN, async (page) => {
      await page.goto(`${server.url}/ui/monitors`);
      await page.selectOption('select[name=state]', 'failed');
      await Promise.all([page.waitForURL(/state=failed/), page.click('button[type=submit]')]);
      expect(await listedIds(page)).toEqual(['render-failed']);

      await page.selectOption('select[name=state]', '');
      await page.fill('input[name=idPrefix]', 'encode');
      await Promise.all([page.waitForURL(/idPrefix=encode/), page.click('button[type=submit]')]);
      expect(await listedIds(page)).toEqual(['encode-running']);

      await page.fill('input[name=idPrefix]', '');
      await page.fill('input[name=metadata]', 'team=video');
      await Promise.all([page.waitForURL(/metadata=team%3Dvideo/), page.click('button[type=submit]')]);
      expect((await listedIds(page)).slice(0, 1)).toEqual(['render-running']);
      expect((await listedIds(page)).slice(1).sort()).toEqual(['render-done', 'render-failed']);
      expect(await page.inputValue('input[name=metadata]')).toBe('team=video');
      await page.screenshot({ path: `${SCREENSHOTS}/ui-monitors-filtered.png`, fullPage: true });

      await page.fill('input[name=metadata]', '');
      await page.fill('input[name=from]', '2099-01-01T00:00:00');
      await Promise.all([page.waitForURL(/from=2099/), page.click('button[type=submit]')]);
      expect(await listedIds(page)).toEqual([]);
      expect(await page.locator('main').innerText()).toContain('No monitor matches.');
    });
  });

  it('monitor page: the final record and the timeline of its checks, in order', async () => {
    await withPage(LOGIN, async (page) => {
      await page.goto(`${server.url}/ui/monitors`);
      await Promise.all([page.waitForURL(/\/ui\/monitors\/render-done$/), page.click('a:text-is("render-done")')]);
      expect(await page.locator('h1').innerText()).toMatch(/^render-done\s+completed/);
      const rows = await page.locator('table.timeline tbody tr').evaluateAll((trs) =>
        trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent!.trim())).map((cells) => [cells[0], cells[2], cells[3]!.split(' ')[0], cells[4], cells[7]]));
      expect(rows).toEqual([['1', 'failed', 'http-status', '503', 'poll'], ['2', 'running', 'Processing', '200', 'poll'], ['3', 'terminal', 'Completed', '200', 'poll']]);
      expect(await page.locator('dl.facts').innerText()).toMatch(/job status\s+Completed[\s\S]*polls\s+3/);
      expect(await page.locator('pre').first().innerText()).toContain('"customer": "acme"');
      expect(await page.getByRole('link', { name: 'Job in Bull Board' }).getAttribute('href')).toBe('/board/queue/completions/m-render-done');
      await page.screenshot({ path: `${SCREENSHOTS}/ui-monitor.png`, fullPage: true });
    });
  });

  it('monitor pages of the other ends: expired, failed, canceled', async () => {
    await withPage(LOGIN, async (page) => {
      for (const [id, outcome, last] of [['render-expired', 'expired', 'Processing'], ['render-failed', 'failed', 'Failed'], ['render-canceled', 'canceled', 'Processing']] as const) {
        await page.goto(`${server.url}/ui/monitors/${id}`);
        expect(await page.locator('h1').innerText()).toContain(outcome);
        const statuses = await page.locator('table.timeline tbody tr td:nth-child(4)').allInnerTexts();
        expect(statuses.at(outcome === 'canceled' ? -1 : -1)).toBe(last);
      }
    });
  });

  it('a running monitor: its context, the callback URL to copy, and cancel', async () => {
    await withPage({ ...LOGIN, permissions: ['clipboard-read', 'clipboard-write'] }, async (page) => {
      await page.goto(`${server.url}/ui/monitors/encode-running`);
      expect(await page.locator('h1').innerText()).toMatch(/encode-running\s+scheduled/);
      expect(await page.locator('dl.facts').innerText()).toMatch(/last status\s+InProgress/);
      const callbackUrl = await page.inputValue('#callback-url');
      expect(callbackUrl).toMatch(/\/callbacks\/encode-running\/[\w-]+$/);
      await page.click('button[data-copy]');
      await expect.poll(() => page.evaluate(() => navigator.clipboard.readText())).toBe(callbackUrl);
      await page.screenshot({ path: `${SCREENSHOTS}/ui-monitor-running.png`, fullPage: true });

      // Its job in Bull Board: the delayed poll job.
      await Promise.all([page.waitForURL(/\/board\/queue\/polls\/m-encode-running$/), page.click('a:text-is("Job in Bull Board")')]);
      await page.getByText('poll encode-running').first().waitFor();
      await page.goBack();
      await page.locator('h1', { hasText: 'encode-running' }).waitFor();

      page.once('dialog', (dialog) => void dialog.accept());
      await Promise.all([page.waitForURL(/\/ui\/monitors\/encode-running$/), page.click('button:text-is("Cancel monitor")')]);
      await expect.poll(async () => page.locator('h1').innerText()).toMatch(/encode-running\s+canceled/);
      expect((await api('/encode-running')).json).toMatchObject({ state: 'ended', outcome: 'canceled' });
    });
  });

  it('works without JavaScript: the list filters by a plain form, the monitor page shows ISO times', async () => {
    await withPage({ ...LOGIN, javaScriptEnabled: false }, async (page) => {
      await page.goto(`${server.url}/ui/monitors`);
      await page.selectOption('select[name=state]', 'expired');
      await Promise.all([page.waitForURL(/state=expired/), page.click('button[type=submit]')]);
      expect(await listedIds(page)).toEqual(['render-expired']);
      await Promise.all([page.waitForURL(/render-expired$/), page.click('a:text-is("render-expired")')]);
      expect(await page.locator('time').first().innerText()).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
      await page.screenshot({ path: `${SCREENSHOTS}/ui-monitor-no-js.png`, fullPage: true });
    });
  });

  it('dark mode follows the browser', async () => {
    await withPage({ ...LOGIN, colorScheme: 'dark' }, async (page) => {
      await page.goto(`${server.url}/ui`);
      expect(await page.evaluate(() => getComputedStyle(document.body).backgroundColor)).toBe('rgb(13, 17, 23)');
      await page.screenshot({ path: `${SCREENSHOTS}/ui-overview-dark.png`, fullPage: true });
    });
  });
});
