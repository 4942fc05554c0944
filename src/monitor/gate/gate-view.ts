/**
 * One worker's copy of which rate keys the gate is acting on (a Retry-After hold, a run of
 * failures, an open circuit), kept from the changes the gate's scripts announce as they make them.
 * Redis stays the truth: the copy only says when a request may skip asking it. It is trusted only
 * between a (re)subscription and the next break of it, once the state was read again after the
 * subscription (a change made while unsubscribed was never heard of).
 */

/**
 * A change of one rate key's host-wide state, as announced:
 * - `hold`: a Retry-After hold started or grew; it lasts `ms` from when it was set;
 * - `fail`: the key's first failure in a row; `open`: its circuit opened;
 * - `clear`: a good answer ended its failures and closed its circuit.
 */
export type GateChange =
  | { kind: 'hold'; key: string; ms: number }
  | { kind: 'fail' | 'open' | 'clear'; key: string };

/** A change as the scripts publish it: `<kind> <ms> <key>` (the key last: it may hold spaces). */
export function parseGateChange(message: string): GateChange | undefined {
  const match = /^(hold|fail|open|clear) (\d+(?:\.\d+)?) (.+)$/s.exec(message);
  if (!match) return undefined;
  const [, kind, ms, key] = match as unknown as [string, GateChange['kind'], string, string];
  return kind === 'hold' ? { kind, key, ms: Number(ms) } : { kind, key };
}

export class GateView {
  private trusted = false;
  /** Keys with a hold, until when on this process's clock (never earlier than Redis ends it: counted from when the news arrived). */
  private readonly holds = new Map<string, number>();
  /** Keys with failures or an open circuit. */
  private readonly failing = new Set<string>();
  /** Counts changes heard; per key, the count at its last change (see settle). */
  private changes = 0;
  private readonly lastChange = new Map<string, number>();

  /** Whether a request to `key` may skip the gate: the copy is trusted and says nothing of the key. */
  isQuiet(key: string, now: number): boolean {
    if (!this.trusted || this.failing.has(key)) return false;
    const until = this.holds.get(key);
    if (until === undefined) return true;
    if (until > now) return false;
    this.holds.delete(key);
    return true;
  }

  isTrusted(): boolean {
    return this.trusted;
  }

  /** The subscription broke, or is being made again: forget everything, ask Redis until trusted again. */
  distrust(): void {
    this.trusted = false;
    this.holds.clear();
    this.failing.clear();
    this.lastChange.clear();
    this.changes += 1;
  }

  /** Subscribed, and the state read since (the reads applied as changes): the copy may be acted on. */
  trust(): void {
    this.trusted = true;
  }

  apply(change: GateChange, now: number): void {
    this.changes += 1;
    this.lastChange.set(change.key, this.changes);
    if (change.kind === 'hold') {
      this.holds.set(change.key, Math.max(this.holds.get(change.key) ?? 0, now + change.ms));
    } else if (change.kind === 'clear') {
      this.failing.delete(change.key);
    } else {
      this.failing.add(change.key);
    }
  }

  /** A mark to pass to `settle` with what Redis answers to a request sent now. */
  mark(): number {
    return this.changes;
  }

  /**
   * Redis, asked after `mark`, saw nothing on `key` (no hold, no failures, no open circuit): what
   * the copy still holds of it is stale (a state that expired unannounced, or read back just before
   * it ended), unless a change of the key was heard since the mark, which may be newer than the answer.
   */
  settle(key: string, mark: number): void {
    if ((this.lastChange.get(key) ?? 0) > mark) return;
    this.holds.delete(key);
    this.failing.delete(key);
    this.lastChange.delete(key);
  }
}
