import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/errors/errors.ts';
import { parseSources, parseSourcesText, sourceNamed } from '../../src/sources/sources-file.ts';
import { expandUrlTemplate } from '../../src/sources/url-template.ts';

/** The example of issue 18, as a user writes it. */
const EXAMPLE = {
  sources: {
    ops: { url: 'https://ops.example.com/v1/operations/{jobId}', convention: 'google-operation', auth: { bearer: { env: 'OPS_TOKEN' } } },
    runs: { url: 'https://api.github.com/repos/{owner}/{repo}/actions/runs/{jobId}', params: ['owner', 'repo'], convention: 'github-actions-run', auth: { bearer: { env: 'GITHUB_TOKEN' } } },
    renders: {
      url: 'https://render.internal/jobs/{jobId}', auth: { header: { name: 'X-Api-Key', env: 'RENDER_KEY' } },
      statusPath: 'state.phase', completed: ['done'], failed: ['error', 'rejected'], running: ['queued', 'working'], outputPath: 'state.output',
    },
  },
};

function problemOf(source: Record<string, unknown>, name = 'runs'): string {
  try {
    parseSources({ sources: { [name]: source } });
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as Error).message;
  }
  throw new Error('expected a ConfigError');
}

const URL_ = 'https://jobs.internal/v1/jobs/{jobId}';

