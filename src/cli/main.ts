import type { Config } from '../config/config.ts';
import { JobwatchError } from '../errors/errors.ts';

/**
 * A command parses its flags first (so `--help` and a bad flag answer before anything else), then
 * reads the configuration through `readConfig`, which validates the environment once.
 */
export type Command = (args: string[], readConfig: () => Config, env: NodeJS.ProcessEnv) => Promise<number>;

interface CommandEntry {
  summary: string;
  /** Loaded only when the command runs, so each command pays only for the modules it uses. */
  load(): Promise<Command>;
}

const COMMANDS: Record<string, CommandEntry> = {
  enqueue: { summary: 'start a monitor for a job', load: async () => (await import('./commands/enqueue.ts')).enqueueCommand },
  call: { summary: "start an operation (a source's start request) and watch it; --wait follows it", load: async () => (await import('./commands/call.ts')).callCommand },
  status: { summary: "print a monitor's state", load: async () => (await import('./commands/status.ts')).statusCommand },
  cancel: { summary: 'stop a monitor and record it as canceled', load: async () => (await import('./commands/cancel.ts')).cancelCommand },
  report: { summary: "report a job's status for its monitor (push)", load: async () => (await import('./commands/report.ts')).reportCommand },
  'callback-url': { summary: "print a monitor's callback URL", load: async () => (await import('./commands/callback-url.ts')).callbackUrlCommand },
  history: { summary: "print a monitor's status checks", load: async () => (await import('./commands/history.ts')).historyCommand },
  list: { summary: 'list monitors, running first, newest first', load: async () => (await import('./commands/list.ts')).listCommand },
  watch: { summary: 'follow a monitor to its end; exit code by outcome', load: async () => (await import('./commands/watch.ts')).watchCommand },
  top: { summary: "a live list of running monitors and the last hour's ends", load: async () => (await import('./commands/top.ts')).topCommand },
  worker: { summary: 'run poll and completion workers', load: async () => (await import('./commands/worker.ts')).workerCommand },
  server: { summary: 'serve the HTTP API, Bull Board and /metrics', load: async () => (await import('./commands/server.ts')).serverCommand },
  purge: { summary: 'delete old results, history and notifications', load: async () => (await import('./commands/purge.ts')).purgeCommand },
  quotas: { summary: "each namespace's use of its quotas", load: async () => (await import('./commands/quotas.ts')).quotasCommand },
  sources: { summary: 'list the sources of JOBWATCH_SOURCES, or try one for a job', load: async () => (await import('./commands/sources.ts')).sourcesCommand },
  keys: { summary: 'create, list or revoke API keys of the keys file', load: async () => (await import('./commands/keys.ts')).keysCommand },
  migrate: { summary: 'apply database migrations', load: async () => (await import('./commands/migrate.ts')).migrateCommand },
  'demo-api': { summary: 'run the demo job service', load: async () => (await import('./commands/demo-api.ts')).demoApiCommand },
  quickstart: { summary: 'run the whole demo in one process (npm start)', load: async () => (await import('./commands/quickstart.ts')).quickstartCommand },
};

const USAGE = `Usage: jobwatch <command> [options]

Commands:
${Object.entries(COMMANDS).map(([name, { summary }]) => `  ${name.padEnd(12)} ${summary}`).join('\n')}

Run \`jobwatch <command> --help\` for a command's options. Configuration comes from the environment
(REDIS_URL, DATABASE_URL, JOBWATCH_PREFIX, ...): see docs/configuration.md.`;

/** Runs one CLI command; returns the exit code. Errors become one line on stderr, no stack trace. */
export async function main(argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const [name, ...args] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return name ? 0 : 2;
  }
  const entry = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
  if (!entry) {
    process.stderr.write(`jobwatch: unknown command ${name}; run jobwatch --help\n`);
    return 2;
  }
  // Kept once read, so that an unexpected error can be told apart by JOBWATCH_DEBUG.
  let config: Config | undefined;
  try {
    const [command, { loadConfig }] = await Promise.all([entry.load(), import('../config/config.ts')]);
    return await command(args, () => (config = loadConfig(env)), env);
  } catch (error) {
    if (error instanceof JobwatchError) {
      process.stderr.write(`jobwatch: ${error.message}\n`);
      return error.exitCode;
    }
    process.stderr.write(`jobwatch: ${(error as Error)?.message ?? String(error)}\n`);
    if (config?.debug ?? (await debugWanted(env))) process.stderr.write(`${(error as Error)?.stack}\n`);
    return 1;
  }
}

/** JOBWATCH_DEBUG, for an error before the configuration was read: false when the environment does not load. */
async function debugWanted(env: NodeJS.ProcessEnv): Promise<boolean> {
  try {
    const { loadConfig } = await import('../config/config.ts');
    return loadConfig(env).debug;
  } catch {
    return false;
  }
}
