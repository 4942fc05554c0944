import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig, monitorDefaults } from '../../src/config/config.ts';
import { InvalidInputError } from '../../src/errors/errors.ts';
import { rateKeyOf } from '../../src/monitor/gate/rate-key.ts';
import { parseMonitorInput } from '../../src/monitor/input.ts';
import { parseSources } from '../../src/sources/sources-file.ts';
import { withSourceRateLimits } from '../../src/sources/source-rate-limits.ts';
import { parseRateLimits } from '../../src/monitor/gate/rate-limits.ts';

/** A monitor that names a source: checked at start against the sources file JOBWATCH_SOURCES names. */

const NOW = Date.parse('2026-01-01T00:00:00Z');
const FILE = {
  sources: {
    runs: { url: 'https://api.github.com/repos/{owner}/{repo}/actions/runs/{jobId}', params: ['owner', 'repo'], convention: 'github-actions-run', auth: { bearer: { env: 'GH_TOKEN' } } },
    render: { url: 'https://render.internal/v2/jobs/{jobId}', statusPath: 'job.phase', rateKey: 'Render-Pool', rateLimit: '5/s' },
    fanout: { batch: 'https://render.internal/v2/statuses' },
    scripted: { hook: './hooks/x.mjs' },
  },
};
const dir = mkdtempSync(join(tmpdir(), 'jobwatch-src-unit-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const path = join(dir, 'jobwatch.sources.json');
writeFileSync(path, JSON.stringify(FILE));
const config = loadConfig({ JOBWATCH_SOURCES: path });
const parse = (input: unknown) => parseMonitorInput(input, monitorDefaults(config), NOW);
const refusal = (input: unknown) => {
  try {
    parse(input);
  } catch (error) {
    if (error instanceof InvalidInputError) return error.message;
    throw error;
  }
  throw new Error('accepted');
};

describe('JOBWATCH_SOURCES', () => {
  it('is read and validated into the config, frozen', () => {
    expect(Object.keys(config.sources!.byName)).toEqual(['runs', 'render', 'fanout', 'scripted']);
    expect(Object.isFrozen(config.sources!.byName.runs)).toBe(true);
  });

  it('a bad file is one line naming the variable, the file, the source and the field', () => {
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, JSON.stringify({ sources: { runs: { ...FILE.sources.runs, params: ['owner'] } } }));
    expect(() => loadConfig({ JOBWATCH_SOURCES: bad })).toThrow(`JOBWATCH_SOURCES: ${bad}: source "runs": url: {repo} is not a declared param; add "repo" to params`);
  });

  it('a missing file names it and the error code', () => {
    expect(() => loadConfig({ JOBWATCH_SOURCES: join(dir, 'none.json') })).toThrow(/^JOBWATCH_SOURCES: cannot read the sources file .*none\.json: ENOENT$/);
  });
});

describe('a monitor that names a source', () => {
  it('stores the name and params, never the URL or credentials; the rate key is the source\'s name', () => {
    const monitor = parse({ jobId: '17', source: 'runs', params: { owner: 'acme', repo: 'api' } });
    expect(monitor.status).toEqual({ kind: 'source', name: 'runs', params: { owner: 'acme', repo: 'api' } });
    expect(JSON.stringify(monitor)).not.toMatch(/github\.com|GH_TOKEN/);
    expect(monitor.rateKey).toBe('runs');
    expect(rateKeyOf(monitor)).toBe('runs');
  });

  it('takes a batch source, whose URL holds no job id', () => {
    expect(parse({ jobId: '9', source: 'fanout' }).status).toEqual({ kind: 'source', name: 'fanout', params: {} });
  });

  it('takes the source\'s own rate key, or the monitor\'s when it names one', () => {
    expect(parse({ jobId: '1', source: 'render' }).rateKey).toBe('Render-Pool');
    expect(parse({ jobId: '1', source: 'render', rateKey: 'mine' }).rateKey).toBe('mine');
  });

  it.each([
    [{ jobId: '1', source: 'nope' }, 'source: "nope" is not a source of the sources file; it declares runs, render, fanout, scripted'],
    [{ jobId: '1', source: 'runs', params: { owner: 'acme' } }, "params.repo: is required by the source's URL"],
    [{ jobId: '1', source: 'runs', params: { owner: 'acme', repo: 'api', branch: 'main' } }, 'params.branch: is not a param of this source; it takes owner, repo'],
    [{ jobId: '1', source: 'runs', params: { owner: '..%2f', repo: 'api' } }, expect.stringMatching(/^params\.owner: must not hold \/ or \\/)],
    [{ jobId: '1', source: 'runs', params: { owner: '..', repo: 'api' } }, expect.stringMatching(/^params\.owner: must not be \. or \.\./)],
    [{ jobId: '../x', source: 'render' }, expect.stringMatching(/^jobId: must not hold \//)],
    [{ jobId: '1', source: 'scripted', params: { a: 'b' } }, 'params.a: is not a param of this source; a hook source takes none'],
    [{ jobId: '1', source: 'fanout', params: { a: 'b' } }, 'params.a: is not a param of this source; it takes none'],
    [{ jobId: '1', source: 'runs/x' }, 'source: must be the name of a source in the sources file, e.g. runs'],
    [{ jobId: '1', statusHook: true, params: { a: 'b' } }, 'params: are the params of a source; give source too'],
    [{ jobId: '1', statusHook: true, source: 'render' }, expect.stringMatching(/^statusUrl: give exactly one of/)],
  ])('refuses %j', (input, message) => {
    expect(refusal(input)).toEqual(message);
  });

  it('is refused where no sources file is configured', () => {
    expect(() => parseMonitorInput({ jobId: '1', source: 'runs' }, monitorDefaults(loadConfig({})), NOW))
      .toThrow('source: names the source "runs", but no sources file is configured; set JOBWATCH_SOURCES to one that declares it');
  });
});

describe('withSourceRateLimits', () => {
  it('adds each source\'s rateLimit under its rate key; JOBWATCH_RATE_LIMITS wins for the same key', () => {
    const sources = parseSources(FILE);
    const none = parseRateLimits('other=1/s');
    const set = parseRateLimits('render-pool=100/s');
    if (!none.ok || !set.ok) throw new Error('bad limits');
    expect(withSourceRateLimits(none.limits, sources).byKey.get('render-pool')?.text).toBe('5/s');
    expect(withSourceRateLimits(set.limits, sources).byKey.get('render-pool')?.text).toBe('100/s');
    expect(withSourceRateLimits(none.limits, undefined)).toBe(none.limits);
  });
});
