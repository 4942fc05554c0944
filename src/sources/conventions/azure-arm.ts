import { normalizeStatus } from '../../monitor/statuses.ts';
import { bodyObject, failureOfStatusCode, member, type HttpAnswer } from '../http-answer.ts';
import { statusText } from '../field-path.ts';
import { ended, running, type Reading } from '../source-reading.ts';

/**
 * `azure-arm`, Azure Resource Manager's asynchronous operations: the source polls either the
 * `Azure-AsyncOperation` URL (its body has `status`) or the `Location` URL or the resource itself
 * (its body has `properties.provisioningState`). Succeeded, Failed and Canceled are the only ends;
 * any other state (Accepted, Creating, Updating, Deleting, a service's own word) is still running.
 * 202 Accepted, with or without a body, is running (Location polling) and honours Retry-After; 204
 * is done. ARM's rule for a body with no state at all: the operation finished and succeeded.
 */
export function readAzureArm(answer: HttpAnswer): Reading {
  if (answer.statusCode === 202) return running(answer, 'Accepted', true);
  if (answer.statusCode === 204) return ended(answer, 'completed', 'Succeeded');
  const failure = failureOfStatusCode(answer);
  if (failure) return { ok: false, failure };
  if (answer.body.kind === 'empty') return ended(answer, 'completed', 'Succeeded');
  const parsed = bodyObject(answer);
  if (!parsed.ok) return parsed;
  const body = parsed.body;
  const properties = member(body, 'properties');
  const state = statusText(member(properties, 'provisioningState')) ?? statusText(member(body, 'provisioningState')) ?? statusText(member(body, 'status'));
  const output = properties ?? body;
  if (state === undefined) return ended(answer, 'completed', 'Succeeded', { output });
  const error = member(body, 'error') ?? member(properties, 'error');
  switch (normalizeStatus(state)) {
    case 'succeeded':
      return ended(answer, 'completed', state, { output });
    case 'failed':
      return ended(answer, 'failed', state, { error });
    case 'canceled':
    case 'cancelled':
      return ended(answer, 'canceled', state, { error });
    default:
      return running(answer, state, true);
  }
}
