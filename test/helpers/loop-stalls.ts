/**
 * Watches this process's event loop for stalls. A test server stamps each request when its loop
 * gets to it, so the requests that came during a stall are stamped together at its end, closer
 * than they came: on a busy machine that bunching is the test's own doing, not the system's. A
 * check of arrival rates leaves out the windows a stall blurred.
 */
export interface LoopStalls {
  /** Whether a time stamped by this process may be off: during a stall, or just after its end. */
  blurred(time: number): boolean;
  /**
   * The spans (epoch ms, from and to) within which a time this process stamped may be off, for a
   * process that judges the times elsewhere (see blurredBy): the bench's status server sends them.
   */
  spans(): readonly BlurredSpan[];
  stop(): void;
}

/** From and to, epoch ms, both included. */
export type BlurredSpan = readonly [number, number];

/** A loop late by more than `thresholdMs` on a `tickMs` timer is a stall. */
export function watchLoopStalls({ thresholdMs = 50, tickMs = 10 } = {}): LoopStalls {
  const spans: BlurredSpan[] = [];
  let last = Date.now();
  const timer = setInterval(() => {
    const now = Date.now();
    // Requests waiting at a stall's end are stamped after the timer that saw it: within a tick.
    if (now - last > thresholdMs) spans.push([last, now + tickMs]);
    last = now;
  }, tickMs);
  timer.unref();
  return {
    blurred: blurredBy(spans),
    spans: () => spans,
    stop: () => clearInterval(timer),
  };
}

/** Whether a time falls in one of the spans a process's stalls blurred (as `LoopStalls.spans` gave them). */
export function blurredBy(spans: readonly BlurredSpan[]): (time: number) => boolean {
  return (time) => spans.some(([from, to]) => time >= from && time <= to);
}
