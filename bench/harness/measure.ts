import { setTimeout as sleep } from 'node:timers/promises';

export { sleep };

/** Monotonic milliseconds, for timing; never the wall clock. */
export function nowMs(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}

/**
 * Counts events (polls, requests, writes) up to a fixed number. The clock starts at the first one,
 * so start-up cost (connections, the first fetch) is left out, the same for every loop measured.
 */
export class EventCounter {
  count = 0;
  private startedAt = 0;
  private finish!: (elapsedMs: number) => void;
  /** Resolves with the milliseconds from the first event to the `target`-th. */
  readonly done: Promise<number>;

  constructor(readonly target: number) {
    this.done = new Promise((resolve) => (this.finish = resolve));
  }

  readonly tick = (): void => {
    this.count++;
    if (this.count === 1) this.startedAt = nowMs();
    if (this.count === this.target) this.finish(nowMs() - this.startedAt);
  };

  /** Events per second over the counted run. */
  async rate(): Promise<number> {
    const elapsed = await this.done;
    return (this.target - 1) / (elapsed / 1000);
  }
}

/** Values recorded only while `recording` is on: a measurement window after a warm-up. */
export class WindowRecorder {
  recording = false;
  readonly values: number[] = [];

  readonly record = (value: number): void => {
    if (this.recording) this.values.push(value);
  };

  /** Records for `ms`, then stops; resolves with how many values came in. */
  async recordFor(ms: number): Promise<{ count: number; seconds: number }> {
    const startedAt = nowMs();
    this.recording = true;
    await sleep(ms);
    this.recording = false;
    return { count: this.values.length, seconds: (nowMs() - startedAt) / 1000 };
  }

  summary(): LatencySummary {
    return summarize(this.values);
  }
}

export interface LatencySummary {
  samples: number;
  p50: number;
  p99: number;
  max: number;
}

export function summarize(values: readonly number[]): LatencySummary {
  const sorted = Float64Array.from(values).sort();
  return { samples: sorted.length, p50: percentile(sorted, 0.5), p99: percentile(sorted, 0.99), max: sorted.at(-1) ?? Number.NaN };
}

/** Nearest-rank percentile of sorted values. */
export function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)]!;
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/** Lets the previous round's garbage and sockets go before the next is timed. */
export async function settle(ms = 300): Promise<void> {
  (globalThis as { gc?: () => void }).gc?.();
  await sleep(ms);
}

/** Fixed rounds of a measurement; the median damps a neighbour's burst on a shared machine. */
export interface Rounds {
  median: number;
  samples: number[];
}

export function rounds(samples: number[]): Rounds {
  return { median: median(samples), samples };
}

/** Waits for a condition, with a deadline: a bench that hangs says what it was waiting for. */
export async function waitUntil(probe: () => Promise<boolean> | boolean, what: string, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`bench: timed out after ${timeoutMs}ms waiting for ${what}`);
    await sleep(20);
  }
}
