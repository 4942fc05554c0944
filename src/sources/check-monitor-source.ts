import { ForbiddenError, InvalidInputError } from '../errors/errors.ts';
import { SourceParamError } from './errors.ts';
import { sourceNamed, type Source, type Sources } from './sources-file.ts';
import { expandUrlTemplate } from './url-template.ts';

/** Most source names an unknown-source message lists. */
const NAMES_LISTED = 10;

/**
 * The start-time check of a monitor that names a source: the sources file has it, and its URL (or
 * batch URL) takes exactly these params with values that fit (the URL is expanded once, for the
 * job, and thrown away); and, given the monitor's namespace, the source is open to it. Throws
 * InvalidInputError naming `source`, SourceParamError naming the param, or ForbiddenError.
 */
export function checkMonitorSource(
  sources: Sources | undefined, name: string, jobId: string, params: Readonly<Record<string, string>>, namespace?: string,
): Source {
  const source = sources === undefined ? undefined : sourceNamed(sources, name);
  if (!source) throw new InvalidInputError('source', unknownSourceProblem(sources, name));
  if (namespace !== undefined && !isOpenTo(source, namespace)) {
    // Which namespaces it is open to is not said: those are other teams' names.
    throw new ForbiddenError(`forbidden: the source "${name}" is not open to the namespace ${namespace}`);
  }
  const { target } = source;
  if (target.kind === 'hook') {
    const extra = Object.keys(params)[0];
    if (extra !== undefined) throw new SourceParamError(extra, 'is not a param of this source; a hook source takes none');
    return source;
  }
  expandUrlTemplate(target.template, jobId, params);
  return source;
}

/** Whether a monitor of this namespace may read through the source (and its credentials). */
export function isOpenTo(source: Source, namespace: string): boolean {
  return source.namespaces === undefined || source.namespaces.includes(namespace);
}

/** Why a source name is unknown, in words that say where sources come from. */
export function unknownSourceProblem(sources: Sources | undefined, name: string): string {
  if (sources === undefined) return `names the source "${name}", but no sources file is configured; set JOBWATCH_SOURCES to one that declares it`;
  const names = Object.keys(sources.byName);
  const listed = names.length === 0 ? 'it declares none' : `it declares ${names.slice(0, NAMES_LISTED).join(', ')}${names.length > NAMES_LISTED ? ', ...' : ''}`;
  return `"${name}" is not a source of the sources file; ${listed}`;
}
