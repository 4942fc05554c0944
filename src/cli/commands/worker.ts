import { MAX_CONCURRENCY, type Config } from '../../config/config.ts';
import { InvalidInputError } from '../../errors/errors.ts';
import { DEFAULT_HOST } from '../../http/loopback.ts';
import { createLogger } from '../../logging/logger.ts';
import { onShutdownSignal } from '../../wiring/signals.ts';
import { startTracing, stopTracing } from '../../tracing/tracing.ts';
import type { WorkerRoles } from '../../queue/workers.ts';
import { integerFlag, parseFlags, printHelp } from '../flags.ts';

export const workerHelp = `Usage: jobwatch worker [--concurrency N] [--only polls|completions] [--metrics-port N]

Runs the poll and completion workers until SIGTERM or SIGINT, which let in-flight polls finish
(up to JOBWATCH_SHUTDOWN_TIMEOUT); a second signal exits at once. Start as many worker processes,
on as many machines, as you need: they share the work through Redis.

  --concurrency N             polls in flight at once in this process (default: JOBWATCH_CONCURRENCY, 50)
  --only polls|completions    run only the poll worker or only the completion worker
  --metrics-port N            serve Prometheus metrics on http://HOST:N/metrics (an admin key when JOBWATCH_KEYS_FILE or JOBWATCH_API_TOKEN is set)
  --metrics-host HOST         address for --metrics-port (default: ${DEFAULT_HOST}; others need JOBWATCH_KEYS_FILE or JOBWATCH_API_TOKEN)`;

export async function workerCommand(args: string[], readConfig: () => Config): Promise<number> {
  const { values } = parseFlags(args, {
    concurrency: { type: 'string' }, only: { type: 'string' }, 'metrics-port': { type: 'string' }, 'metrics-host': { type: 'string' },
  }, 'worker');
  if (values.help) return printHelp(workerHelp);
  const concurrency = integerFlag('--concurrency', values.concurrency, 1, MAX_CONCURRENCY);
  const roles = parseRoles(values.only);
  const metricsPort = integerFlag('--metrics-port', values['metrics-port'], 0, 65_535);
  if (values['metrics-host'] !== undefined && metricsPort === undefined) throw new InvalidInputError('--metrics-host', 'needs --metrics-port');
  const config = readConfig();
  const logger = createLogger(config, { name: 'jobwatch-worker' });
  // The OpenTelemetry SDK loads here only if OTEL_* turns tracing on (docs/tracing.md).
  await startTracing(config, 'jobwatch-worker');
  const metricsServer = metricsPort === undefined ? undefined
    // Loaded only when asked for: a worker without --metrics-port never loads the HTTP stack.
    : await (await import('../../wiring/metrics-server.ts')).startWorkerMetricsServer(config, logger, { port: metricsPort, host: values['metrics-host'] ?? DEFAULT_HOST });
  const { startWorkerProcess } = await import('../../wiring/worker-process.ts'); // BullMQ loads here, after the flags
  const starting = startWorkerProcess(config, logger, {
    roles, ...(concurrency ? { concurrency } : {}), ...(metricsServer ? { observer: metricsServer.metrics.observer, notificationObserver: metricsServer.metrics.notifications } : {}),
  });
  // Before "worker started" is logged: a supervisor that stops the worker as soon as it reads that
  // line must find the handler in place, not the default action that kills it mid-start.
  onShutdownSignal(async (signal) => {
    logger.info({ signal }, 'shutting down: finishing in-flight polls');
    await (await starting).close();
    await metricsServer?.close();
    await stopTracing();
  }, (message) => logger.warn(message));
  await starting;
  return new Promise<number>(() => {}); // runs until a signal ends the process
}

function parseRoles(only: string | undefined): WorkerRoles {
  if (only === undefined) return { polls: true, completions: true };
  if (only === 'polls') return { polls: true, completions: false };
  if (only === 'completions') return { polls: false, completions: true };
  throw new InvalidInputError('--only', `${JSON.stringify(only)} is not polls or completions`);
}
