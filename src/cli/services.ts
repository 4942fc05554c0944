import { JobwatchClient } from '../client/jobwatch-client.ts';
import { requireDatabaseUrl, type Config } from '../config/config.ts';
import { openPostgres } from '../db/database.ts';
import { assertSchemaReady } from '../db/migrate.ts';
import { assertRedisReady } from '../queue/redis.ts';

/** Opens what a producer command needs (Redis and Postgres), checked before anything is written. */
export async function openClient(config: Config, command: string): Promise<{ client: JobwatchClient; close(): Promise<void> }> {
  const databaseUrl = requireDatabaseUrl(config, `for \`jobwatch ${command}\``);
  await assertRedisReady(config, { requireNoEviction: false });
  const database = openPostgres(databaseUrl, { max: 2 });
  try {
    await assertSchemaReady(database);
  } catch (error) {
    await database.close();
    throw error;
  }
  const client = new JobwatchClient({ config, database });
  return {
    client,
    close: async () => {
      await client.close();
      await database.close();
    },
  };
}
