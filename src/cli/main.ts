import { loadConfig, type Config } from '../config/config.ts';
import { JobwatchError } from '../errors/errors.ts';
import { cancelCommand } from './commands/cancel.ts';
import { demoApiCommand } from './commands/demo-api.ts';
import { enqueueCommand } from './commands/enqueue.ts';
import { listCommand } from './commands/list.ts';
import { migrateCommand } from './commands/migrate.ts';
import { quickstartCommand } from './commands/quickstart.ts';
import { serverCommand } from './commands/server.ts';
import { statusCommand } from './commands/status.ts';
import { workerCommand } from './commands/worker.ts';

type Command = (args: string[], config: Config) => Promise<number>;

const COMMANDS: Record<string, { run: Command; summary: string }> = {
  enqueue: { run: enqueueCommand, summary: 'start a monitor for a job' },
  status: { run: statusCommand, summary: "print a monitor's state" },
  cancel: { run: cancelCommand, summary: 'stop a monitor and record it as canceled' },
  list: { run: listCommand, summary: 'list monitors, running first, newest first' },
  worker: { run: workerCommand, summary: 'run poll and completion workers' },
  server: { run: serverCommand, summary: 'serve the HTTP API, Bull Board and /metrics' },
  migrate: { run: migrateCommand, summary: 'apply database migrations' },
  'demo-api': { run: demoApiCommand, summary: 'run the demo job service' },
  quickstart: { run: quickstartCommand, summary: 'run the whole demo in one process (npm start)' },
};

const USAGE = `Usage: jobwatch <command> [options]

Commands:
${Object.entries(COMMANDS).map(([name, { summary }]) => `  ${name.padEnd(11)} ${summary}`).join('\n')}

Run \`jobwatch <command> --help\` for a command's options. Configuration comes from the environment
(REDIS_URL, DATABASE_URL, JOBWATCH_PREFIX, ...): see the README.`;

/** Runs one CLI command; returns the exit code. Errors become one line on stderr, no stack trace. */
export async function main(argv: string[]): Promise<number> {
  const [name, ...args] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return name ? 0 : 2;
  }
  const command = COMMANDS[name];
  if (!command) {
    process.stderr.write(`jobwatch: unknown command ${name}; run jobwatch --help\n`);
    return 2;
  }
  try {
    return await command.run(args, loadConfig(process.env));
  } catch (error) {
    if (error instanceof JobwatchError) {
      process.stderr.write(`jobwatch: ${error.message}\n`);
      return error.exitCode;
    }
    process.stderr.write(`jobwatch: ${(error as Error)?.message ?? String(error)}\n`);
    if (process.env.JOBWATCH_DEBUG) process.stderr.write(`${(error as Error)?.stack}\n`);
    return 1;
  }
}
