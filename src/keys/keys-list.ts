import { existsSync } from 'node:fs';
import type { KeyTable } from '../access/keys-file.ts';
import type { Config } from '../config/config.ts';
import { ConfigError, ServiceUnavailableError } from '../errors/errors.ts';
import { assertRedisReady, closeRedis, connectRedis } from '../redis/connection.ts';
import { readKeysFile } from './keys-file-write.ts';
import { readLastUse } from './last-use.ts';

/**
 * What `jobwatch keys list` shows: the keys file as it is, and each key's last use from Redis.
 * `lastUse` is undefined when Redis does not answer: the keys are still worth listing.
 */
export async function openKeysForList(path: string, config: Config): Promise<{ table: KeyTable; lastUse: Record<string, number> | undefined }> {
  if (!existsSync(path)) throw new ConfigError(`JOBWATCH_KEYS_FILE ${path}: no such file; create it with \`jobwatch keys create\``);
  const table = readKeysFile(path);
  try {
    await assertRedisReady(config, { requireNoEviction: false });
  } catch (error) {
    if (error instanceof ServiceUnavailableError) return { table, lastUse: undefined };
    throw error;
  }
  const redis = connectRedis(config);
  try {
    return { table, lastUse: await readLastUse(redis, config.prefix) };
  } finally {
    await closeRedis(redis);
  }
}
