/**
 * Which raw statuses mean what. A job's status service speaks its own words; jobwatch only needs to
 * know whether the job is still going and, once it is not, which outcome to record.
 */

/** How a monitor can end: the one list the code, the API schemas and the table's check are built from. */
export const OUTCOMES = ['completed', 'failed', 'canceled', 'expired', 'errored'] as const;
export type Outcome = (typeof OUTCOMES)[number];
/** How many monitors ended with each outcome (in some window): every outcome present, 0 when none. */
export type EndCounts = Record<Outcome, number>;

/** EndCounts with every outcome at 0, to count into. */
export function noEnds(): EndCounts {
  return Object.fromEntries(OUTCOMES.map((outcome) => [outcome, 0])) as EndCounts;
}

/** Statuses that mean "still going: poll again". Compared case-insensitively, ignoring `-`, `_` and spaces. */
export const DEFAULT_RUNNING_STATUSES = [
  'Processing', 'Running', 'Pending', 'Queued', 'InProgress', 'NotStarted', 'Started', 'Starting',
  'Scheduled', 'Waiting', 'Active', 'Submitted', 'Accepted', 'Created', 'Initializing', 'Provisioning',
] as const;
export const DEFAULT_COMPLETED_STATUSES = [
  'Completed', 'Complete', 'Succeeded', 'Success', 'Successful', 'Done', 'Finished', 'Ok',
] as const;
export const DEFAULT_FAILED_STATUSES = ['Failed', 'Failure', 'Error', 'Errored', 'Rejected', 'TimedOut'] as const;
export const DEFAULT_CANCELED_STATUSES = ['Canceled', 'Cancelled', 'Aborted', 'Terminated', 'Stopped'] as const;

export type StatusClass = 'running' | 'completed' | 'failed' | 'canceled';

export interface StatusVocabulary {
  readonly running: ReadonlySet<string>;
  readonly completed: ReadonlySet<string>;
  readonly failed: ReadonlySet<string>;
  readonly canceled: ReadonlySet<string>;
}

/** `In Progress`, `in_progress` and `IN-PROGRESS` are one status. */
export function normalizeStatus(raw: string): string {
  return raw.toLowerCase().replace(/[\s_-]+/g, '');
}

export function createVocabulary(words: {
  running?: readonly string[];
  completed?: readonly string[];
  failed?: readonly string[];
  canceled?: readonly string[];
} = {}): StatusVocabulary {
  const set = (list: readonly string[]) => new Set(list.map(normalizeStatus));
  return {
    running: set(words.running ?? DEFAULT_RUNNING_STATUSES),
    completed: set(words.completed ?? DEFAULT_COMPLETED_STATUSES),
    failed: set(words.failed ?? DEFAULT_FAILED_STATUSES),
    canceled: set(words.canceled ?? DEFAULT_CANCELED_STATUSES),
  };
}

/**
 * Classifies a raw status. Anything that is not a running status is terminal; a terminal status
 * that is in none of the known lists is recorded as `failed`, with the raw status kept beside it,
 * because a monitor must end and "it did not say it succeeded" is the safe reading.
 */
export function classifyStatus(raw: string, vocabulary: StatusVocabulary): StatusClass {
  const status = normalizeStatus(raw);
  if (vocabulary.running.has(status)) return 'running';
  if (vocabulary.completed.has(status)) return 'completed';
  if (vocabulary.canceled.has(status)) return 'canceled';
  return 'failed';
}
