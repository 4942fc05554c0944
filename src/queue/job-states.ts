import type { JobType } from 'bullmq';

/**
 * The BullMQ states that say where a monitor is, declared once for the list, the overview and
 * the layout check, so that they never disagree on which monitors exist.
 */

/**
 * States of a running monitor's poll job: every state but `completed` (it ended) and `failed`
 * (a poll job retries until it works, INFRASTRUCTURE_ATTEMPTS, so it never stays failed).
 * `paused` and `waiting-children` are never entered by jobwatch itself, but a job moved there by
 * hand (a paused queue in Bull Board) is still a running monitor.
 */
export const RUNNING_JOB_STATES = ['waiting', 'active', 'delayed', 'prioritized', 'paused', 'waiting-children'] as const satisfies readonly JobType[];

/**
 * States of a completion job whose final record has not reached Postgres: the running states,
 * and `failed`, where a record Postgres refused for good is kept (it is in no table).
 */
export const PENDING_RECORD_STATES = [...RUNNING_JOB_STATES, 'failed'] as const satisfies readonly JobType[];