describe('the sources file', () => {
  it('reads the example into typed, frozen sources', () => {
    const sources = parseSources(EXAMPLE);
    const runs = sourceNamed(sources, 'runs')!;
    expect(runs.reader).toEqual({ kind: 'convention', convention: 'github-actions-run' });
    expect(runs.auth).toEqual({ kind: 'bearer', token: { env: 'GITHUB_TOKEN' } });
    expect(runs.rateKey).toBe('runs');
    expect(runs.target.kind === 'url' && runs.target.method).toBe('GET');
    if (runs.target.kind === 'url') expect(expandUrlTemplate(runs.target.template, '9', { owner: 'o', repo: 'r' })).toBe('https://api.github.com/repos/o/r/actions/runs/9');
    const renders = sourceNamed(sources, 'renders')!;
    expect(renders.auth).toEqual({ kind: 'header', name: 'X-Api-Key', value: { env: 'RENDER_KEY' } });
    expect(renders.reader.kind === 'mapping' && renders.reader.mapping.statusPath.text).toBe('state.phase');
    expect(Object.isFrozen(sources.byName)).toBe(true);
    expect(Object.isFrozen(runs.target)).toBe(true);
    expect(() => { (runs as { rateKey: string }).rateKey = 'x'; }).toThrow(TypeError);
    expect(sourceNamed(sources, 'toString')).toBeUndefined();
  });

  it('reads every kind of auth, the other targets, and the options with their defaults', () => {
    const sources = parseSources({
      sources: {
        basic: { url: URL_, auth: { basic: { user: { env: 'U' }, password: { file: '/run/secrets/pw' } } }, method: 'POST', headers: { Accept: 'application/json', 'X-Api-Version': '2' } },
        mtls: { url: URL_, auth: { clientCert: { cert: '/c.pem', key: '/k.pem', ca: '/ca.pem' } }, rateKey: 'jobs.internal:443', rateLimit: '10/s' },
        keyfile: { batch: 'https://jobs.internal/v1/statuses', auth: { header: { name: 'X-Key', file: '/k' } }, completed: ['ok'] },
        hooked: { hook: './status-hook.js', rateLimit: '30/m' },
      },
    });
    const { basic, mtls, keyfile, hooked } = sources.byName;
    expect(basic!.auth).toEqual({ kind: 'basic', user: { env: 'U' }, password: { file: '/run/secrets/pw' } });
    expect(basic!.target).toMatchObject({ kind: 'url', method: 'POST' });
    expect(basic!.headers).toEqual({ Accept: 'application/json', 'X-Api-Version': '2' });
    expect(basic!.reader).toMatchObject({ kind: 'mapping', mapping: { statusPath: { text: 'status' } } });
    expect(mtls!.auth).toEqual({ kind: 'clientCert', cert: '/c.pem', key: '/k.pem', ca: '/ca.pem' });
    expect(mtls!.rateKey).toBe('jobs.internal:443');
    expect(mtls!.rateLimit).toMatchObject({ count: 10, perMs: 1_000 });
    expect(keyfile!.target.kind).toBe('batch');
    expect(hooked!.target).toEqual({ kind: 'hook', module: './status-hook.js' });
    expect(hooked!.rateLimit).toMatchObject({ count: 30, perMs: 60_000 });
    expect(hooked!.rateLimit).toBeDefined();
  });

  it.each([
    ['an inline bearer token', { url: URL_, auth: { bearer: 'ghp_secret' } }, 'source "runs": auth.bearer: needs "env" or "file"'],
    ['an empty credential', { url: URL_, auth: { bearer: {} } }, 'source "runs": auth.bearer: needs "env" or "file"'],
    ['both env and file', { url: URL_, auth: { bearer: { env: 'A', file: '/b' } } }, 'auth.bearer: needs "env" or "file"'],
    ['a credential given as a value', { url: URL_, auth: { bearer: { value: 'x' } } }, 'auth.bearer: needs "env" or "file"'],
    ['a bad variable name', { url: URL_, auth: { bearer: { env: 'MY-TOKEN' } } }, 'auth.bearer.env: must be the name of an environment variable'],
    ['basic without a password', { url: URL_, auth: { basic: { user: { env: 'U' } } } }, 'auth.basic.password: needs "env" or "file"'],
    ['an inline basic password', { url: URL_, auth: { basic: { user: { env: 'U' }, password: 'hunter2' } } }, 'auth.basic.password: needs "env" or "file"'],
    ['a header with no secret', { url: URL_, auth: { header: { name: 'X-Api-Key' } } }, 'auth.header: needs "env" or "file"'],
    ['a header with an inline value', { url: URL_, auth: { header: { name: 'X-Api-Key', value: 'k' } } }, 'auth.header: has no field "value"'],
    ['a bad header name', { url: URL_, auth: { header: { name: 'X Api', env: 'K' } } }, 'auth.header.name: must be a header name'],
    ['a clientCert without a key', { url: URL_, auth: { clientCert: { cert: '/c.pem' } } }, 'auth.clientCert.key: is required'],
    ['a clientCert key from env', { url: URL_, auth: { clientCert: { cert: '/c.pem', key: { env: 'K' } } } }, 'auth.clientCert.key: must be a file path'],
    ['two kinds of auth', { url: URL_, auth: { bearer: { env: 'A' }, header: { name: 'X', env: 'B' } } }, 'auth: give exactly one of bearer, basic, header, clientCert'],
    ['no kind of auth', { url: URL_, auth: {} }, 'auth: give exactly one of'],
    ['an unknown kind of auth', { url: URL_, auth: { oauth: {} } }, 'auth: has no field "oauth"'],
    ['an unknown field', { url: URL_, statusFeild: 'x' }, 'source "runs": has no field "statusFeild"'],
    ['no url, batch or hook', { convention: 'http-202' }, 'give exactly one of "url", "batch" or "hook"'],
    ['both url and hook', { url: URL_, hook: './h.js' }, 'give exactly one of "url", "batch" or "hook"'],
    ['a url without {jobId}', { url: 'https://jobs.internal/v1/status' }, 'url: must hold {jobId}'],
    ['a placeholder in the host', { url: 'https://{tenant}.jobs.io/{jobId}', params: ['tenant'] }, 'url: must not have a placeholder in its host'],
    ['an undeclared param', { url: 'https://jobs.io/{org}/{jobId}' }, 'url: {org} is not a declared param'],
    ['a url that is not http', { url: 'file:///etc/{jobId}' }, 'url: must be an http:// or https:// URL'],
    ['a url that is a number', { url: 42 }, 'url: must be a URL'],
    ['an unknown convention', { url: URL_, convention: 'aws-step-functions' }, 'convention: must be one of http-202,'],
    ['a convention and a mapping', { url: URL_, convention: 'openai-batch', completed: ['done'] }, 'completed: give a convention or a mapping, not both'],
    ['a convention on a batch endpoint', { batch: 'https://jobs.io/statuses', convention: 'openai-batch' }, 'convention: needs "url"'],
    ['a method on a batch endpoint', { batch: 'https://jobs.io/statuses', method: 'GET' }, 'method: applies to "url" only'],
    ['an unknown method', { url: URL_, method: 'DELETE' }, 'method: must be GET or POST'],
    ['credentials in static headers', { url: URL_, headers: { authorization: 'Bearer x' } }, 'headers.authorization: may not be set here'],
    ['the auth header in static headers', { url: URL_, auth: { header: { name: 'X-Api-Key', env: 'K' } }, headers: { 'x-api-key': 'k' } }, 'headers.x-api-key: may not be set here'],
    ['a header value on two lines', { url: URL_, headers: { Accept: 'a\r\nX-Evil: 1' } }, 'headers.Accept: must be one line'],
    ['auth on a hook', { hook: './h.js', auth: { bearer: { env: 'T' } } }, 'auth: a hook source makes its own requests'],
    ['a CA on a hook', { hook: './h.js', ca: '/ca.pem' }, 'ca: a hook source makes its own requests'],
    ['a CA twice, beside a client certificate', { url: URL_, ca: '/ca.pem', auth: { clientCert: { cert: '/c', key: '/k', ca: '/ca2.pem' } } }, 'ca: give the CA once, as auth.clientCert.ca'],
    ['a status in two lists', { url: URL_, completed: ['done'], failed: ['DONE'] }, 'failed: "DONE" is also in completed'],
    ['an empty status list', { url: URL_, completed: [] }, 'completed: must list at least one status'],
    ['a bad status path', { url: URL_, statusPath: 'status..phase' }, 'statusPath: has an empty or malformed part'],
    ['a bad output path', { url: URL_, outputPath: 'a[' }, 'outputPath: has an empty or malformed part'],
    ['a bad rate key', { url: URL_, rateKey: 'a,b' }, 'rateKey: must be letters, digits'],
    ['a rate with no unit', { url: URL_, rateLimit: '10' }, 'rateLimit: must be a rate such as 10/s'],
    ['a rate of zero', { url: URL_, rateLimit: '0/s' }, 'rateLimit: must be a rate such as 10/s'],
    ['a rate that smuggles an entry', { url: URL_, rateLimit: '10/s,*=1/s' }, 'rateLimit: must be a rate such as 10/s'],
  ])('refuses %s, naming the source and the field', (_, source, message) => {
    const problem = problemOf(source);
    expect(problem.startsWith('JOBWATCH_SOURCES: source "runs": ')).toBe(true);
    expect(problem).toContain(message);
    expect(problem).not.toContain('\n');
  });

  it('refuses a bad source name, a file without "sources", and files that are not JSON', () => {
    expect(problemOf({ url: URL_ }, 'my source')).toContain('source "my source": the name must be');
    expect(() => parseSources({ sourcez: {} })).toThrow('JOBWATCH_SOURCES: sources: is required');
    expect(() => parseSources([])).toThrow('JOBWATCH_SOURCES: must be an object with "sources"');
    expect(() => parseSourcesText('{ "sources": ', '--sources')).toThrow('--sources: the sources file is not valid JSON');
    expect(parseSourcesText(JSON.stringify(EXAMPLE)).byName.ops?.reader).toEqual({ kind: 'convention', convention: 'google-operation' });
  });

  it('names no secret in a message, even one written inline by mistake', () => {
    expect(problemOf({ url: URL_, auth: { bearer: 'ghp_verysecret' } })).not.toContain('ghp_verysecret');
    expect(problemOf({ url: URL_, auth: { basic: { user: { env: 'U' }, password: 'hunter2' } } })).not.toContain('hunter2');
  });
});
