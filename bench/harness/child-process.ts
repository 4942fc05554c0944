import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';

const PROJECT_ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** How long a child may take to say it is ready (start-up on a loaded 2-core machine takes seconds). */
const READY_TIMEOUT_MS = 60_000;

/** The compiled CLI, as the package ships it and users run it (`npm run build` makes it). */
export const CLI = 'dist/cli/bin.js';

/** A process the bench started, stopped by its pid. */
export interface BenchChild<Ready> {
  readonly process: ChildProcess;
  readonly pid: number;
  /** What `ready` made of the stdout line that said the child was ready. */
  readonly ready: Ready;
  /** The child's report pipe (see poll-reporter.mjs); only with `report: true`. */
  readonly reports: ReportReader;
  stop(): Promise<void>;
}

export interface ChildOptions<Ready> {
  /** An entry point relative to the project root: TypeScript run with tsx, or (`runWith: 'node'`) JavaScript. */
  script: string;
  /** @defaultValue 'tsx' */
  runWith?: 'tsx' | 'node';
  args?: string[];
  env?: Record<string, string>;
  /** Opens file descriptor 3 for the child's JSON reports, and sets BENCH_REPORT=1. @defaultValue false */
  report?: boolean;
  /** Reads each stdout line until one says the child is ready (returns something). */
  ready: (line: string) => Ready | undefined;
}

/**
 * Starts a script (with tsx, unless it is JavaScript) and waits until a stdout line says it is ready; later lines are read
 * and dropped, so that a chatty child never blocks on a full pipe. Its stderr is passed through,
 * so that a crash says why.
 */
export async function startBenchChild<Ready>(options: ChildOptions<Ready>): Promise<BenchChild<Ready>> {
  const loader = (options.runWith ?? 'tsx') === 'tsx' ? ['--import', 'tsx'] : [];
  const child = spawn(process.execPath, [...loader, options.script, ...(options.args ?? [])], {
    cwd: PROJECT_ROOT, // where the script and `--import tsx` are resolved from
    env: { ...process.env, ...options.env, ...(options.report ? { BENCH_REPORT: '1' } : {}) },
    stdio: ['ignore', 'pipe', 'inherit', ...(options.report ? ['pipe' as const] : [])],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const reports = new ReportReader(options.report ? (child.stdio[3] as Readable) : undefined, exited, options.script);
  const lines = createInterface({ input: child.stdout! });
  const ready = await new Promise<Ready>((resolve, reject) => {
    // A child that neither gets ready nor exits is stopped, so that the bench says so rather than hangs.
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`bench: ${options.script} was not ready after ${READY_TIMEOUT_MS} ms`));
    }, READY_TIMEOUT_MS);
    const onLine = (line: string) => {
      const value = options.ready(line);
      if (value === undefined) return;
      clearTimeout(timer);
      lines.off('line', onLine);
      lines.on('line', () => {});
      resolve(value);
    };
    lines.on('line', onLine);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`bench: ${options.script} exited (${code}) before it was ready`));
    });
  });
  return {
    process: child,
    pid: child.pid!,
    ready,
    reports,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
      lines.close();
    },
  };
}

/** A report from a child: `event` names it (`first`, `timed`, `lateness`, `finished`). */
export interface Report {
  event: string;
  [field: string]: unknown;
}

/** The JSON lines a child writes on its report pipe, taken in order by the event awaited. */
export class ReportReader {
  private readonly queued: Report[] = [];
  private readonly waiting: { event: string; resolve(report: Report): void; reject(error: Error): void }[] = [];
  private gone = false;

  constructor(input: Readable | undefined, exited: Promise<void>, private readonly script: string) {
    if (input) createInterface({ input }).on('line', (line) => this.arrived(JSON.parse(line) as Report));
    void exited.then(() => {
      this.gone = true;
      for (const waiter of this.waiting.splice(0)) waiter.reject(new Error(`bench: ${this.script} exited before its ${waiter.event} report`));
    });
  }

  /** The next report of this event (one that came already, or the next to come); fails after `timeoutMs` or if the child exits. */
  async next(event: string, timeoutMs = 300_000): Promise<Report> {
    const index = this.queued.findIndex((report) => report.event === event);
    if (index >= 0) return this.queued.splice(index, 1)[0]!;
    if (this.gone) throw new Error(`bench: ${this.script} exited before its ${event} report`);
    return new Promise<Report>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`bench: ${this.script} sent no ${event} report in ${timeoutMs} ms`)), timeoutMs);
      this.waiting.push({
        event,
        resolve: (report) => { clearTimeout(timer); resolve(report); },
        reject: (error) => { clearTimeout(timer); reject(error); },
      });
    });
  }

  private arrived(report: Report): void {
    const index = this.waiting.findIndex((waiter) => waiter.event === report.event);
    if (index < 0) this.queued.push(report);
    else this.waiting.splice(index, 1)[0]!.resolve(report);
  }
}
