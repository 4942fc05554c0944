/** Polls a condition until it holds or the deadline passes; no fixed sleeps in tests. */
export async function waitFor<T>(
  probe: () => Promise<T | undefined | null | false> | T | undefined | null | false,
  { timeoutMs = 20_000, intervalMs = 50, what = 'condition' }: { timeoutMs?: number; intervalMs?: number; what?: string } = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs}ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/**
 * Waits until a count that rises while the system works (requests a server received, rows
 * written) reaches `target`. Progress, not the clock, decides: it fails as soon as the count has
 * not risen for `stallMs`, and otherwise only at `timeoutMs`, a wide outer bound, so that a slow
 * machine gets as long as it keeps moving and a stuck run fails early.
 */
export async function waitForCount(
  count: () => Promise<number> | number,
  target: number,
  { stallMs = 10_000, timeoutMs = 120_000, intervalMs = 100, what = 'progress' }: { stallMs?: number; timeoutMs?: number; intervalMs?: number; what?: string } = {},
): Promise<void> {
  let last = { value: -Infinity, at: Date.now() };
  await waitFor(async () => {
    const value = await count();
    if (value >= target) return true;
    if (value > last.value) last = { value, at: Date.now() };
    else if (Date.now() - last.at > stallMs) throw new Error(`nothing moved for ${stallMs}ms waiting for ${what}: ${value} of ${target}`);
    return false;
  }, { timeoutMs, intervalMs, what: `${what}: ${target}` });
}
