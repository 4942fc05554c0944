import { requireDatabaseUrl, type Config } from '../../config/config.ts';
import { redactUrl } from '../../logging/logger.ts';
import { parseFlags, printHelp } from '../flags.ts';

export const migrateHelp = `Usage: jobwatch migrate

Applies jobwatch's migrations (migrations/) to DATABASE_URL. Safe to run again: applied ones are skipped.`;

export async function migrateCommand(args: string[], readConfig: () => Config): Promise<number> {
  const { values } = parseFlags(args, {}, 'migrate');
  if (values.help) return printHelp(migrateHelp);
  const databaseUrl = requireDatabaseUrl(readConfig(), 'for `jobwatch migrate`');
  const { migratePostgres } = await import('../../db/migrate.ts');
  await migratePostgres(databaseUrl);
  process.stdout.write(`migrations applied to ${redactUrl(databaseUrl)}\n`);
  return 0;
}
