/** Limits on what a monitor may ask for. Checked once, where a monitor enters the system. */

/** Longest monitor id or job id, in characters. */
export const MAX_ID_LENGTH = 256;
/** Shortest interval between two polls of one monitor. Below this a monitor is a busy loop. */
export const MIN_INTERVAL_MS = 100;
/** Longest interval between two polls. */
export const MAX_INTERVAL_MS = 7 * 24 * 3_600_000;
/** Longest a monitor may live. */
export const MAX_EXPIRE_IN_MS = 90 * 24 * 3_600_000;
/** Largest metadata object, as JSON bytes. It rides in every poll job, so it stays small. */
export const MAX_METADATA_BYTES = 16 * 1024;
/** Largest `body` of a pushed status, as JSON bytes, bounded as metadata is: early pushes keep it in Redis, and the record in `detail`. */
export const MAX_PUSHED_BODY_BYTES = MAX_METADATA_BYTES;
/** What a source's name may be: the sources file declares it, monitors and the CLI name it, and it is the default rate key. */
export const SOURCE_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
/** Most params a source may declare (and so a monitor may give). */
export const MAX_SOURCE_PARAMS = 16;
/** Longest status URL. */
export const MAX_STATUS_URL_LENGTH = 2_048;
/** Longest dotted path to the status field. */
export const MAX_STATUS_FIELD_LENGTH = 200;
/** Largest status body kept in a result's `detail`, as JSON bytes; larger bodies are cut. */
export const MAX_DETAIL_BYTES = 16 * 1024;
/** Longest status string kept in a result's `job_status`; a longer one is cut, its full length noted in `detail`. */
export const MAX_JOB_STATUS_LENGTH = 1_024;
/** Largest status body (or status hook answer, as JSON) read; a larger one is a failed check (`bad-body`). */
export const MAX_STATUS_BODY_BYTES = 1024 * 1024;
