import { coerceError } from '../errors/errors.ts';
import { jobIdOf, type MonitorContext } from '../monitor/context.ts';
import type { StatusAnswer } from '../monitor/gate/hold.ts';
import type { RequestGate } from '../monitor/gate/request-gate.ts';
import type { StatusReading } from '../monitor/reading.ts';
import type { SpanHandle } from '../monitor/span-handle.ts';

/** How reads due together are gathered into one request. */
export interface BatchLimits {
  /** Most distinct job ids in one request; a batch that reaches it is sent at once. @defaultValue 100 (JOBWATCH_BATCH_MAX) */
  maxIds: number;
  /** Longest the first read of a batch waits for others before it is sent. @defaultValue 20ms (JOBWATCH_BATCH_WINDOW) */
  windowMs: number;
  /**
   * The most polls this process runs at once (its concurrency). When that many reads wait here
   * (gathering or sent), no other can join them before a batch is answered, so every batch still
   * gathering is sent at once instead of at the end of its window. @defaultValue none: batches
   * wait for their window or maxIds
   */
  slots?: number | undefined;
}

/** What one batch request found: its reading as a whole (for the gate), and each member's reading. */
export interface BatchOutcome {
  /** The request as a whole: a failure (every member shares it), or an ok reading when it answered. */
  overall: StatusReading;
  /** The reading of one member, read at its own status field. */
  readingOf(member: MonitorContext): StatusReading;
}

/**
 * Sends one batch: `jobIds` are the distinct job ids of `members`, which all share one source.
 * `parent`, with tracing on: the span of the batch's first read (its poll), which the request is a
 * child of, as a shared request can be of one span only. Never throws: a failed request is an
 * outcome whose `overall` and every member reading fail.
 */
export type FetchBatch = (jobIds: readonly string[], members: readonly MonitorContext[], parent: SpanHandle | undefined) => Promise<BatchOutcome>;

export interface BatchCoalescerOptions extends BatchLimits {
  fetch: FetchBatch;
  /** Admits each batch once, as one request, and is told what it found. @defaultValue none: every batch is sent */
  gate?: RequestGate | undefined;
  /** The key a batch is admitted under, from its first member; undefined: not gated. */
  rateKeyOf(first: MonitorContext): string | undefined;
}

interface Waiter {
  member: MonitorContext;
  span: SpanHandle | undefined;
  resolve(answer: StatusAnswer): void;
}

interface PendingBatch {
  /** Waiters by job id: equal job ids are asked for once and answer every monitor that waits on them. */
  byJobId: Map<string, Waiter[]>;
  timer: NodeJS.Timeout | undefined;
}

/**
 * Gathers the reads of one worker process that fall due together on the same batch source into one
 * request: up to `maxIds` job ids, the first waiting at most `windowMs`. Each read still answers
 * its own monitor, whose poll decides, locks and re-schedules alone; only the request is shared.
 */
export class BatchCoalescer {
  private readonly pending = new Map<string, PendingBatch>();
  private readonly inFlight = new Set<Promise<void>>();
  /** Reads not answered yet, over all sources, gathering or sent. */
  private waiting = 0;

  constructor(private readonly options: BatchCoalescerOptions) {}

  /** The answer for `member`, read in the next batch of `source` (members of one source share a URL and rate key); `span`: its poll's. */
  read(source: string, member: MonitorContext, span?: SpanHandle): Promise<StatusAnswer> {
    return new Promise((resolve) => {
      let batch = this.pending.get(source);
      if (!batch) {
        batch = { byJobId: new Map(), timer: undefined };
        this.pending.set(source, batch);
        batch.timer = setTimeout(() => this.flush(source), this.options.windowMs);
      }
      const waiters = batch.byJobId.get(jobIdOf(member));
      if (waiters) waiters.push({ member, span, resolve });
      else batch.byJobId.set(jobIdOf(member), [{ member, span, resolve }]);
      this.waiting++;
      if (this.options.slots !== undefined && this.waiting >= this.options.slots) this.flushAll();
      else if (batch.byJobId.size >= this.options.maxIds) this.flush(source);
    });
  }

  /** Sends every batch still gathering and waits for all requests in flight. */
  async close(): Promise<void> {
    this.flushAll();
    await Promise.all(this.inFlight);
  }

  private flushAll(): void {
    for (const source of [...this.pending.keys()]) this.flush(source);
  }

  private flush(source: string): void {
    const batch = this.pending.get(source);
    if (!batch) return;
    this.pending.delete(source);
    clearTimeout(batch.timer);
    const sent = this.send(batch.byJobId).finally(() => this.inFlight.delete(sent));
    this.inFlight.add(sent);
  }

  private async send(byJobId: Map<string, Waiter[]>): Promise<void> {
    const waiters = [...byJobId.values()].flat();
    let answerOf: (member: MonitorContext) => StatusAnswer;
    try {
      answerOf = await this.admitAndFetch([...byJobId.keys()], waiters.map((waiter) => waiter.member), waiters[0]?.span);
    } catch (error) {
      // Unreachable with the providers' fetches, which never throw; a gate's admit may, if Redis is down.
      const failure: StatusReading = { ok: false, failure: { reason: 'connection', message: `batch request failed: ${coerceError(error).message}` } };
      answerOf = () => failure;
    }
    this.waiting -= waiters.length;
    for (const waiter of waiters) waiter.resolve(answerOf(waiter.member));
  }

  /** One admit and one observe per batch: a rate limit counts the batch as the one request it is. */
  private async admitAndFetch(jobIds: string[], members: MonitorContext[], parent: SpanHandle | undefined): Promise<(member: MonitorContext) => StatusAnswer> {
    const { gate } = this.options;
    const key = gate ? this.options.rateKeyOf(members[0]!) : undefined;
    const admission = gate && key !== undefined ? await gate.admit(key) : undefined;
    const { hold } = admission ?? {};
    if (hold) return () => ({ held: hold });
    const outcome = await this.options.fetch(jobIds, members, parent);
    // The answer is recorded for the key's next requests; this batch's members keep their readings.
    if (gate && key !== undefined) await gate.observe(key, outcome.overall, admission);
    return (member) => outcome.readingOf(member);
  }
}

/** An outcome in which the request failed: every member shares the failure. */
export function failedBatch(reading: StatusReading & { ok: false }): BatchOutcome {
  return { overall: reading, readingOf: () => reading };
}
