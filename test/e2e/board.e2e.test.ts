import { existsSync, mkdirSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../../src/wiring/start-server.ts';
import type { WorkerProcess } from '../../src/wiring/worker-process.ts';
import { request, startTestServer } from '../helpers/http.ts';
import { createIsolation, type Isolated } from '../helpers/isolation.ts';
import { startStatusServer, type StatusServer } from '../helpers/status-server.ts';
import { waitFor } from '../helpers/wait.ts';
import { startTestWorker } from '../helpers/workers.ts';

/** Debian's chromium package; browser downloads are not used. */
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const TOKEN = 'board-e2e-token-5c1d9f3a7b';
const SCREENSHOTS = 'test-results';

let iso: Isolated;
let status: StatusServer;
let server: RunningServer;
let worker: WorkerProcess;
let browser: Browser;
let monitor: { polls: number; nextPollAt: string };

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`no Chromium at ${CHROMIUM}: install it with \`apt-get install -y chromium\`, or set CHROMIUM_PATH`);
  mkdirSync(SCREENSHOTS, { recursive: true });
  iso = await createIsolation();
  status = await startStatusServer();
  server = await startTestServer(iso, { JOBWATCH_API_TOKEN: TOKEN });
  worker = await startTestWorker(iso);
  // One monitor polled once and now delayed for an hour, one that has ended.
  status.script('job-77', [{ status: 'Processing' }]);
  status.script('job-78', [{ status: 'Completed' }]);
  const start = (jobId: string, monitorId: string) => request(`${server.url}/api/monitors`, {
    method: 'POST', token: TOKEN, body: { jobId, monitorId, statusUrl: status.template, interval: '1h', metadata: { team: 'video' } },
  });
  await start('job-77', 'transcode-77');
  await start('job-78', 'transcode-78');
  monitor = await waitFor(async () => {
    const state = (await request(`${server.url}/api/monitors/transcode-77`, { token: TOKEN })).json;
    return state.polls === 1 && state.state === 'scheduled' ? state : undefined;
  }, { what: 'transcode-77 polled once and delayed' });
  await waitFor(async () => (await request(`${server.url}/api/monitors/transcode-78`, { token: TOKEN })).json.persisted, { what: 'transcode-78 ended' });
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
});

afterAll(async () => {
  await browser?.close();
  await worker?.close(5_000);
  await server?.close();
  await status?.close();
  await iso?.cleanup();
});

/**
 * A time as the board prints it (its date formatter: the time alone for today, with the day for
 * another day of this year), in the browser's locale and time zone the test sets.
 */
function asBoardShowsIt(iso: string, locale: string, timeZone: string): string {
  const day = (at: Date) => new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(at);
  const at = new Date(iso);
  const today = day(at) === day(new Date());
  const parts: Intl.DateTimeFormatOptions = today
    ? { hour: 'numeric', minute: 'numeric', second: 'numeric' }
    : { month: 'numeric', day: 'numeric', hour: 'numeric', minute: '2-digit', second: '2-digit' };
  return new Intl.DateTimeFormat(locale, { ...parts, timeZone }).format(at);
}

