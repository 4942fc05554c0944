// jobwatch's public API. Anything not exported here (or from `jobwatch/drizzle`) is internal and may change.
// Its types name no Drizzle type, so an app type-checks it under `skipLibCheck: false`; Drizzle's own
// declarations do not pass that check, which is why the table lives apart, in `jobwatch/drizzle`.
export { JobwatchClient, type ClientOptions, type StartedMonitor, type StartOptions } from './client/jobwatch-client.ts';
export type { MonitorState, RunningMonitorState, EndedMonitorState } from './client/monitor-state.ts';
export type { PushAnswer } from './client/push-answer.ts';
export { callbackUrl } from './client/callback-url.ts';
export { decidePush, parsePushedStatus, type PushedStatus } from './monitor/push.ts';
export { nextPollAfterRunning, DEFAULT_JITTER, type Schedule } from './monitor/schedule.ts';
export type { CheckPage, CheckRecordView, CheckQueryInput } from './client/check-page.ts';
export type { Overview, OutcomeCounts, RunningCounts } from './client/overview.ts';
export { HISTORY_MODES, type HistoryMode } from './monitor/history.ts';
export { webhookSignature, type NotifyTargets } from './monitor/notification.ts';
export { loadConfig, withOverrides, DEFAULTS, type Config } from './config/config.ts';
export { parseDuration, formatDuration } from './time/durations.ts';
export { openPostgres, openPglite, type DatabaseHandle } from './db/database.ts';
export { migratePostgres, migrateHandle, assertSchemaReady } from './db/migrate.ts';
export {
  JobwatchError, ConfigError, InvalidInputError, type InputPath, ServiceUnavailableError, SchemaMissingError,
  MonitorConflictError, MonitorNotFoundError, StatusHookError,
} from './errors/errors.ts';
export { createLogger, type Logger } from './logging/logger.ts';
export type { MonitorContext, MonitorResult, StatusSource } from './monitor/context.ts';
export { parseMonitorInput, isValidatedMonitor, type MonitorInput, type ValidatedMonitor } from './monitor/input.ts';
export { parseOperationInput, isValidatedOperation, type OperationInput, type ValidatedOperation } from './monitor/operation-input.ts';
export { decideBeforeCheck, decideAfterCheck, decideCancel, type PollPolicy } from './monitor/decide.ts';
export { OUTCOMES, type Outcome, type EndCounts, createVocabulary } from './monitor/statuses.ts';
export { startWorkerProcess, type WorkerProcess, type WorkerProcessOptions } from './wiring/worker-process.ts';
export type { GetJobStatus } from './status/hook-provider.ts';
export type { GetJobStatuses } from './status/hook-batch-provider.ts';
export type { StatusReading, StatusCheckFailure } from './monitor/reading.ts';
export { startDemoApi, type DemoApiOptions } from './demo/demo-api.ts';
