import type { Config } from '../../config/config.ts';
import { DEFAULT_HOST, DEFAULT_PORT } from '../../http/loopback.ts';
import { createLogger } from '../../logging/logger.ts';
import { onShutdownSignal } from '../../wiring/signals.ts';
import { startTracing, stopTracing } from '../../tracing/tracing.ts';
import { integerFlag, parseFlags, printHelp } from '../flags.ts';

export const serverHelp = `Usage: jobwatch server [--port ${DEFAULT_PORT}] [--host ${DEFAULT_HOST}]

Serves the HTTP API (/api/monitors, /api/openapi.json), Bull Board (/board), Prometheus metrics
(/metrics) and /healthz until SIGTERM or SIGINT. Needs REDIS_URL and DATABASE_URL.

With JOBWATCH_KEYS_FILE (see jobwatch keys) or JOBWATCH_API_TOKEN set, /api and /metrics need
"Authorization: Bearer <key>", and /ui and /board ask for a password (the key; any user name);
each route needs its scope. Without either the server listens on loopback only.
Status URLs sent to the API must be under JOBWATCH_ALLOWED_STATUS_URLS (unset: loopback only;
\`sources\`: none, only named sources). Beyond loopback the server needs keys (or the token) and
JOBWATCH_ALLOWED_STATUS_URLS.

  --port N      port to listen on (default: ${DEFAULT_PORT}; 0 picks a free one)
  --host HOST   address to listen on (default: ${DEFAULT_HOST}; others need JOBWATCH_KEYS_FILE or
                JOBWATCH_API_TOKEN, and JOBWATCH_ALLOWED_STATUS_URLS)`;

export async function serverCommand(args: string[], readConfig: () => Config): Promise<number> {
  const { values } = parseFlags(args, { port: { type: 'string' }, host: { type: 'string' } }, 'server');
  if (values.help) return printHelp(serverHelp);
  const port = integerFlag('--port', values.port, 0, 65_535) ?? DEFAULT_PORT;
  const config = readConfig();
  const logger = createLogger(config, { name: 'jobwatch-server' });
  await startTracing(config, 'jobwatch-server');
  const { startServer } = await import('../../wiring/start-server.ts'); // hono and Bull Board load here, after the flags
  const starting = startServer(config, logger, { port, host: values.host ?? DEFAULT_HOST });
  // Before "server listening" is logged, so that a stop right after that line is a clean one (see worker.ts).
  onShutdownSignal(async () => {
    await (await starting).close();
    await stopTracing();
  }, (message) => logger.warn(message));
  await starting;
  return new Promise<number>(() => {}); // serves until a signal ends the process
}
