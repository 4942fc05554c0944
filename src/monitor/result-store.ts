import type { MonitorResult } from './context.ts';

/**
 * Where final records are written, once each: the port the completion processor calls,
 * implemented in db/ (Postgres or PGlite, batched or not).
 */
export interface ResultStore {
  /**
   * Writes one final record; resolves true when its row is new, false when it was already there.
   * Throws UnstorableResultError for a record that can never be written as it is (bad data), and
   * any other error for a write worth trying again (the database is down).
   */
  persist(result: MonitorResult): Promise<boolean>;
}
