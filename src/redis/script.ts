import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { RedisConnection } from './connection.ts';

/**
 * A Lua script run by its hash (EVALSHA), sent whole (EVAL) only where a Redis node has not seen it
 * yet: after a restart, a failover, or on a cluster node it never ran on.
 */
export class Script {
  private readonly sha: string;

  constructor(private readonly lua: string) {
    this.sha = createHash('sha1').update(lua).digest('hex');
  }

  /** The script in a `.lua` file, read once, e.g. `Script.fromFile(new URL('./admit.lua', import.meta.url))`. */
  static fromFile(url: URL): Script {
    return new Script(readFileSync(url, 'utf8'));
  }

  /** One script of several `.lua` files, in order: helpers first (Lua scripts in Redis cannot import). */
  static fromFiles(urls: readonly URL[]): Script {
    return new Script(urls.map((url) => readFileSync(url, 'utf8')).join('\n'));
  }

  /** Runs it with `numberOfKeys` keys first in `keysAndArgs`, then the arguments; answers what the script returns. */
  async run(redis: RedisConnection, numberOfKeys: number, keysAndArgs: readonly (string | number | Buffer)[]): Promise<unknown> {
    try {
      return await redis.evalsha(this.sha, numberOfKeys, ...keysAndArgs);
    } catch (error) {
      if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error;
      return await redis.eval(this.lua, numberOfKeys, ...keysAndArgs);
    }
  }
}
