import { requireDatabaseUrl, type Config } from '../../config/config.ts';
import { InvalidInputError } from '../../errors/errors.ts';
import { parseDuration } from '../../time/durations.ts';
import { parseFlags, printHelp, printJson } from '../flags.ts';

export const purgeHelp = `Usage: jobwatch purge --older-than 30d [--dry-run]

Deletes final records that finished, history rows checked, and delivered (or given-up)
notifications written longer ago than --older-than, in small batches. Undelivered notifications are
kept. Prints what was deleted as one JSON line; --dry-run counts without deleting. Workers do the
same on a schedule with JOBWATCH_RETENTION and JOBWATCH_HISTORY_RETENTION.

  --older-than DURATION   e.g. 30d, 12h; at least 1m
  --dry-run               count, delete nothing`;

/** Shortest --older-than: anything shorter would purge monitors as they end. */
const MIN_OLDER_THAN_MS = 60_000;

export async function purgeCommand(args: string[], readConfig: () => Config): Promise<number> {
  const { values } = parseFlags(args, { 'older-than': { type: 'string' }, 'dry-run': { type: 'boolean' } }, 'purge');
  if (values.help) return printHelp(purgeHelp);
  const olderThan = values['older-than'];
  if (olderThan === undefined) throw new InvalidInputError('--older-than', 'is required, e.g. --older-than 30d');
  const ms = parseDuration(olderThan);
  if (ms === undefined || ms < MIN_OLDER_THAN_MS) throw new InvalidInputError('--older-than', `${JSON.stringify(olderThan)} is not a duration of at least 1m, e.g. 30d`);
  const databaseUrl = requireDatabaseUrl(readConfig(), 'for `jobwatch purge`');
  const [{ openPostgres }, { assertSchemaReady }, { purgeOldRows }] = await Promise.all([
    import('../../db/database.ts'), import('../../db/migrate.ts'), import('../../db/purge.ts'),
  ]);
  const database = openPostgres(databaseUrl, { max: 1 });
  try {
    await assertSchemaReady(database);
    const before = new Date(Date.now() - ms);
    const report = await purgeOldRows(database.db, { resultsBefore: before, checksBefore: before }, { dryRun: values['dry-run'] ?? false });
    printJson({ ...report, olderThan: before.toISOString() });
    return 0;
  } finally {
    await database.close();
  }
}
