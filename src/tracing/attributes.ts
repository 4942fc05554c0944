/**
 * The span attributes jobwatch sets outside the OpenTelemetry module (which has the semantic
 * conventions' own constants): the names spelled once, so that the rest of src/ loads no
 * OpenTelemetry package for them.
 */
export const MONITOR_ID = 'jobwatch.monitor.id';
export const NAMESPACE = 'jobwatch.namespace';
/** How the monitor ended (completed, failed, expired, cancelled ...), on the span that saw it end. */
export const OUTCOME = 'jobwatch.outcome';
/** The number of the status check a poll span makes: the monitor's polls so far, plus one. */
export const POLL_NUMBER = 'jobwatch.poll.number';
/** The HTTP semantic conventions' names that callers fill in after the answer. */
export const HTTP_RESPONSE_STATUS_CODE = 'http.response.status_code';
export const HTTP_REQUEST_METHOD = 'http.request.method';
export const SERVER_ADDRESS = 'server.address';
export const URL_FULL = 'url.full';
/** The messaging conventions (still incubating, so spelled here rather than imported). */
export const MESSAGING_SYSTEM = 'messaging.system';
export const MESSAGING_DESTINATION = 'messaging.destination.name';
export const MESSAGING_OPERATION_TYPE = 'messaging.operation.type';
export const DB_SYSTEM_NAME = 'db.system.name';
