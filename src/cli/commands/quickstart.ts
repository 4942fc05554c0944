import type { Config } from '../../config/config.ts';
import { integerFlag, parseFlags, printHelp } from '../flags.ts';

export const quickstartHelp = `Usage: jobwatch quickstart [--jobs 5]

Runs the demo in one process (what \`npm start\` does): a demo job service, a worker and a producer
that starts a few jobs with monitors on a 1s interval, printing each final status as it lands. The
jobs take turns: one completes, one fails, one outlives its monitor (expired), and the producer
cancels the monitor of one (canceled).
Needs Redis; uses DATABASE_URL when set, otherwise an embedded PGlite in JOBWATCH_PGLITE_DIR.`;

export async function quickstartCommand(args: string[], readConfig: () => Config): Promise<number> {
  const { values } = parseFlags(args, { jobs: { type: 'string' } }, 'quickstart');
  if (values.help) return printHelp(quickstartHelp);
  const jobs = integerFlag('--jobs', values.jobs, 1, 100) ?? 5;
  const { runQuickstart } = await import('../../wiring/quickstart.ts'); // the whole stack loads here, after the flags
  await runQuickstart(readConfig(), { jobs });
  return 0;
}
