// The worker process, as docker-compose runs it: `node --import tsx workers/worker.ts`.
// Configuration comes from the environment only; see the README's configuration table.
import { workerCommand } from '../src/cli/commands/worker.ts';
import { loadConfig } from '../src/config/config.ts';
import { JobwatchError } from '../src/errors/errors.ts';

try {
  await workerCommand(process.argv.slice(2), loadConfig(process.env));
} catch (error) {
  process.stderr.write(`jobwatch worker: ${(error as Error).message}\n`);
  process.exit(error instanceof JobwatchError ? error.exitCode : 1);
}
