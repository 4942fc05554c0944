import { failureOfStatusCode, headerOf, type HttpAnswer } from '../http-answer.ts';
import { ended, running, type Reading } from '../source-reading.ts';

/**
 * `http-202`, the asynchronous request-reply pattern: the status endpoint answers 202 Accepted
 * while the work goes on (with Retry-After when the service has a view), and once it is done
 * either the result itself (200, 201, 204) or a redirect to it (302 Found, 303 See Other, with
 * `Location`). The status code alone decides: a 200 whose body says `"status": "running"` is done,
 * because in this convention the body is the result, not a status. The redirect is not followed
 * (the result may be large, or on another host that must not get the source's credentials); its
 * Location is kept as the job's output. Other answers mean what they mean for any status URL.
 */
export function readHttp202(answer: HttpAnswer): Reading {
  switch (answer.statusCode) {
    case 202:
      return running(answer, 'Accepted', true);
    case 200:
    case 201:
    case 204:
      return ended(answer, 'completed', DONE_PHRASES[answer.statusCode]!, { output: answer.body.kind === 'json' ? answer.body.value : undefined });
    case 302:
    case 303: {
      const location = resolveLocation(headerOf(answer, 'location'), answer.url);
      return ended(answer, 'completed', DONE_PHRASES[answer.statusCode]!, location === undefined ? {} : { output: { location } });
    }
  }
  return {
    ok: false,
    failure: failureOfStatusCode(answer) ?? {
      reason: 'http-status', httpStatus: answer.statusCode,
      message: `${answer.where} answered ${answer.statusCode}, which the http-202 convention does not know (202 running; 200, 201, 204, 302, 303 done)`,
    },
  };
}

const DONE_PHRASES: Record<number, string> = { 200: 'OK', 201: 'Created', 204: 'No Content', 302: 'Found', 303: 'See Other' };

/** The Location as an absolute URL when it can be made one; as given otherwise. */
function resolveLocation(location: string | undefined, base: string | undefined): string | undefined {
  if (location === undefined || location === '') return undefined;
  try {
    return new URL(location, base).href;
  } catch {
    return location;
  }
}
