import type { Config } from '../../config/config.ts';
import type { MonitorState } from '../../client/monitor-state.ts';
import { LIST_STATES, MAX_LIST_LIMIT, parseListQuery, type ListQueryInput } from '../../client/list-query.ts';
import { InvalidInputError } from '../../errors/errors.ts';
import { DEFAULT_NAMESPACE } from '../../monitor/namespace.ts';
import { parseFlags, printHelp, printJson } from '../flags.ts';
import { namespaceFlag, namespaceHelp, NAMESPACE_OPTION } from '../namespace-flag.ts';
import { openClient } from '../services.ts';
import { alignColumns } from '../table.ts';

export const listHelp = `Usage: jobwatch list [--state STATE] [--limit N] [--cursor CURSOR] [--namespace NAME]

Lists monitors, newest first: running ones (by start time), then ended ones (by finish time), of
every namespace or of the one named. Prints a table on a terminal, one JSON line per monitor
otherwise.

  --state STATE     only ${LIST_STATES.join(', ')}
  --limit N         monitors per page, 1 to ${MAX_LIST_LIMIT} (default: 50)
  --cursor CURSOR   the next page, as printed after the previous one
${namespaceHelp(18, 'only the monitors of this namespace (default: every namespace)')}`;

export async function listCommand(args: string[], readConfig: () => Config): Promise<number> {
  const { values } = parseFlags(args, { state: { type: 'string' }, limit: { type: 'string' }, cursor: { type: 'string' }, ...NAMESPACE_OPTION }, 'list');
  if (values.help) return printHelp(listHelp);
  const namespace = namespaceFlag(values.namespace);
  const query: ListQueryInput = { state: values.state, limit: values.limit, cursor: values.cursor, namespace };
  validateWithFlagNames(query); // before any connection: bad flags never wait on Redis
  const services = await openClient(readConfig(), 'list');
  try {
    const page = await services.client.listMonitors(query);
    const more = page.nextCursor ? `more: jobwatch list --cursor ${page.nextCursor}${values.state ? ` --state ${values.state}` : ''}${namespace ? ` --namespace ${namespace}` : ''}` : undefined;
    if (process.stdout.isTTY) {
      process.stdout.write(`${formatTable(page.monitors)}\n`);
      if (more) process.stdout.write(`${more}\n`);
    } else {
      for (const monitor of page.monitors) printJson(monitor);
      // Scripts read stdout as JSON lines only; the hint goes where people look.
      if (more) process.stderr.write(`${more}\n`);
    }
    return 0;
  } finally {
    await services.close();
  }
}

function validateWithFlagNames(query: ListQueryInput): void {
  try {
    parseListQuery(query);
  } catch (error) {
    if (!(error instanceof InvalidInputError)) throw error;
    throw error.at(`--${error.field}`); // the flags are named as the query's fields
  }
}

const COLUMNS = ['MONITOR', 'JOB', 'STATE', 'POLLS', 'LAST STATUS', 'STARTED', 'NEXT POLL / FINISHED'] as const;

/**
 * Monitors as aligned columns; long ids are shortened so a row fits a terminal. A NAMESPACE
 * column comes first when any monitor is outside the default namespace: the same id may be in two.
 */
export function formatTable(monitors: readonly MonitorState[]): string {
  if (monitors.length === 0) return 'no monitors';
  const rows = monitors.map((m) => [
    m.monitorId, m.jobId ?? '-',
    m.state === 'ended' ? `${m.outcome}${m.persisted ? '' : ' (unsaved)'}` : m.hold ? `${m.state}, held: ${m.hold.reason}` : m.state,
    String(m.polls),
    (m.state === 'ended' ? m.jobStatus : m.lastStatus) ?? '-',
    m.startedAt,
    m.state === 'ended' ? m.finishedAt : m.nextPollAt,
  ]);
  if (monitors.every((m) => m.namespace === DEFAULT_NAMESPACE)) return alignColumns(COLUMNS, rows);
  return alignColumns(['NAMESPACE', ...COLUMNS], rows.map((row, i) => [monitors[i]!.namespace, ...row]));
}
