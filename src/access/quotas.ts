/**
 * What one namespace may hold or do, so that one client cannot fill Redis or crowd out the others.
 * Each is a ceiling; `Infinity` is no ceiling (what `admin` keys get).
 */
export interface QuotaLimits {
  /** Monitors started and not yet ended. */
  runningMonitors: number;
  /** Monitors started per second (a sliding one-second window). */
  startsPerSecond: number;
  /** Early pushes (statuses pushed before their monitor starts) kept at once. */
  earlyPushes: number;
  /** The bytes those early pushes hold. */
  earlyPushBytes: number;
}
