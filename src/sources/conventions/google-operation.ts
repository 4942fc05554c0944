import { member, successBody, type HttpAnswer } from '../http-answer.ts';
import { ended, running, type Reading } from '../source-reading.ts';

/**
 * `google-operation`, Google's long-running operations (AIP-151, `google.longrunning.Operation`):
 * `done` false or absent (proto3 JSON leaves a false out) is running; `done: true` carries either
 * `response` (completed; kept as the output) or `error`, a `google.rpc.Status` (failed; kept). A
 * canceled operation is one whose error has code 1, CANCELLED. Done with neither is completed with
 * no output, which the spec allows. The raw status is `RUNNING`, `DONE`, or the error code's name.
 */
export function readGoogleOperation(answer: HttpAnswer): Reading {
  const parsed = successBody(answer);
  if (!parsed.ok) return parsed;
  if (member(parsed.body, 'done') !== true) return running(answer, 'RUNNING', false);
  const error = member(parsed.body, 'error');
  if (error !== undefined && error !== null) {
    const code = member(error, 'code');
    if (code === CANCELLED) return ended(answer, 'canceled', 'CANCELLED', { error });
    const name = typeof code === 'number' ? (RPC_CODE_NAMES[code] ?? `code ${code}`) : 'ERROR';
    return ended(answer, 'failed', name, { error });
  }
  return ended(answer, 'completed', 'DONE', { output: member(parsed.body, 'response') });
}

/** google.rpc.Code.CANCELLED: "the operation was cancelled, typically by the caller". */
const CANCELLED = 1;

/** google.rpc.Code names, for the raw status of a failed operation. */
const RPC_CODE_NAMES: Record<number, string> = {
  0: 'OK', 1: 'CANCELLED', 2: 'UNKNOWN', 3: 'INVALID_ARGUMENT', 4: 'DEADLINE_EXCEEDED', 5: 'NOT_FOUND',
  6: 'ALREADY_EXISTS', 7: 'PERMISSION_DENIED', 8: 'RESOURCE_EXHAUSTED', 9: 'FAILED_PRECONDITION', 10: 'ABORTED',
  11: 'OUT_OF_RANGE', 12: 'UNIMPLEMENTED', 13: 'INTERNAL', 14: 'UNAVAILABLE', 15: 'DATA_LOSS', 16: 'UNAUTHENTICATED',
};
