import { normalizeStatus } from '../../monitor/statuses.ts';
import { member, successBodyWithStatus, type HttpAnswer } from '../http-answer.ts';
import { ended, running, type Reading } from '../source-reading.ts';

/**
 * `azure-operation`, the status monitor of the Azure REST API guidelines (the `Operation-Location`
 * resource): `{ "id", "status", "error"?, "result"? }` with `status` one of NotStarted, Running,
 * Succeeded, Failed, Canceled, and Retry-After while it runs. The HTTP status is 200 throughout,
 * so a 200 with `Running` is not done. Succeeded keeps `result`; Failed and Canceled keep `error`.
 * A status outside the five is an end as `failed` that keeps the raw value, as an unknown status
 * is everywhere in jobwatch. Compared ignoring case, as services spell them `notStarted` too.
 */
export function readAzureOperation(answer: HttpAnswer): Reading {
  const parsed = successBodyWithStatus(answer, 'status');
  if (!parsed.ok) return parsed;
  const status = parsed.status;
  const error = member(parsed.body, 'error');
  switch (normalizeStatus(status)) {
    case 'notstarted':
    case 'running':
      return running(answer, status, true);
    case 'succeeded':
      return ended(answer, 'completed', status, { output: member(parsed.body, 'result') });
    case 'canceled':
    case 'cancelled':
      return ended(answer, 'canceled', status, { error });
    default:
      return ended(answer, 'failed', status, { error });
  }
}
