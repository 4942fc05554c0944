import { Counter, Gauge, type Registry } from 'prom-client';
import type { Logger } from 'pino';
import { coerceError } from '../errors/errors.ts';
import { withTimeout } from '../time/with-timeout.ts';

/**
 * What the gauges read at each scrape, from Redis and Postgres; each is given by the process that
 * has the connection (the wiring), and a gauge whose reader is missing is not registered.
 */
export interface ScrapeReaders {
  /** Polls that should have started and have not: how many, and how late the most overdue one is. */
  overduePolls?(): Promise<{ count: number; oldestLateMs: number }>;
  /** Notifications neither delivered nor given up (counted up to a cap), and how overdue the next is. */
  notificationBacklog?(): Promise<{ pending: number; oldestDueSeconds: number }>;
  /** Whether Redis evicts nothing (undefined: it does not say). */
  evictionPolicySafe?(): Promise<boolean | undefined>;
  /** Which of these rate keys have their circuit open. */
  openCircuits?(keys: readonly string[]): Promise<ReadonlySet<string>>;
}

/** A poll is counted overdue once it is this late and has not started. */
export const OVERDUE_AFTER_SECONDS = 60;
/** The notification backlog is counted up to this many rows; the cap reads "at least". */
export const NOTIFICATION_BACKLOG_CAP = 10_000;
/** Longest a scrape waits for one reader before it answers without its gauge. */
const READ_TIMEOUT_MS = 2_000;

/**
 * Registers the gauges read from Redis and Postgres at each scrape. A reader that fails or is slow
 * leaves its gauge out of that scrape (which still succeeds) and counts in
 * jobwatch_scrape_errors_total{gauge}.
 */
export function registerScrapeGauges(registry: Registry, readers: ScrapeReaders, rateKeys: () => readonly string[], logger: Logger): void {
  const registers = [registry];
  const errors = new Counter({
    name: 'jobwatch_scrape_errors_total',
    help: 'Scrapes that could not read a gauge from Redis or Postgres (within 2 s), by gauge; that scrape answers without it',
    labelNames: ['gauge'], registers,
  });
  // One read per scrape feeds the gauges that share it, and a failure reports them all missing.
  const read = <T>(gauge: string, reader: () => Promise<T>) => inFlight(async (): Promise<T | undefined> => {
    try {
      return await withTimeout(reader(), READ_TIMEOUT_MS, gauge);
    } catch (caught) {
      errors.inc({ gauge });
      logger.warn({ err: coerceError(caught), gauge }, 'could not read a gauge for /metrics');
      return undefined;
    }
  });
  const gauge = <T>(name: string, help: string, value: () => Promise<T | undefined>, pick: (read: T) => number | undefined, labelNames: string[] = []) =>
    new Gauge({
      name, help, labelNames, registers,
      async collect() {
        this.reset();
        const answer = await value();
        const number = answer === undefined ? undefined : pick(answer);
        if (number !== undefined) this.set(number);
      },
    });

  if (readers.overduePolls) {
    const overdue = read('overdue', readers.overduePolls);
    gauge('jobwatch_monitors_overdue',
      `Monitors whose next poll is more than ${OVERDUE_AFTER_SECONDS} s past due and has not started (read from Redis at scrape: take max, not sum)`,
      overdue, (o) => o.count);
    gauge('jobwatch_poll_overdue_seconds', 'How late the most overdue poll that has not started is; 0 when none is due (read from Redis at scrape)',
      overdue, (o) => o.oldestLateMs / 1_000);
  }
  if (readers.notificationBacklog) {
    const backlog = read('notification-backlog', readers.notificationBacklog);
    gauge('jobwatch_notification_backlog',
      `Notifications neither delivered nor given up, counted up to ${NOTIFICATION_BACKLOG_CAP} (read from Postgres at scrape: take max, not sum)`,
      backlog, (b) => b.pending);
    gauge('jobwatch_notification_backlog_oldest_seconds',
      'How long ago the most overdue undelivered notification was due for its next attempt; 0 when none is due (read from Postgres at scrape)',
      backlog, (b) => b.oldestDueSeconds);
  }
  if (readers.evictionPolicySafe) {
    gauge('jobwatch_redis_maxmemory_policy_ok',
      'Whether Redis evicts nothing (1: maxmemory-policy noeviction on every master; 0: it may evict monitors), read at scrape; absent when Redis does not say',
      read('redis-policy', readers.evictionPolicySafe), (safe) => (safe === undefined ? undefined : Number(safe)));
  }
  if (readers.openCircuits) registerCircuitGauge(registers, read('circuits', async () => {
    const keys = rateKeys();
    return { keys, open: await readers.openCircuits!(keys) };
  }));
}

function registerCircuitGauge(registers: Registry[], value: () => Promise<{ keys: readonly string[]; open: ReadonlySet<string> } | undefined>): void {
  new Gauge({
    name: 'jobwatch_circuit_open',
    help: 'Whether the circuit of a rate key is open (1) or closed (0), read from Redis at scrape, for the first 100 keys this worker sent requests to',
    labelNames: ['key'], registers,
    async collect() {
      this.reset();
      const answer = await value();
      for (const key of answer?.keys ?? []) this.set({ key }, answer!.open.has(key) ? 1 : 0);
    },
  });
}

/**
 * The registry collects its metrics side by side, each gauge's collect starting in the same tick:
 * the first call starts the read and the calls until it settles share it.
 */
function inFlight<T>(read: () => Promise<T>): () => Promise<T> {
  let current: Promise<T> | undefined;
  return () => (current ??= read().finally(() => {
    current = undefined;
  }));
}
