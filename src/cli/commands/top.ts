import type { Config } from '../../config/config.ts';
import type { JobwatchClient } from '../../client/jobwatch-client.ts';
import { MAX_LIST_LIMIT } from '../../client/list-query.ts';
import { durationFlag, integerFlag, parseFlags, printHelp, printJson } from '../flags.ts';
import { openClient } from '../services.ts';
import { abortOnInterrupt, CLEAR_SCREEN, sleep } from '../terminal.ts';
import { renderTop, type TopFrame } from '../top-render.ts';

export const topHelp = `Usage: jobwatch top [--once] [--json] [--limit N] [--every DURATION]

A live list of running monitors (monitor, job, state, polls, last status, next poll; overdue ones,
their next poll more than two intervals past, marked !) under the count of monitors that ended in
the last hour, by outcome. On a terminal it redraws every second until Ctrl-C; otherwise, or with
--once, it prints once and exits.

  --once             print once and exit
  --json             print once, as one JSON line
  --limit N          running monitors shown, newest first, 1 to ${MAX_LIST_LIMIT} (default: 20)
  --every DURATION   time between two screens, 500ms to 1m (default: 1s)`;

const DEFAULT_LIMIT = 20;
const DEFAULT_EVERY_MS = 1_000;
const HOUR_MS = 3_600_000;

export async function topCommand(args: string[], readConfig: () => Config): Promise<number> {
  const flags = { once: { type: 'boolean' }, json: { type: 'boolean' }, limit: { type: 'string' }, every: { type: 'string' } } as const;
  const { values } = parseFlags(args, flags, 'top');
  if (values.help) return printHelp(topHelp);
  const limit = integerFlag('--limit', values.limit, 1, MAX_LIST_LIMIT) ?? DEFAULT_LIMIT;
  const everyMs = durationFlag('--every', values.every, 500, 60_000) ?? DEFAULT_EVERY_MS;
  const live = process.stdout.isTTY === true && !values.once && !values.json;
  const services = await openClient(readConfig(), 'top');
  try {
    if (!live) {
      const frame = await readFrame(services.client, limit);
      if (values.json) printJson({ at: new Date(frame.now).toISOString(), endedLastHour: frame.ends, running: frame.running, more: frame.more });
      else process.stdout.write(`${renderTop(frame)}\n`);
      return 0;
    }
    await redrawUntilInterrupted(services.client, limit, everyMs);
    return 0;
  } finally {
    await services.close();
  }
}

/** One screen's data: one page of running monitors and one count query, read together. */
async function readFrame(client: JobwatchClient, limit: number): Promise<TopFrame> {
  const now = Date.now();
  const [page, ends] = await Promise.all([client.listMonitors({ state: 'running', limit }), client.countEnds(new Date(now - HOUR_MS))]);
  return { now, ends, running: page.monitors, more: page.nextCursor !== null };
}

/** Redraws the whole screen each `everyMs` (read time included) until Ctrl-C, which quits with 0. */
async function redrawUntilInterrupted(client: JobwatchClient, limit: number, everyMs: number): Promise<void> {
  const controller = new AbortController();
  const stopListening = abortOnInterrupt(controller);
  try {
    while (!controller.signal.aborted) {
      const started = Date.now();
      const frame = await readFrame(client, limit);
      process.stdout.write(`${CLEAR_SCREEN}${renderTop({ ...frame, everyMs })}\n`);
      await sleep(started + everyMs - Date.now(), controller.signal);
    }
  } finally {
    stopListening();
  }
}
