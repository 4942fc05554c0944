import type { MonitorResult } from '../monitor/context.ts';
import { keyOf } from '../monitor/namespace.ts';
import type { ResultStore } from '../monitor/result-store.ts';
import type { Database } from './drizzle-database.ts';
import { asStoreError, isDataError } from './postgres-errors.ts';
import { insertNewResults } from './results.ts';

export interface ResultBatcherOptions {
  /** Most results written by one INSERT; a batch this full is written at once. @defaultValue 100 */
  maxBatchSize?: number;
  /** Longest a result waits for others to join its batch, in milliseconds. @defaultValue 5 */
  maxWaitMs?: number;
}

export const DEFAULT_MAX_BATCH_SIZE = 100;
export const DEFAULT_MAX_WAIT_MS = 5;

interface Waiting {
  result: MonitorResult;
  resolve(inserted: boolean): void;
  reject(error: unknown): void;
}

/**
 * Coalesces concurrent `persist` calls into one multi-row INSERT ... ON CONFLICT DO NOTHING: one
 * round trip and one commit (one WAL flush) for up to `maxBatchSize` final records, instead of one
 * each. Every caller still learns whether its own row was new, and a write that fails rejects every
 * caller in it, so that each completion job is retried by BullMQ on its own, as without batching.
 */
export class ResultBatcher implements ResultStore {
  private readonly maxBatchSize: number;
  private readonly maxWaitMs: number;
  private waiting: Waiting[] = [];
  private timer: NodeJS.Timeout | undefined;
  private readonly writing = new Set<Promise<void>>();

  constructor(
    private readonly db: Database,
    options: ResultBatcherOptions = {},
  ) {
    this.maxBatchSize = options.maxBatchSize ?? DEFAULT_MAX_BATCH_SIZE;
    this.maxWaitMs = options.maxWaitMs ?? DEFAULT_MAX_WAIT_MS;
  }

  /** Writes one final record with whatever else arrives within `maxWaitMs`; true when its row is new. */
  readonly persist = (result: MonitorResult): Promise<boolean> =>
    new Promise<boolean>((resolve, reject) => {
      this.waiting.push({ result, resolve, reject });
      if (this.waiting.length >= this.maxBatchSize) this.flush();
      else this.timer ??= setTimeout(() => this.flush(), this.maxWaitMs);
    });

  /** Starts writing what waits now, without waiting for the batch to fill. */
  flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.waiting.length === 0) return;
    const batch = this.waiting;
    this.waiting = [];
    const write = this.write(batch).finally(() => this.writing.delete(write));
    this.writing.add(write);
  }

  /** Writes what waits and resolves once every write has settled. */
  async drain(): Promise<void> {
    this.flush();
    while (this.writing.size > 0) await Promise.all(this.writing);
  }

  private async write(batch: Waiting[]): Promise<void> {
    let inserted: Set<string>;
    try {
      inserted = await insertNewResults(this.db, batch.map((waiting) => waiting.result));
    } catch (error) {
      // One record Postgres refuses (bad data) must not fail the others with it: write each alone,
      // so that only the bad one ends up in the failed set.
      if (batch.length > 1 && isDataError(error)) {
        await Promise.all(batch.map((waiting) => this.write([waiting])));
        return;
      }
      for (const waiting of batch) waiting.reject(asStoreError(error, waiting.result.monitorId));
      return;
    }
    // The same monitor twice in one batch: only its first caller wrote the row.
    for (const waiting of batch) waiting.resolve(inserted.delete(keyOf(waiting.result)));
  }
}
