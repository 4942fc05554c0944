import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const PROJECT_ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** A process the bench started, stopped by its pid. */
export interface BenchChild<Ready> {
  readonly process: ChildProcess;
  /** What `ready` made of the stdout line that said the child was ready. */
  readonly ready: Ready;
  stop(): Promise<void>;
}

export interface ChildOptions<Ready> {
  /** An entry point relative to the project root: TypeScript run with tsx, or (`runWith: 'node'`) JavaScript. */
  script: string;
  /** @defaultValue 'tsx' */
  runWith?: 'tsx' | 'node';
  args?: string[];
  env?: Record<string, string>;
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
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const lines = createInterface({ input: child.stdout! });
  const ready = await new Promise<Ready>((resolve, reject) => {
    const onLine = (line: string) => {
      const value = options.ready(line);
      if (value === undefined) return;
      lines.off('line', onLine);
      lines.on('line', () => {});
      resolve(value);
    };
    lines.on('line', onLine);
    child.once('exit', (code) => reject(new Error(`bench: ${options.script} exited (${code}) before it was ready`)));
  });
  return {
    process: child,
    ready,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
      lines.close();
    },
  };
}
