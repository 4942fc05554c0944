import type { JobwatchClient } from '../client/jobwatch-client.ts';
import { requireDatabaseUrl, type Config } from '../config/config.ts';
import { startTracing, stopTracing } from '../tracing/tracing.ts';

/**
 * Opens what a producer command needs (Redis and Postgres), checked before anything is written.
 * The client's modules (BullMQ, drizzle) load here, after the command's flags were found good.
 */
export async function openClient(config: Config, command: string): Promise<{ client: JobwatchClient; close(): Promise<void> }> {
  const databaseUrl = requireDatabaseUrl(config, `for \`jobwatch ${command}\``);
  const [{ JobwatchClient }, { openPostgres }, { assertSchemaReady }, { assertRedisReady }] = await Promise.all([
    import('../client/jobwatch-client.ts'), import('../db/database.ts'), import('../db/migrate.ts'), import('../redis/connection.ts'),
  ]);
  await assertRedisReady(config, { requireNoEviction: false });
  const database = openPostgres(databaseUrl, { max: 2 });
  try {
    await assertSchemaReady(database);
  } catch (error) {
    await database.close();
    throw error;
  }
  // Before the client, so that its spans are the CLI's (service.name jobwatch-cli).
  await startTracing(config, 'jobwatch-cli');
  const client = new JobwatchClient({ config, database });
  return {
    client,
    close: async () => {
      await client.close();
      await database.close();
      await stopTracing(); // exports the command's spans before the process exits
    },
  };
}
