/**
 * Watches this process's event loop for stalls. A test server stamps each request when its loop
 * gets to it, so the requests that came during a stall are stamped together at its end, closer
 * than they came: on a busy machine that bunching is the test's own doing, not the system's. A
 * check of arrival rates leaves out the windows a stall blurred.
 */
export interface LoopStalls {
  /** Whether a time stamped by this process may be off: during a stall, or just after its end. */
  blurred(time: number): boolean;
  stop(): void;
}

/** A loop late by more than `thresholdMs` on a `tickMs` timer is a stall. */
export function watchLoopStalls({ thresholdMs = 50, tickMs = 10 } = {}): LoopStalls {
  const stalls: Array<readonly [number, number]> = [];
  let last = Date.now();
  const timer = setInterval(() => {
    const now = Date.now();
    if (now - last > thresholdMs) stalls.push([last, now]);
    last = now;
  }, tickMs);
  timer.unref();
  return {
    // Requests waiting at a stall's end are stamped after the timer that saw it: within a tick.
    blurred: (time) => stalls.some(([start, end]) => time >= start && time <= end + tickMs),
    stop: () => clearInterval(timer),
  };
}