describe('Bull Board in a real browser', () => {
  it('without credentials: 401, and nothing of the board', async () => {
    const context = await browser.newContext();
    try {
      const page = await context.newPage();
      const boardRequests: string[] = [];
      page.on('request', (r) => {
        if (new URL(r.url()).pathname.startsWith('/board/')) boardRequests.push(r.url());
      });
      const answered = page.waitForResponse((response) => new URL(response.url()).pathname === '/board');
      // With no credentials to offer, Chromium ends the navigation at the challenge (an error in
      // Playwright); the answer itself is what the server sent.
      const navigation = await page.goto(`${server.url}/board`, { waitUntil: 'domcontentloaded' }).catch((error: Error) => error);
      const response = await answered;
      expect(response.status()).toBe(401);
      expect(response.headers()['www-authenticate']).toMatch(/^Basic realm="jobwatch board"/);
      expect(navigation instanceof Error ? navigation.message : navigation?.status()).toMatch(/ERR_INVALID_AUTH_CREDENTIALS|^401$/);
      // The 401 carried no page: no script of the board loaded, none of its API was called.
      expect(boardRequests).toEqual([]);
    } finally {
      await context.close();
    }
  });

  it('with a wrong password: 401', async () => {
    const context = await browser.newContext({ httpCredentials: { username: 'ops', password: 'not-the-token' } });
    try {
      const response = await (await context.newPage()).goto(`${server.url}/board`, { waitUntil: 'domcontentloaded' });
      expect(response?.status()).toBe(401);
    } finally {
      await context.close();
    }
  });

  it('shows when a re-scheduled poll runs next: its nextPollAt, to the second', async () => {
    const locale = 'en-GB';
    const timezoneId = 'UTC';
    const context = await browser.newContext({ httpCredentials: { username: 'ops', password: TOKEN }, locale, timezoneId, viewport: { width: 1400, height: 900 } });
    try {
      const page = await context.newPage();
      await page.goto(`${server.url}/board/queue/polls?status=delayed`, { waitUntil: 'domcontentloaded' });
      await page.getByText('poll transcode-77').first().waitFor();
      const willRun = page.locator('li', { hasText: 'Will run at' }).first();
      await willRun.waitFor();
      expect(await willRun.locator('time').innerText()).toBe(asBoardShowsIt(monitor.nextPollAt, locale, timezoneId));
      // Without the board's note that the run time is unknown since the delay changed.
      expect(await page.locator('body').innerText()).not.toMatch(/Delay changed/i);
      await page.screenshot({ path: `${SCREENSHOTS}/board-next-run.png` });
    } finally {
      await context.close();
    }
  });

  it('with basic auth: both queues with what they are; a delayed poll job shows its monitor', async () => {
    const context = await browser.newContext({ httpCredentials: { username: 'ops', password: TOKEN }, viewport: { width: 1400, height: 900 } });
    try {
      const page = await context.newPage();
      const response = await page.goto(`${server.url}/board`, { waitUntil: 'domcontentloaded' });
      expect(response?.status()).toBe(200);
      await page.getByText('polls: running monitors').first().waitFor();
      await page.getByText('completions: final records').first().waitFor();
      const menu = page.getByRole('navigation').or(page.locator('aside')).first();
      await expect.poll(() => menu.innerText()).toMatch(/polls[\s\S]*completions/);
      await page.screenshot({ path: `${SCREENSHOTS}/board-overview.png` });

      // Open the poll queue, its delayed jobs, and the monitor's job.
      await page.getByRole('link', { name: 'polls', exact: true }).click();
      await page.waitForURL(/\/board\/queue\/polls/);
      await page.getByText(/One job per running monitor/).first().waitFor();
      await page.getByRole('link', { name: /^delayed/i }).or(page.getByText(/^delayed$/i)).first().click();
      await page.getByText('poll transcode-77').first().waitFor();
      const text = await page.locator('body').innerText();
      expect(text).toContain('monitorId:"transcode-77"');
      expect(text).toContain('jobId:"job-77"');
      expect(text).toContain('polls:1');
      expect(text).toContain(`nextPollAt:"${monitor.nextPollAt}"`);
      expect(text).toContain('lastStatus:"Processing"');
      expect(text).not.toContain(TOKEN);
      await page.screenshot({ path: `${SCREENSHOTS}/board.png`, fullPage: true });

      // The ended monitor's final record, on the completions queue.
      await page.getByRole('link', { name: 'completions', exact: true }).click();
      await page.waitForURL(/\/board\/queue\/completions/);
      await page.getByText('persist-result transcode-78').first().waitFor();
      expect(await page.locator('body').innerText()).toContain('outcome:"completed"');
      await page.screenshot({ path: `${SCREENSHOTS}/board-completions.png` });
    } finally {
      await context.close();
    }
  });
});
