// A worker process run from a checkout's source: `npm run worker` (through tsx, for development).
// Installed packages and the Docker image run the same command compiled: `jobwatch worker`.
// Configuration comes from the environment only; see docs/configuration.md.
import { main } from '../src/cli/main.ts';

process.exit(await main(['worker', ...process.argv.slice(2)]));
