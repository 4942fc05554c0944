import { QuotaExceededError, type QuotaName, type QuotaRefusalDetails } from '../errors/errors.ts';
import type { QuotaLimits } from './quotas.ts';

/**
 * The port the start, push and completion paths count quotas through (quotas/redis-quotas.ts
 * fills it), so that the queue and client code need not know where the counts live.
 */
export interface QuotaLedger {
  /**
   * Before monitors of one namespace start: counts the monitor keys not running already, all or
   * none. If the start then fails or conflicts, `undoStart` the reservation.
   */
  reserveStart(namespace: string, monitorKeys: readonly string[], expireAts: readonly number[], limits: Readonly<QuotaLimits>, now?: number): Promise<StartReservation | QuotaRefusal>;
  undoStart(reservation: StartReservation): Promise<void>;
  /** A monitor ended, however it ended. Idempotent. */
  release(namespace: string, monitorKey: string): Promise<void>;
  /** Before an early push is kept for `ttlMs`; a newer push for the same monitor replaces the older one's count. */
  reserveEarlyPush(namespace: string, monitorKey: string, bytes: number, ttlMs: number, limits: Readonly<QuotaLimits>, now?: number): Promise<{ ok: true } | QuotaRefusal>;
  /** The monitor took its early push (or it was dropped). Idempotent. */
  releaseEarlyPush(namespace: string, monitorKey: string): Promise<void>;
  usage(namespace: string, now?: number): Promise<QuotaUsage>;
}

/** A refused reservation: which quota, how long until it may fit, and the use it met. Nothing was written. */
export interface QuotaRefusal extends QuotaRefusalDetails {
  ok: false;
}

/** An admitted start: what `undoStart` needs, should the start then fail. */
export interface StartReservation {
  ok: true;
  namespace: string;
  /** The `now` it was made at. */
  at: number;
  /** The monitor keys it counted: those not running already. A re-start of a running monitor counts nothing. */
  added: readonly string[];
}

/** One namespace's use, in the units of its quotas. */
export interface QuotaUsage extends Record<QuotaName, number> {
  namespace: string;
}

/** The error the HTTP API answers 429 for (with Retry-After), from a refusal. */
export function quotaExceeded({ ok: _ok, ...details }: QuotaRefusal): QuotaExceededError {
  return new QuotaExceededError(details);
}
