import type { Config } from '../../config/config.ts';
import { startDemoApi } from '../../demo/demo-api.ts';
import { onShutdownSignal } from '../../wiring/signals.ts';
import { integerFlag, parseFlags, printHelp } from '../flags.ts';

export const demoApiHelp = `Usage: jobwatch demo-api [--port 4000] [--host 127.0.0.1]

A small HTTP service of simulated long-running jobs, to try jobwatch against:
  POST /jobs     starts a job ({"durationMs": 5000, "outcome": "Completed"} optional); returns {"id", "status"}
  GET /jobs/:id  returns {"id", "status": "Processing" | "Completed" | "Failed", "progress", ...}
  POST /renders  starts a render, answering 202 with Location and Retry-After (honours Idempotency-Key):
                 the start request of an operation (see docs/operations.md)`;

export async function demoApiCommand(args: string[], _readConfig: () => Config): Promise<number> {
  const { values } = parseFlags(args, { port: { type: 'string' }, host: { type: 'string' } }, 'demo-api');
  if (values.help) return printHelp(demoApiHelp);
  const port = integerFlag('--port', values.port, 0, 65_535) ?? 4000;
  const api = await startDemoApi({ port, host: values.host ?? '127.0.0.1' });
  onShutdownSignal(() => api.close(), (message) => process.stderr.write(`${message}\n`));
  process.stdout.write(`demo job service listening on ${api.url} (POST /jobs, GET /jobs/:id; POST /renders starts a render as an operation)\n`);
  return new Promise<number>(() => {});
}
