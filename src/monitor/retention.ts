/** What a purge deletes: rows older than each cutoff; an absent cutoff keeps that table whole. */
export interface PurgeCutoffs {
  /** Final records that finished before this (and the delivered or given-up notifications written before it). */
  resultsBefore?: Date;
  /** History rows checked before this. */
  checksBefore?: Date;
}

/** Rows a purge deleted (or, in a dry run, would delete). */
export interface PurgeReport {
  results: number;
  checks: number;
  notifications: number;
  dryRun: boolean;
}

/** The port the purge job calls: implemented in db/, scheduled in queue/. */
export type Purge = () => Promise<PurgeReport>;

/** The cutoffs JOBWATCH_RETENTION and JOBWATCH_HISTORY_RETENTION stand for at `now`; undefined when both are off. */
export function retentionCutoffs(now: number, retentionMs: number | undefined, historyRetentionMs: number | undefined): PurgeCutoffs | undefined {
  if (retentionMs === undefined && historyRetentionMs === undefined) return undefined;
  return {
    ...(retentionMs !== undefined ? { resultsBefore: new Date(now - retentionMs) } : {}),
    ...(historyRetentionMs !== undefined ? { checksBefore: new Date(now - historyRetentionMs) } : {}),
  };
}
