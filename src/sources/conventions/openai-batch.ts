import { member, successBodyWithStatus, type HttpAnswer } from '../http-answer.ts';
import { ended, running, type Reading } from '../source-reading.ts';

/**
 * `openai-batch`, the OpenAI Batch API's batch object: `status` is validating, in_progress,
 * finalizing or cancelling while it goes on, and ends as completed, failed, expired (the
 * completion window ran out: failed) or cancelled. Every end keeps `output_file_id` and
 * `error_file_id` (a completed batch can still have failed requests in its error file); failed
 * and expired ends keep `errors` too. An unknown status is a failed end that keeps the raw value.
 */
export function readOpenAiBatch(answer: HttpAnswer): Reading {
  const parsed = successBodyWithStatus(answer, 'status');
  if (!parsed.ok) return parsed;
  const status = parsed.status;
  const output = fileIds(parsed.body);
  switch (status) {
    case 'validating':
    case 'in_progress':
    case 'finalizing':
    case 'cancelling':
      return running(answer, status, false);
    case 'completed':
      return ended(answer, 'completed', status, { output });
    case 'cancelled':
      return ended(answer, 'canceled', status, { output });
    default:
      return ended(answer, 'failed', status, { output, error: member(parsed.body, 'errors') ?? undefined });
  }
}

function fileIds(body: Record<string, unknown>): Record<string, string> {
  const ids: Record<string, string> = {};
  for (const key of ['output_file_id', 'error_file_id']) {
    const id = member(body, key);
    if (typeof id === 'string') ids[key] = id;
  }
  return ids;
}
