import { member, successBody, type HttpAnswer } from '../http-answer.ts';
import { statusText } from '../field-path.ts';
import { ended, running, type Reading } from '../source-reading.ts';

/**
 * `kubernetes-job`, a batch/v1 Job read from the API server: it has ended when its status has the
 * condition `Complete` or `Failed` with status `True`. `SuccessCriteriaMet` and `FailureTarget` are
 * not ends: the Job controller adds them first and the terminal condition only once the Job's pods
 * have terminated, so a Job can still be running (and, for `FailureTarget`, still be counted as
 * active) while they show. A failed Job keeps its condition's reason and message; a complete one
 * keeps its status (counts and times) as the output. Until then the raw status names the newest
 * true condition (`Suspended`, `FailureTarget`) or is `Running`.
 */
export function readKubernetesJob(answer: HttpAnswer): Reading {
  const parsed = successBody(answer);
  if (!parsed.ok) return parsed;
  const status = member(parsed.body, 'status');
  const conditions = trueConditions(member(status, 'conditions'));
  const failed = conditions.find((condition) => condition.type === 'Failed');
  if (failed) return ended(answer, 'failed', 'Failed', { error: { reason: failed.reason ?? null, message: failed.message ?? null } });
  if (conditions.some((condition) => condition.type === 'Complete')) return ended(answer, 'completed', 'Complete', { output: status });
  return running(answer, conditions.at(-1)?.type ?? 'Running', false);
}

interface Condition { type: string; reason?: string; message?: string }

/** The conditions whose status is `True`, in the order the API server lists them. */
function trueConditions(list: unknown): Condition[] {
  if (!Array.isArray(list)) return [];
  return list.flatMap((item) => {
    const type = statusText(member(item, 'type'));
    if (type === undefined || statusText(member(item, 'status'))?.toLowerCase() !== 'true') return [];
    const reason = statusText(member(item, 'reason'));
    const message = statusText(member(item, 'message'));
    return [{ type, ...(reason === undefined ? {} : { reason }), ...(message === undefined ? {} : { message }) }];
  });
}
