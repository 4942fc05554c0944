import { normalizeStatus } from '../../monitor/statuses.ts';
import { member, successBodyWithStatus, type HttpAnswer } from '../http-answer.ts';
import { statusText } from '../field-path.ts';
import { ended, running, type Reading } from '../source-reading.ts';

/**
 * `github-actions-run`, a GitHub Actions workflow run: it runs (`queued`, `requested`, `waiting`,
 * `pending`, `in_progress`) until `status` is `completed`; then `conclusion` says how it ended:
 * `success` completed, `cancelled` canceled, anything else (`failure`, `timed_out`,
 * `startup_failure`, `action_required`, `neutral`, `skipped`, `stale`, none) failed, since only a
 * success is a success. The raw status of an end is its conclusion; every end keeps `html_url`.
 */
export function readGithubActionsRun(answer: HttpAnswer): Reading {
  const parsed = successBodyWithStatus(answer, 'status');
  if (!parsed.ok) return parsed;
  const status = parsed.status;
  if (normalizeStatus(status) !== 'completed') return running(answer, status, false);
  const conclusion = statusText(member(parsed.body, 'conclusion'));
  const htmlUrl = member(parsed.body, 'html_url');
  const output = typeof htmlUrl === 'string' ? { html_url: htmlUrl } : undefined;
  switch (conclusion === undefined ? undefined : normalizeStatus(conclusion)) {
    case 'success':
      return ended(answer, 'completed', conclusion!, { output });
    case 'cancelled':
      return ended(answer, 'canceled', conclusion!, { output });
    default:
      return ended(answer, 'failed', conclusion ?? status, { output, error: { conclusion: conclusion ?? null } });
  }
}
