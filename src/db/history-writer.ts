import { coerceError } from '../errors/errors.ts';
import { checkRecordFor, type CheckedEvent, type CheckRecord, type HistoryMode, type RecordOptions } from '../monitor/history.ts';
import type { PollObserver } from '../monitor/poll-observer.ts';
import type { Database } from './drizzle-database.ts';
import { insertChecks } from './checks.ts';
import { isDataError } from './postgres-errors.ts';

export interface HistoryWriterOptions {
  /** The mode of monitors that name none (JOBWATCH_HISTORY). */
  defaultMode: HistoryMode;
  /** The rate key of hook monitors that name none (the status hook's `rateKey` export), their rows' status host. @defaultValue 'hook' */
  hookRateKey?: string;
  /** Most rows one INSERT writes; a buffer this full is written at once. @defaultValue 500 */
  maxBatchSize?: number;
  /** Longest a row waits in memory before it is written, in milliseconds. @defaultValue 200 */
  flushEveryMs?: number;
  /** Most rows kept while Postgres is unreachable; beyond it the oldest are dropped. @defaultValue 50000 */
  maxBuffered?: number;
  /** Told when a write failed (the rows are kept and tried again) or rows were dropped. */
  onError?(event: { error: Error; buffered: number; dropped: number }): void;
}

export const DEFAULT_HISTORY_BATCH_SIZE = 500;
export const DEFAULT_HISTORY_FLUSH_MS = 200;
export const DEFAULT_HISTORY_MAX_BUFFERED = 50_000;
/** Wait before writing again after a failed write. */
const RETRY_AFTER_FAILURE_MS = 1_000;

/**
 * Records status checks in `monitor_checks` off the poll's path: a poll only builds a row and
 * pushes it onto an array (the PollObserver's `checked` hook); rows are written here, one INSERT
 * per batch, one batch at a time. What a crash loses is what waits here, at most `flushEveryMs` of
 * checks (more while Postgres is down): a history row may be lost, never doubled (the primary key
 * on (monitor_id, seq) with ON CONFLICT DO NOTHING), and never a final record, which travels apart
 * through the completions queue.
 */
export class HistoryWriter implements PollObserver {
  private readonly maxBatchSize: number;
  private readonly flushEveryMs: number;
  private readonly maxBuffered: number;
  private buffer: CheckRecord[] = [];
  private timer: NodeJS.Timeout | undefined;
  private writing: Promise<void> | undefined;
  private dropped = 0;
  private closed = false;
  private readonly recordOptions: RecordOptions;

  constructor(
    private readonly db: Database,
    private readonly options: HistoryWriterOptions,
  ) {
    this.maxBatchSize = options.maxBatchSize ?? DEFAULT_HISTORY_BATCH_SIZE;
    this.flushEveryMs = options.flushEveryMs ?? DEFAULT_HISTORY_FLUSH_MS;
    this.maxBuffered = options.maxBuffered ?? DEFAULT_HISTORY_MAX_BUFFERED;
    this.recordOptions = options.hookRateKey ? { hookRateKey: options.hookRateKey } : {};
  }

  /** The PollObserver hook: called on every poll, so it does no I/O. */
  readonly checked = (event: CheckedEvent): void => {
    const record = checkRecordFor(event, this.options.defaultMode, this.recordOptions);
    if (!record || this.closed) return;
    this.buffer.push(record);
    if (this.buffer.length >= this.maxBatchSize && !this.writing) this.flush();
    else this.schedule(this.flushEveryMs);
  };

  /** Rows waiting to be written. */
  get pending(): number {
    return this.buffer.length;
  }

  /** Starts writing what waits, unless a write is under way (it schedules the next one). */
  flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.writing || this.buffer.length === 0) return;
    const batch = this.buffer.splice(0, this.maxBatchSize);
    this.writing = this.write(batch).finally(() => {
      this.writing = undefined;
      if (this.buffer.length >= this.maxBatchSize) this.flush();
      else if (this.buffer.length > 0) this.schedule(this.flushEveryMs);
    });
  }

  /** Writes everything that waits; stops at the first failed write (the rows stay buffered). */
  async drain(): Promise<void> {
    for (;;) {
      if (this.writing) await this.writing;
      if (this.buffer.length === 0) return;
      const before = this.buffer.length;
      this.flush();
      await this.writing;
      if (this.buffer.length >= before) return; // the write failed: give up, as a crash would
    }
  }

  /** Writes what it can of what waits, then stops; checks reported after this are ignored. */
  async close(): Promise<void> {
    await this.drain();
    this.closed = true;
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  private schedule(ms: number): void {
    if (this.closed) return;
    this.timer ??= setTimeout(() => {
      this.timer = undefined;
      this.flush();
    }, ms);
  }

  private async write(batch: CheckRecord[]): Promise<void> {
    try {
      await insertChecks(this.db, batch);
    } catch (caught) {
      // A row Postgres refuses as it is (bad data) would block the rows behind it for ever:
      // written alone, only the bad one is dropped.
      if (isDataError(caught)) {
        if (batch.length > 1) for (const record of batch) await this.write([record]);
        else this.options.onError?.({ error: coerceError(caught), buffered: this.buffer.length, dropped: ++this.dropped });
        return;
      }
      // Kept for the next write, in order, within the bound; the oldest go first when it is full.
      this.buffer = batch.concat(this.buffer);
      const excess = this.buffer.length - this.maxBuffered;
      if (excess > 0) {
        this.buffer.splice(0, excess);
        this.dropped += excess;
      }
      this.options.onError?.({ error: coerceError(caught), buffered: this.buffer.length, dropped: this.dropped });
      clearTimeout(this.timer);
      this.timer = undefined;
      this.schedule(RETRY_AFTER_FAILURE_MS);
    }
  }
}
