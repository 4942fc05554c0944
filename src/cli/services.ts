import type { JobwatchClient } from '../client/jobwatch-client.ts';
import type { Config } from '../config/config.ts';
import { ConfigError } from '../errors/errors.ts';

/**
 * Opens what a producer command needs (Redis and Postgres), checked before anything is written.
 * The client's modules (BullMQ, drizzle) load here, after the command's flags were found good.
 */
export async function openClient(config: Config, command: string): Promise<{ client: JobwatchClient; close(): Promise<void> }> {
  const databaseUrl = requireDatabaseUrl(config, command);
  const [{ JobwatchClient }, { openPostgres }, { assertSchemaReady }, { assertRedisReady }] = await Promise.all([
    import('../client/jobwatch-client.ts'), import('../db/database.ts'), import('../db/migrate.ts'), import('../queue/redis.ts'),
  ]);
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

export function requireDatabaseUrl(config: Config, command: string): string {
  if (!config.databaseUrl) {
    throw new ConfigError(
      `DATABASE_URL: is required for \`jobwatch ${command}\`, e.g. postgres://postgres@127.0.0.1:5432/jobwatch`,
    );
  }
  return config.databaseUrl;
}
