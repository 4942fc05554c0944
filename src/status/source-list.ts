import type { Source, Sources } from '../sources/sources-file.ts';
import { authHeaders, clientTls, type SecretEnv } from './source-credentials.ts';

/** One source as `jobwatch sources` lists it: never a secret, only whether each could be read. */
export interface SourceSummary {
  name: string;
  /** `url`, `hook`, `batch`, or `answered` (watched at the URL its start request answers). */
  target: Source['target']['kind'];
  /** `convention github-actions-run`, or `mapping job.phase` (its status path). */
  reads: string;
  params: string[];
  /** `none`, `bearer`, `basic`, `header X-Api-Key` or `clientCert`. */
  auth: string;
  /** Whether this process can read the credentials now; when not, where it looked (never a value). */
  credentials: { resolved: true } | { resolved: false; problem: string };
  rateKey: string;
  /** Whether it declares a start request, so operations can be started through it. */
  starts: boolean;
}

/** Every source of the file, its credentials resolved as a check would resolve them, then dropped. */
export async function summarizeSources(sources: Sources | undefined, env: SecretEnv): Promise<SourceSummary[]> {
  return Promise.all(Object.values(sources?.byName ?? {}).map((source) => summarize(source, env)));
}

async function summarize(source: Source, env: SecretEnv): Promise<SourceSummary> {
  const { auth, target, reader } = source;
  const headers = await authHeaders(source.name, auth, env);
  const resolved = headers.ok && (auth?.kind === 'clientCert' || source.ca !== undefined) ? await clientTls(source.name, auth, source.ca) : headers;
  return {
    name: source.name,
    target: target.kind,
    reads: reader.kind === 'convention' ? `convention ${reader.convention}` : `mapping ${reader.mapping.statusPath.text}`,
    params: paramsOf(source),
    auth: auth === undefined ? 'none' : auth.kind === 'header' ? `header ${auth.name}` : auth.kind,
    credentials: resolved.ok ? { resolved: true } : { resolved: false, problem: resolved.failure.message },
    rateKey: source.rateKey,
    starts: source.start !== undefined,
  };
}

/** Every param a monitor or operation of the source gives: its URL's and its start URL's. */
function paramsOf({ target, start }: Source): string[] {
  const polled = target.kind === 'hook' || target.kind === 'answered' ? [] : target.template.params;
  return [...new Set([...polled, ...(start?.template.params ?? [])])];
}
