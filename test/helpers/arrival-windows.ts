/**
 * Counting arrivals (epoch ms, sorted) in windows of time, as a status service would count the
 * requests it gets: the most in any sliding window (every arrival starting one), and the count in
 * each whole window. The rate-limit tests, the chaos run and the bench's rate-limit rows share them.
 */

/** The most of `times` (sorted, epoch ms) that fall in any window of `windowMs`, over [from, to). */
export function maxInWindow(times: readonly number[], windowMs: number, from = -Infinity, to = Infinity): number {
  return maxInTrustedWindows(times.filter((time) => time >= from && time < to), windowMs, () => true).most;
}

/**
 * The most of `times` (sorted, epoch ms) in any window of `windowMs` that holds only times
 * `trusted` accepts, and how many of the windows (one ending at each time) were judged.
 */
export function maxInTrustedWindows(times: readonly number[], windowMs: number, trusted: (time: number) => boolean): { most: number; judged: number } {
  let most = 0;
  let judged = 0;
  let start = 0;
  let lastUntrusted = -1;
  for (let end = 0; end < times.length; end++) {
    while (times[end]! - times[start]! >= windowMs) start++;
    if (!trusted(times[end]!)) lastUntrusted = end;
    if (lastUntrusted >= start) continue;
    judged++;
    most = Math.max(most, end - start + 1);
  }
  return { most, judged };
}

/** How many of `times` (sorted, epoch ms) fall in each whole window of `windowMs` from the first on, in turn. */
export function countsPerWindow(times: readonly number[], windowMs: number): number[] {
  const first = times[0];
  if (first === undefined) return [];
  const windows = Math.floor((times.at(-1)! - first) / windowMs);
  const counts = new Array<number>(windows).fill(0);
  for (const time of times) {
    const window = Math.floor((time - first) / windowMs);
    if (window < windows) counts[window]!++;
  }
  return counts;
}
