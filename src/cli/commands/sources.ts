import type { Config } from '../../config/config.ts';
import { InvalidInputError } from '../../errors/errors.ts';
import { parseFlags, parsePairs, printHelp, printJson } from '../flags.ts';
import { alignColumns } from '../table.ts';

export const sourcesHelp = `Usage: jobwatch sources
       jobwatch sources try NAME JOB_ID [--param KEY=VALUE]...

Without arguments, lists the sources of the sources file (JOBWATCH_SOURCES): each one's name, how
its answers are read (a convention, or a mapping by its status path), its params, its auth, and
whether this process can read its credentials now (never their values).

\`try\` makes one real status check of a source for a job, as a worker would, and prints what was
read and how it was decided as one JSON line; it starts no monitor. Exit code 0 when a status was
read, 1 when the check failed.

  --param KEY=VALUE       a value for one of the source's params; repeat for each`;

export async function sourcesCommand(args: string[], readConfig: () => Config, env: NodeJS.ProcessEnv): Promise<number> {
  const { values, positionals } = parseFlags(args, { param: { type: 'string', multiple: true } }, 'sources', 3);
  if (values.help) return printHelp(sourcesHelp);
  const [action, name, jobId] = positionals;
  if (action === undefined) {
    if (values.param) throw new InvalidInputError('--param', 'applies to `jobwatch sources try` only');
    return listSources(readConfig(), env);
  }
  if (action !== 'try') throw new InvalidInputError('sources', `unknown action ${action}; use jobwatch sources, or jobwatch sources try NAME JOB_ID`);
  if (name === undefined || jobId === undefined) throw new InvalidInputError('sources try', 'needs NAME and JOB_ID: jobwatch sources try NAME JOB_ID [--param KEY=VALUE]...');
  const config = readConfig();
  const { trySource } = await import('../../status/source-try.ts');
  const tried = await trySource(config.sources, env, config.statusTimeoutMs, name, jobId, parsePairs(values.param ?? [], '--param'));
  printJson(tried);
  return tried.read === 'failed' ? 1 : 0;
}

async function listSources(config: Config, env: NodeJS.ProcessEnv): Promise<number> {
  if (!config.sources) throw new InvalidInputError('JOBWATCH_SOURCES', 'is not set: name a sources file, e.g. JOBWATCH_SOURCES=./jobwatch.sources.json');
  const { summarizeSources } = await import('../../status/source-list.ts');
  const rows = (await summarizeSources(config.sources, env)).map((source) => [
    source.name, source.target === 'url' ? source.reads : `${source.target}, ${source.reads}`, source.params.join(',') || '-', source.auth,
    source.credentials.resolved ? (source.auth === 'none' ? '-' : 'resolved') : `missing: ${source.credentials.problem.replace(/^source "[^"]*": /, '')}`,
  ]);
  process.stdout.write(`${alignColumns(['NAME', 'READS', 'PARAMS', 'AUTH', 'CREDENTIALS'], rows, 80)}\n`);
  return 0;
}
