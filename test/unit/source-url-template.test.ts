import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InvalidInputError } from '../../src/errors/errors.ts';
import { SourceParamError } from '../../src/sources/errors.ts';
import { expandUrlTemplate, parseUrlTemplate, type UrlTemplate } from '../../src/sources/url-template.ts';

function template(text: string, params: string[] = []): UrlTemplate {
  const parsed = parseUrlTemplate(text, params);
  if (!parsed.ok) throw new Error(parsed.problem);
  return parsed.template;
}

const RUNS = template('https://api.github.com/repos/{owner}/{repo}/actions/runs/{jobId}', ['owner', 'repo']);

function refusal(run: () => unknown): SourceParamError {
  try {
    run();
  } catch (error) {
    if (error instanceof SourceParamError) return error;
    throw error;
  }
  throw new Error('expected a SourceParamError');
}

describe('parseUrlTemplate', () => {
  it.each([
    ['https://ops.example.com/v1/operations/{jobId}', []],
    ['http://127.0.0.1:8080/jobs/{jobId}?view={view}', ['view']],
    ['https://api.github.com/repos/{owner}/{repo}/actions/runs/{jobId}', ['owner', 'repo']],
    ['https://batch.internal/statuses', []],
  ])('accepts %s', (text, params) => {
    expect(parseUrlTemplate(text, params).ok).toBe(true);
  });

  it.each([
    ['ftp://files/{jobId}', [], 'http:// or https://'],
    ['https://{tenant}.example.com/{jobId}', ['tenant'], 'host or port'],
    ['https://example.com:{port}/{jobId}', ['port'], 'host or port'],
    ['https://user:pw@example.com/{jobId}', [], 'credentials'],
    ['https://example.com/{org}/{jobId}', [], '{org} is not a declared param; add "org" to params'],
    ['https://example.com/{jobId}', ['owner'], 'declares the param "owner" but has no {owner}'],
    ['https://example.com/{jobId}', ['jobId'], 'always a placeholder'],
    ['https://example.com/{a}/{jobId}', ['a', 'a'], 'twice'],
    ['https://example.com/{jobId}#{part}', ['part'], 'fragment'],
    ['https://example.com/{jobId', [], 'opens or closes no placeholder'],
    ['https://example.com/}{jobId}', [], 'opens or closes no placeholder'],
    ['https://example.com/{job-id}', [], 'letters, digits and _'],
    ['https://example.com/{}', [], 'letters, digits and _'],
    ['https:///{jobId}', [], 'host'],
    ['https://example.com/{jobId}', ['bad name'], 'letters, digits and _'],
  ])('refuses %s (params %j), saying %s', (text, params, problem) => {
    const parsed = parseUrlTemplate(text, params);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.problem).toContain(problem);
  });
});

