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
  const source = openSource(sources, name, namespace);
  const { target } = source;
  if (target.kind === 'answered') {
    throw new InvalidInputError('source', `"${name}" is watched at the URL its start request answers: start an operation of it (POST /api/operations, startOperation or jobwatch call)`);
  }
  if (target.kind === 'hook') {
    const extra = Object.keys(params)[0];
    if (extra !== undefined) throw new SourceParamError(extra, 'is not a param of this source; a hook source takes none');
    return source;
  }
  expandUrlTemplate(target.template, jobId, params);
  return source;
}

/**
 * The start-time check of an operation: the source declares a start request, and the params given
 * are exactly those of its start URL and its poll URL, with values that fit both. Throws as
 * checkMonitorSource does.
 */
export function checkOperationSource(sources: Sources | undefined, name: string, params: Readonly<Record<string, string>>, namespace?: string): Source {
  const source = openSource(sources, name, namespace);
  const { start, target } = source;
  if (!start) throw new InvalidInputError('source', `"${name}" declares no start request; add "start" to it in the sources file to start operations through it`);
  const polled = target.kind === 'url' ? target.template : undefined;
  const takes = new Set([...start.template.params, ...(polled?.params ?? [])]);
  const extra = Object.keys(params).find((param) => !takes.has(param));
  if (extra !== undefined) throw new SourceParamError(extra, `is not a param of this source; it takes ${takes.size === 0 ? 'none' : [...takes].join(', ')}`);
  const pick = (names: readonly string[]) => Object.fromEntries(Object.entries(params).filter(([param]) => names.includes(param)));
  expandUrlTemplate(start.template, '', pick(start.template.params));
  // The poll URL's own params, checked with a stand-in for the job id it does not know yet.
  if (polled) expandUrlTemplate(polled, 'job', pick(polled.params));
  return source;
}

function openSource(sources: Sources | undefined, name: string, namespace: string | undefined): Source {
  const source = sources === undefined ? undefined : sourceNamed(sources, name);
  if (!source) throw new InvalidInputError('source', unknownSourceProblem(sources, name));
  if (namespace !== undefined && !isOpenTo(source, namespace)) {
    // Which namespaces it is open to is not said: those are other teams' names.
    throw new ForbiddenError(`forbidden: the source "${name}" is not open to the namespace ${namespace}`);
  }
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
