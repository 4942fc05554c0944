import { requireDatabaseUrl, type Config } from '../../config/config.ts';
import { migratePostgres } from '../../db/migrate.ts';
import { redactUrl } from '../../logging/logger.ts';
import { parseFlags, printHelp } from '../flags.ts';

export const migrateHelp = `Usage: jobwatch migrate

Applies jobwatch's migrations (migrations/) to DATABASE_URL. Safe to run again: applied ones are skipped.`;

export async function migrateCommand(args: string[], config: Config): Promise<number> {
  const { values } = parseFlags(args, {}, 'migrate');
  if (values.help) return printHelp(migrateHelp);
  const databaseUrl = requireDatabaseUrl(config, 'for `jobwatch migrate`');
  await migratePostgres(databaseUrl);
  process.stdout.write(`migrations applied to ${redactUrl(databaseUrl)}\n`);
  return 0;
}