describe('expandUrlTemplate', () => {
  it('puts each value in its own path segment, percent-encoded', () => {
    expect(expandUrlTemplate(RUNS, '42', { owner: 'acme', repo: 'web app' })).toBe('https://api.github.com/repos/acme/web%20app/actions/runs/42');
    expect(expandUrlTemplate(RUNS, 'a?b#c', { owner: 'ü', repo: 'r&x=1' })).toBe('https://api.github.com/repos/%C3%BC/r%26x%3D1/actions/runs/a%3Fb%23c');
  });

  it('puts a query placeholder in one query value: & and = cannot add parameters', () => {
    const view = template('https://jobs.internal/jobs/{jobId}?view={view}&v=1', ['view']);
    const url = new URL(expandUrlTemplate(view, '7', { view: 'a&admin=true' }));
    expect([...url.searchParams]).toEqual([['view', 'a&admin=true'], ['v', '1']]);
    // A query value may hold a slash: it changes no path.
    expect(new URL(expandUrlTemplate(view, '7', { view: '2024/01' })).searchParams.get('view')).toBe('2024/01');
  });

  it.each([
    ['', 'must not be empty'],
    ['.', 'climb'],
    ['..', 'climb'],
    ['%2e%2e', 'climb'],
    ['%2E.', 'climb'],
    ['%252e%252e', 'climb'],
    ['%25252e%25252e', 'climb'],
    ['a/b', 'change the URL\'s path'],
    ['..%2f', 'change the URL\'s path'],
    ['%2F', 'change the URL\'s path'],
    ['a\\b', 'change the URL\'s path'],
    ['%5c', 'change the URL\'s path'],
    ['%255C', 'change the URL\'s path'],
    ['\ud800', 'valid Unicode'],
    ['x'.repeat(257), 'at most 256'],
    ['%25252525252e', 'too many times'],
  ])('refuses the path value %j, naming the param: %s', (value, reason) => {
    const error = refusal(() => expandUrlTemplate(RUNS, '1', { owner: value, repo: 'r' }));
    expect(error.param).toBe('owner');
    expect(error.field).toBe('params.owner');
    expect(error.reason).toContain(reason);
    // The API answers an InvalidInputError with 400.
    expect(error).toBeInstanceOf(InvalidInputError);
  });

  it('holds the job id to the same rules, naming it jobId', () => {
    const error = refusal(() => expandUrlTemplate(RUNS, '..', { owner: 'o', repo: 'r' }));
    expect(error.param).toBe('jobId');
    expect(error.field).toBe('jobId');
  });

  it('accepts values that only look odd: dots inside a name, a lone percent sign', () => {
    expect(expandUrlTemplate(RUNS, '1', { owner: 'a..b', repo: '100%' })).toBe('https://api.github.com/repos/a..b/100%25/actions/runs/1');
    expect(expandUrlTemplate(RUNS, '1', { owner: '...', repo: '.x' })).toBe('https://api.github.com/repos/.../.x/actions/runs/1');
  });

  it('refuses a missing param and one the source does not declare', () => {
    expect(refusal(() => expandUrlTemplate(RUNS, '1', { owner: 'o' })).param).toBe('repo');
    const extra = refusal(() => expandUrlTemplate(RUNS, '1', { owner: 'o', repo: 'r', branch: 'main' }));
    expect(extra.param).toBe('branch');
    expect(extra.reason).toContain('it takes owner, repo');
    expect(refusal(() => expandUrlTemplate(template('https://x.io/{jobId}'), '1', { owner: 'o' })).reason).toContain('it takes none');
  });

  it('does not read inherited members as params', () => {
    expect(refusal(() => expandUrlTemplate(RUNS, '1', Object.create({ owner: 'o', repo: 'r' }) as Record<string, string>)).param).toBe('owner');
  });

  it('property: no value changes the origin, leaves the path before the placeholder, or adds a path segment or query parameter', () => {
    const texts = [
      'https://api.github.com/repos/{owner}/{repo}/actions/runs/{jobId}',
      'http://127.0.0.1:9/a/b{owner}c/{repo}/{jobId}?x={owner}&y=1',
      'https://h.example/{jobId}/{owner}.json?repo={repo}',
    ];
    const hostile = fc.oneof(
      fc.string(),
      fc.constantFrom('.', '..', '%2e', '%2e%2e', '..%2f', '%5c', '%252e%252e', '/', '\\', '@evil.com', '//evil.com', ':80', '?a=b', '#f', '%00', '%2f..%2f'),
      fc.array(fc.constantFrom('.', '/', '\\', '%', '2', 'e', 'f', '5', 'c', '@', ':', '?', '#', 'a'), { maxLength: 12 }).map((chars) => chars.join('')),
    );
    fc.assert(fc.property(fc.constantFrom(...texts), hostile, hostile, hostile, (text, owner, repo, jobId) => {
      const parsed = template(text, ['owner', 'repo']);
      let expanded: string;
      try {
        expanded = expandUrlTemplate(parsed, jobId, { owner, repo });
      } catch (error) {
        expect(error).toBeInstanceOf(SourceParamError);
        return;
      }
      const url = new URL(expanded);
      const sample = new URL(text.replace(/\{[^}]*\}/g, 'x'));
      expect(url.origin).toBe(sample.origin);
      expect(url.pathname.startsWith(text.slice(sample.origin.length, text.indexOf('{')).split('?')[0]!)).toBe(true);
      expect(url.pathname.split('/').length).toBe(sample.pathname.split('/').length);
      expect([...url.searchParams.keys()]).toEqual([...sample.searchParams.keys()]);
      expect(url.hash).toBe('');
    }), { numRuns: 3_000 });
  });
});
